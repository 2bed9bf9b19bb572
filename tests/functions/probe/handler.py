"""Reports its environment (secrets it can see, working folder, port) and logs each call with a marker."""

import os


def handle(event, context):
    secrets_dir = os.environ.get("SECRETS_DIR", "")
    secrets = {}
    if os.path.isdir(secrets_dir):
        for name in sorted(os.listdir(secrets_dir)):
            with open(os.path.join(secrets_dir, name)) as handle:
                secrets[name] = handle.read()
    marker = event.query.get("marker") or event.headers.get("X-Connector", "")
    print(f"probe called marker={marker} method={event.method}", flush=True)
    return {
        "port": os.environ.get("PORT"),
        "pid": os.getpid(),
        "cwd": os.getcwd(),
        "secrets": secrets,
        "env": {key: os.environ.get(key) for key in ("GREETING", "fprocess", "FAAS_FUNCTION_NAME")},
        "flmnchll_importable": _importable("flmnchll"),
    }


def _importable(name):
    import importlib.util

    return importlib.util.find_spec(name) is not None

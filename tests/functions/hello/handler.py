"""Echo: answers with what it was sent, so tests can see exactly what reached the function."""

import os


def handle(event, context):
    status = int(event.query.get("status", "200"))
    secrets_dir = os.environ.get("SECRETS_DIR", "")
    return {
        "statusCode": status,
        "headers": {"X-Echo": "hello", "Set-Cookie": "a=1"},
        "body": {
            "method": event.method,
            "path": event.path,
            "query": {key: event.query.getlist(key) for key in event.query},
            "headers": dict(event.headers),
            "body": event.body.decode("utf-8", "replace"),
            "hostname": context.hostname,
            "port": os.environ.get("PORT"),
            "pid": os.getpid(),
            "env": {key: os.environ.get(key) for key in ("GREETING", "exec_timeout", "fprocess")},
            "secrets": sorted(os.listdir(secrets_dir)) if os.path.isdir(secrets_dir) else None,
        },
    }

"""RQ job handlers, one module per job kind, each exposing `run(task: dict) -> dict`."""

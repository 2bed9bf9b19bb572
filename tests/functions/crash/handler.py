"""Dies in the middle of a request on `/crash`; otherwise answers with its process id."""

import os


def handle(event, context):
    if event.path == "/crash":
        os._exit(3)
    return {"statusCode": 200, "body": {"pid": os.getpid()}}

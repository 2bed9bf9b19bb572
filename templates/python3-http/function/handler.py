"""Sample handler: answers with what it was sent."""


def handle(event, context):
    return {
        "statusCode": 200,
        "body": {"method": event.method, "path": event.path, "body": event.body.decode("utf-8", "replace")},
    }

"""Holds each request for `?seconds=` (default 1); deployed with max_inflight=1."""

import time


def handle(event, context):
    time.sleep(float(event.query.get("seconds", "1")))
    return {"statusCode": 200, "body": {"done": True}}

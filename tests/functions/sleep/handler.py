"""Sleeps for `?seconds=` (default 5): longer than its exec_timeout, so the gateway answers 504."""

import time


def handle(event, context):
    seconds = float(event.query.get("seconds", "5"))
    time.sleep(seconds)
    return {"statusCode": 200, "body": {"slept": seconds}}

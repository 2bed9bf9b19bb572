"""Fails at import time, so its processes can never start: the gateway must say so quickly."""

raise RuntimeError("this function is broken on purpose")

"""HTTP adapter of the python3-http template: turns requests into `handler.handle(event, context)` calls.

Under of-watchdog (http mode) the watchdog forwards each request here; locally the gateway does. The
handler returns what OpenFaaS's own python3-http template takes: a dict `{"statusCode", "body", "headers"}`
(a dict or list body is sent as JSON), a plain body (str, bytes, or a dict/list without those keys, sent as
JSON), or None (empty 200). `event.headers` keeps every value of a repeated header, as werkzeug parsed them.
"""

from __future__ import annotations

import logging
import os
import site
from typing import Any

# Dependencies installed for the function's own user live outside site-packages in the container image.
if os.path.isdir("/home/app/python"):
    site.addsitedir("/home/app/python")

from flask import Flask, Response, json, request
from function import handler
from waitress import serve
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
RESPONSE_KEYS = {"statusCode", "body", "headers"}


class AnyPath(BaseConverter):
    """Every path, whatever its bytes: werkzeug's own `path` converter stops at a newline (`%0A`)."""

    regex = r"[\s\S]*"
    part_isolating = False


app = Flask(__name__)
app.url_map.converters["any_path"] = AnyPath
app.url_map.merge_slashes = False  # `//x` reaches the handler instead of an HTML redirect


class Event:
    """The request as the handler sees it."""

    def __init__(self) -> None:
        self.body: bytes = request.get_data()
        self.headers = request.headers
        self.method: str = request.method
        self.query = request.args
        self.path: str = request.path


class Context:
    """Where the function runs."""

    def __init__(self) -> None:
        self.hostname = os.getenv("HOSTNAME", "localhost")


def _body(value: Any) -> tuple[bytes | str, str | None]:
    """The response bytes and, for JSON bodies, their content type."""
    if value is None:
        return b"", None
    if isinstance(value, bytes | str):
        return value, None
    return json.dumps(value), "application/json"


def _response(body: Any, status: int = 200, headers: Any = None) -> Response:
    data, content_type = _body(body)
    response = Response(data, status=int(status))
    if content_type:
        response.headers["Content-Type"] = content_type
    if headers:
        items = headers.items() if isinstance(headers, dict) else headers
        for key, value in items:
            response.headers[key] = value
    return response


def format_response(result: Any) -> Response:
    """Shape whatever the handler returned into a Flask response."""
    if isinstance(result, dict) and result and set(result) <= RESPONSE_KEYS and (
        "statusCode" in result or "body" in result
    ):
        return _response(result.get("body"), result.get("statusCode", 200), result.get("headers"))
    return _response(result)


@app.get("/_/health")
def health() -> Response:
    """Ready once the handler is imported: of-watchdog answers this path itself in the function's image, and
    the local gateway forwards it here, so `/function/NAME/_/health` means the same in both places."""
    return Response("OK", status=200, mimetype="text/plain")


@app.route("/<any_path:path>", methods=METHODS)
def call_handler(path: str) -> Response:
    return format_response(handler.handle(Event(), Context()))


@app.errorhandler(HTTPException)
def refused(error: HTTPException) -> Response:
    """What werkzeug refuses before the handler runs (an unknown method, a malformed request) is JSON too."""
    status = error.code or 400
    body = {"error": {"code": (error.name or "error").lower().replace(" ", "_"),
                      "message": error.description or "The request could not be handled."}}
    response = _response(body, status)
    if status == 405:
        response.headers["Allow"] = ", ".join(METHODS)
    return response


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    serve(
        app,
        host=os.getenv("HOST", "127.0.0.1"),
        port=int(os.getenv("PORT", "5000")),
        threads=int(os.getenv("WAITRESS_THREADS", "8")),
        max_request_body_size=int(os.getenv("MAX_BODY_BYTES", str(64 * 1024 * 1024))),
        ident="",
        # Only the watchdog (or the local gateway) calls this server; keep the X-Forwarded-* it passes on.
        clear_untrusted_proxy_headers=False,
    )

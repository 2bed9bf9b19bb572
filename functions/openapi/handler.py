"""openapi: the OpenAPI 3.1 document of every function; GET / (JSON) or GET /openapi.yaml."""

from __future__ import annotations

from flmnchll import openapi
from flmnchll.web import Request, Response, Router

router = Router("openapi")
CACHE = {"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"}


@router.route("GET", "/", operation="openapi")
def as_json(request: Request) -> Response:
    return Response(openapi.document(), headers=dict(CACHE))


@router.route("GET", "/openapi.json", operation="openapiJson")
def as_json_named(request: Request) -> Response:
    return Response(openapi.document(), headers=dict(CACHE))


@router.route("GET", "/openapi.yaml", operation="openapiYaml")
def as_yaml(request: Request) -> Response:
    text = openapi.DOCUMENT_PATH.read_text(encoding="utf-8")
    return Response(text, headers={**CACHE, "Content-Type": "application/yaml; charset=utf-8"}, raw=True)


handle = router.handler()

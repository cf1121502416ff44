"""The OpenAPI document at /docs.json, completed with what BentoML's generator leaves out.

BentoML documents 400/404/500 only; this service also answers 401 (API key), 413 (limits), 415
(not JSON) and 503 (no models loaded), and its 400 bodies carry a list of field errors. The size
limits configured at start-up become `maxItems` of the request arrays, so the document states every
rule the service enforces. Request bodies are the component schemas pydantic writes: BentoML's inline
copies turn an optional field (`as_of: null` on /score_history) into a required type. The completed document is what clients and the schemathesis runs read.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from serving.settings import ServingSettings

PATH = "/docs.json"
OPEN_OPERATIONS = {"/livez", "/healthz", "/readyz", "/metrics"}
LIMITED_ARRAYS = {"customer_ids": "max_customers", "customers": "max_customers", "transactions": "max_transactions",
                  "events": "max_transactions"}
"""Request array properties -> the `ServingSettings` limit on their length (answered with 413)."""

ERROR = {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}
FIELD_ERRORS = {
    "type": "object",
    "properties": {
        "error": {"type": "string"},
        "detail": {"type": "array", "items": {"type": "object", "properties": {
            "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
            "msg": {"type": "string"}, "type": {"type": "string"}}}},
    },
    "required": ["error"],
}


def _response(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _with_limits(schema: dict[str, Any], spec: dict[str, Any], limits: dict[str, int]) -> None:
    """Set `maxItems` on the limited arrays of a request schema and of the schemas its arrays refer to."""
    for name, prop in schema.get("properties", {}).items():
        if name in limits and prop.get("type") == "array":
            prop["maxItems"] = limits[name]
        ref = prop.get("items", {}).get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            _with_limits(spec["components"]["schemas"][ref.rsplit("/", 1)[1]], spec, limits)


def _const_as_enum(schema: Any) -> None:
    """Write each `const` as a one-value `enum` (the same rule): schemathesis' generator ignores a
    `const` inside `oneOf` branches (the event variants) and mixes the branches into invalid events."""
    if isinstance(schema, dict):
        if "const" in schema:
            schema["enum"] = [schema.pop("const")]
        for value in schema.values():
            _const_as_enum(value)
    elif isinstance(schema, list):
        for value in schema:
            _const_as_enum(value)


def complete(spec: dict[str, Any], settings: ServingSettings) -> dict[str, Any]:
    """`spec` with bearer security, the 400/401/413/503 answers of every protected operation and
    the size limits of `settings` on the request arrays."""
    spec = copy.deepcopy(spec)
    _const_as_enum(spec.get("components", {}).get("schemas", {}))
    limits = {name: getattr(settings, field) for name, field in LIMITED_ARRAYS.items()}
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    spec.setdefault("components", {}).setdefault("securitySchemes", {})["apiKey"] = {
        "type": "http", "scheme": "bearer", "description": "A key from INSIGHT_API_KEYS or INSIGHT_API_KEYS_FILE."}
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "delete") or path in OPEN_OPERATIONS:
                continue
            responses = operation.setdefault("responses", {})
            responses["401"] = _response("Missing or unknown API key.", ERROR)
            responses["503"] = _response("No models loaded; the error says why.", ERROR)
            operation["security"] = [{"apiKey": []}]
            if method == "post":
                operation.get("requestBody", {})["required"] = True
                for content in operation.get("requestBody", {}).get("content", {}).values():
                    body = content.get("schema", {})
                    if body.get("title") in schemas:
                        # BentoML's inline copy of the body drops the null branch of optional fields.
                        body = content["schema"] = copy.deepcopy(schemas[body["title"]])
                    for schema in (body, schemas.get(body.get("title", ""), {})):
                        _with_limits(schema, spec, limits)
                responses["400"] = _response("Invalid request; one entry per field error.", FIELD_ERRORS)
                responses["413"] = _response("Over a size limit; the error names it.", ERROR)
                responses["415"] = _response("The body is not JSON.", ERROR)
            if path == "/score_history":
                responses["422"] = _response("Valid transactions the feature code cannot score; the error says why.",
                                             ERROR)
    return spec


class OpenApiDocument:
    """Answers GET /docs.json with the completed document (built once, on first request)."""

    def __init__(self, app: ASGIApp, spec: Callable[[], dict[str, Any]],
                 settings: ServingSettings | None = None) -> None:
        self.app = app
        self._spec = spec
        self._settings = settings or ServingSettings.from_env()
        self._document: dict[str, Any] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        if self._document is None:
            self._document = complete(self._spec(), self._settings)
        await JSONResponse(self._document)(scope, receive, send)

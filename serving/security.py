"""The service's front door: an API key on every path but health, metrics and docs; JSON bodies
on the JSON APIs; a body size cap.

An ASGI middleware, so it guards BentoML's routes and the mounted /models app alike and refuses a
request before its body is read or parsed (BentoML would otherwise parse other content types as
forms, and log the body in the field names of the error). A method a path does not declare
(POST /models, PUT /score) goes on to the app, which answers 405 with `Allow`, whatever its
content type. Keys are kept only as SHA-256 digests and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.settings import ServingSettings

OPEN_PATHS = frozenset({"/", "/livez", "/healthz", "/readyz", "/metrics", "/docs.json", "/schema.json"})
OPEN_PREFIXES = ("/static_content/", "/assets/")
CHALLENGE = [("WWW-Authenticate", 'Bearer realm="customer-insight"')]


def is_open(path: str) -> bool:
    """Paths anyone may call: probes, metrics, the OpenAPI document and its viewer."""
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    """The first value of header `name` (lower case), if present."""
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def bearer_token(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if there is one."""
    scheme, _, token = (header(headers, b"authorization") or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def is_json(headers: list[tuple[bytes, bytes]]) -> bool:
    media_type = (header(headers, b"content-type") or "").split(";")[0].strip().lower()
    return media_type == "application/json"


class ApiKeyGuard:
    """ASGI middleware enforcing the API key, JSON bodies on the POST routes in `json_routes` and
    the body size limit of `ServingSettings`."""

    def __init__(self, app: ASGIApp, json_routes: frozenset[str] = frozenset(),
                 settings: ServingSettings | None = None) -> None:
        self.app = app
        settings = settings or ServingSettings.from_env()
        settings.require_auth_decision()
        self._digests = tuple(_digest(key) for key in settings.api_keys)
        self._max_body = settings.max_body_bytes
        self._json_routes = json_routes

    def accepts(self, token: str | None) -> bool:
        """Whether `token` is a configured key (always true when the service runs without keys)."""
        if not self._digests:
            return True
        if token is None:
            return False
        offered = _digest(token)
        return any([hmac.compare_digest(offered, known) for known in self._digests])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_open(scope["path"]):
            await self.app(scope, receive, send)
            return
        token = bearer_token(scope["headers"])
        if not self.accepts(token):
            problem = "no API key" if token is None else "the API key is not accepted"
            await _refuse(scope, receive, send, 401, f"{problem}: send the header 'Authorization: Bearer <key>'",
                          CHALLENGE)
            return
        if scope["method"] == "POST" and scope["path"] in self._json_routes and not is_json(scope["headers"]):
            await _refuse(scope, receive, send, 415, "send the request body as JSON with "
                          "'Content-Type: application/json'")
            return
        body = await _read_body(receive, self._max_body)
        if body is None:
            await _refuse(scope, receive, send, 413,
                          f"the request body is larger than {self._max_body:,} bytes; split the request")
            return
        await self.app(scope, _replay(body, receive), send)


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None as soon as it exceeds `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, message: str,
                  headers: list[tuple[str, str]] | None = None) -> None:
    content: dict[str, Any] = {"error": message}
    await JSONResponse(content, status_code=status, headers=dict(headers or []))(scope, receive, send)

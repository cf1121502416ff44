"""GET /readyz that says why: the serving versions, or what failed to load.

BentoML's own /readyz answers 200 or 503 with a fixed text; callers (and operators after a failed
reload) need the reason, so this middleware answers the probe from the service's state: 200 while
a model set is serving (with the last failed load, if any), 503 while none is.
"""

from __future__ import annotations

import bentoml
from bentoml.exceptions import BentoMLException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

PATH = "/readyz"


def readiness(service: object | None) -> tuple[int, dict]:
    """Status code and body of the probe for a service instance (None while it is starting)."""
    state = getattr(service, "state", None)
    if state is None:
        return 503, {"ready": False, "error": "the service is starting"}
    current = state.current
    if current is None:
        return 503, {"ready": False, "error": f"no models loaded: {state.last_error}"}
    return 200, {"ready": True, "model_versions": current.versions, "snapshot_as_of": current.as_of.isoformat(),
                 "last_load_error": state.last_error}


class ReadinessProbe:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        try:
            service = bentoml.get_current_service()
        except BentoMLException:
            service = None
        status, body = readiness(service)
        await JSONResponse(body, status_code=status)(scope, receive, send)

"""What every NGSI-LD endpoint shares: the caller's roles, the JSON-LD @context link and one way to answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request, Response
from fastapi.responses import JSONResponse

from smartcity.core.errors import AppError
from smartcity.core.security import Actor
from smartcity.iot.auth import integrator, signed_in
from smartcity.iot.ngsi import (
    CONTEXT_PATH,
    as_ngsi_error,
)

Reader = Annotated[Actor, Depends(signed_in)]
Writer = Annotated[Actor, Depends(integrator)]
JSON_LD = "application/ld+json"
T = TypeVar("T")


def _call(action: Callable[[], T]) -> T:
    """Run a service call, reporting its errors with NGSI-LD problem types."""
    try:
        return action()
    except AppError as error:
        raise as_ngsi_error(error) from None


def _link(request: Request) -> str:
    return f'<{_base(request)}{CONTEXT_PATH}>; rel="http://www.w3.org/ns/json-ld#context"; type="{JSON_LD}"'


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _respond(
    request: Request, body: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """JSON with a Link header to the @context, or JSON-LD with @context inline when asked for."""
    headers = dict(headers or {})
    if JSON_LD in request.headers.get("accept", ""):
        context = f"{_base(request)}{CONTEXT_PATH}"
        if isinstance(body, list):
            body = [{**item, "@context": context} for item in body]
        elif isinstance(body, dict):
            body = {**body, "@context": context}
        return JSONResponse(body, status_code=status, media_type=JSON_LD, headers=headers)
    headers["Link"] = _link(request)
    return JSONResponse(body, status_code=status, headers=headers)

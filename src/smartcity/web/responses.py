"""JSON responses built once: a service's Pydantic models serialised straight to bytes.

A route that returns a model lets FastAPI dump it, validate it again against `response_model` and encode it
(in a worker thread for a plain `def` route); returning `model_json(...)` serialises it once. Keep
`response_model=` on the route for the OpenAPI document.

    @router.get("/units", response_model=list[UnitRead])
    def units(...) -> Response:
        return model_json(service.units(...))
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter
from starlette.responses import Response

__all__ = ["model_json", "pdf_response"]


@cache
def _list_adapter(model: type[BaseModel]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def model_json(
    value: BaseModel | Sequence[BaseModel],
    *,
    status_code: int = 200,
    media_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> Response:
    """A response whose body is `value` (a model or a list of models of one class) serialised once."""
    if isinstance(value, BaseModel):
        body = value.__pydantic_serializer__.to_json(value)
    elif value:
        body = _list_adapter(type(value[0])).dump_json(list(value))
    else:
        body = b"[]"
    return Response(body, status_code=status_code, media_type=media_type, headers=headers)


def pdf_response(pdf: bytes, filename: str) -> Response:
    """A PDF shown inline."""
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'}
    )

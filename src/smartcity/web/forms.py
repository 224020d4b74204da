"""What a page form says when the service refuses it: the service's own words, first thing first."""

from __future__ import annotations

from smartcity.core.errors import AppError


def refusal_messages(exc: AppError) -> list[str]:
    """Every field message of a refusal, or its detail when it names no field."""
    errors = getattr(exc, "errors", None) or []
    return [str(error["message"]) for error in errors] or [exc.detail]


def fixable_by_the_user(exc: AppError) -> bool:
    """A refusal to show back on the form (not a missing page, a forbidden act or a server fault)."""
    return exc.status < 500 and exc.status not in (403, 404)

"""One error hierarchy for the platform; each error knows its HTTP status and renders as RFC 9457."""

from __future__ import annotations

from typing import Any, TypeVar

from smartcity.core.i18n import written_in_vietnamese

T = TypeVar("T")

PROBLEM_PATH = "/problems/"


class AppError(Exception):
    """Base of every error the platform raises on purpose."""

    status: int = 500
    slug: str = "internal-error"
    title: str = "Internal error"
    page_message: str | None = None  # what an error page tells a person instead of `detail` (Vietnamese)

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors or []
        self.headers = headers or {}
        self.extensions = extensions

    @property
    def message_for_people(self) -> str | None:
        """What an error page may tell a person: `page_message`, else the field messages or the `detail`
        written for people (the house writes those in Vietnamese); an English detail is the API's, for
        developers, and stays off pages, as does an internal one (a route, a field's code)."""
        return " ".join(self.sentences_for_people) or None

    @property
    def sentences_for_people(self) -> list[str]:
        """`message_for_people` sentence by sentence, each as written (Vietnamese), so that a page in another
        language translates each one on its own (`_(sentence)`): a sentence with variable parts is a
        `Phrase`, which the page's catalogue translates by its template."""
        if self.page_message:
            return [self.page_message]
        if said := self.errors_for_people:
            return [as_text(e["message"]) for e in said]
        return [self.detail] if written_in_vietnamese(self.detail) else []

    @property
    def errors_for_people(self) -> list[dict[str, Any]]:
        """The field errors whose message is written for people (in Vietnamese), each with its field."""
        return [e for e in self.errors if written_in_vietnamese(str(e.get("message", "")))]

    def type_uri(self, base_url: str = "") -> str:
        """The problem type URI (RFC 9457 `type`): a page of this server that describes the problem."""
        return base_url.rstrip("/") + PROBLEM_PATH + self.slug

    def to_problem(self, instance: str | None = None, base_url: str = "") -> dict[str, Any]:
        """The problem-details object for this error."""
        body: dict[str, Any] = {
            "type": self.type_uri(base_url),
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extensions)
        return body


class BadRequest(AppError):
    """The request cannot be understood (malformed body, bad parameter)."""

    status, slug, title = 400, "bad-request", "Bad request"


class Unauthorized(AppError):
    """No or wrong credentials."""

    status, slug, title = 401, "unauthorized", "Authentication required"


class Forbidden(AppError):
    """The caller is known but may not do this."""

    status, slug, title = 403, "forbidden", "Forbidden"


class NotFound(AppError):
    """The thing asked for does not exist."""

    status, slug, title = 404, "not-found", "Not found"


class MethodNotAllowed(AppError):
    """The address exists but does not accept this method."""

    status, slug, title = 405, "method-not-allowed", "Method not allowed"


class Conflict(AppError):
    """The request conflicts with the current state (duplicate, wrong state)."""

    status, slug, title = 409, "conflict", "Conflict"


class PayloadTooLarge(AppError):
    """An upload or body is larger than allowed."""

    status, slug, title = 413, "payload-too-large", "Payload too large"


class UnsupportedMediaType(AppError):
    """An upload or body of a type that is not accepted."""

    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class ValidationFailed(AppError):
    """The input is well-formed but its values are wrong; `errors` names each field."""

    status, slug, title = 422, "validation-failed", "Validation failed"

    @classmethod
    def for_field(cls, field: str, message: str) -> ValidationFailed:
        """A validation error about one field."""
        return cls(f"{field}: {message}", errors=[{"field": field, "message": message}])


class TooManyRequests(AppError):
    """The caller must slow down; `retry_after` seconds."""

    status, slug, title = 429, "too-many-requests", "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after: int = 1) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)}, retry_after=retry_after)


class ServiceUnavailable(AppError):
    """A dependency (the database, the broker) cannot be reached."""

    status, slug, title = 503, "service-unavailable", "Service unavailable"


def problem_types() -> dict[str, type[AppError]]:
    """Every problem type the platform answers with, by slug (for the /problems/{slug} pages)."""
    found: dict[str, type[AppError]] = {}
    pending: list[type[AppError]] = [AppError]
    while pending:
        cls = pending.pop()
        known = found.get(cls.slug)
        if known is None or len(cls.__mro__) < len(known.__mro__):
            found[cls.slug] = cls  # the most general class names the type
        pending.extend(cls.__subclasses__())
    return found


def as_text(value: Any) -> str:
    """A message as text, a `Phrase` kept whole (its template and parts), anything else as `str`."""
    return value if isinstance(value, str) else str(value)


def found_or_404(found: T | None, missing: str) -> T:
    """`found` itself; NotFound(`missing`) when it is None."""
    if found is None:
        raise NotFound(missing)
    return found

"""Who may call the IoT API: the accounts dependencies, plus device credentials for ingestion.

Every dependency here is built on `current_actor` (from smartcity.web.deps), so a test can stand in
for the caller by overriding that one dependency.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Depends, Header, Request

from smartcity.core.errors import Forbidden, Unauthorized
from smartcity.core.security import ANONYMOUS, Actor
from smartcity.web.deps import get_db

try:
    from smartcity.web.deps import current_actor
except ImportError:  # accounts not delivered yet: nobody is authenticated

    def current_actor() -> Actor:  # type: ignore[misc]
        """Stand-in until smartcity.web.deps exists: always the anonymous actor."""
        return ANONYMOUS


DEVICE_TOKEN_HEADER = "X-Device-Token"  # noqa: S105 (a header name)


def roles(*slugs: str) -> Callable[[Actor], Actor]:
    """A dependency: the caller, who must be signed in and hold one of `slugs` (admin holds all)."""

    def check(actor: Actor = Depends(current_actor)) -> Actor:
        if not actor.is_authenticated:
            raise Unauthorized("Sign in or send an API key")
        if not any(actor.has_role(slug) for slug in slugs):
            raise Forbidden(f"Needs one of the roles: {', '.join(slugs)}")
        return actor

    return check


def signed_in(actor: Actor = Depends(current_actor)) -> Actor:
    """The caller, who must be signed in (any role)."""
    if not actor.is_authenticated:
        raise Unauthorized("Sign in or send an API key")
    return actor


operator = roles("operator")
integrator = roles("integrator", "operator")


@dataclass(frozen=True)
class Sender:
    """Who sends telemetry: an integrator (any device) or one device with its own credentials."""

    actor: Actor
    device_id: str | None = None

    def may_send_for(self, device_id: str | None) -> bool:
        """True when this sender may speak for `device_id`."""
        return self.device_id is None or self.device_id == device_id


def telemetry_sender(
    request: Request,
    device_token: str | None = Header(default=None, alias=DEVICE_TOKEN_HEADER),
    actor: Actor = Depends(current_actor),
) -> Sender:
    """A device (X-Device-Token: <username>:<password>) or an integrator/operator."""
    if device_token:
        return _device_sender(request, device_token)
    if not actor.is_authenticated:
        raise Unauthorized(f"Send {DEVICE_TOKEN_HEADER} or an integrator's credentials")
    if not (actor.has_role("integrator") or actor.has_role("operator")):
        raise Forbidden("Needs the integrator role or device credentials")
    return Sender(actor)


def _device_sender(request: Request, token: str) -> Sender:
    from smartcity.iot.service import authenticate_device

    username, _, password = token.partition(":")
    device = authenticate_device(get_db(request), username=username, password=password)
    if device is None:
        raise Unauthorized("Unknown or wrong device credentials")
    return Sender(Actor(kind="device", name=device.id), device.id)

"""Per-client rate limits on public writes (reports, lookups, sign-in, uploads), as pure ASGI middleware.

The client is the address the accounts domain resolves (X-Forwarded-For only from a trusted proxy). Each rule
is a limit in the `limits` library's notation ("20/minute") over a set of "METHOD /path" patterns (fnmatch);
a refused request gets 429 with Retry-After, as problem+json or, on a page, a Vietnamese message. Counters are
kept in the `limits` storage named by SMARTCITY_RATE_LIMIT_STORAGE_URI (memory by default: one process).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Mapping
from fnmatch import translate

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from smartcity.core.config import Settings
from smartcity.core.errors import TooManyRequests
from smartcity.core.i18n import Phrase

UPLOAD_TYPE = "multipart/form-data"


class RateRule(BaseModel):
    """One limit shared by the routes it names ("POST /api/v1/feedback/reports"; fnmatch patterns)."""

    limit: str = Field(description="How many requests per period, e.g. 20/minute")
    routes: list[str] = Field(default_factory=list, description="METHOD /path patterns the limit counts")
    uploads: bool = Field(default=False, description="Count every multipart (upload) request instead")


def _default_rules() -> dict[str, RateRule]:
    return {
        "sign-in": RateRule(
            limit="30/minute",
            routes=[
                "POST /api/v1/auth/token",
                "POST /api/v1/auth/sign-in-link",
                "POST /login",
                "POST /fhir/R4/auth/token",
            ],
        ),
        "reports": RateRule(
            limit="20/minute",
            routes=["POST /api/v1/feedback/reports", "POST /phan-anh/gui", "POST /open311/v2/requests.*"],
        ),
        "lookup": RateRule(limit="30/minute", routes=["POST /api/v1/dossiers/lookup", "POST /tra-cuu"]),
        "uploads": RateRule(limit="60/minute", uploads=True),
    }


class RateLimitSettings(BaseSettings):
    """The limits (SMARTCITY_RATE_LIMIT_*): rules by name and where the counters live."""

    model_config = SettingsConfigDict(env_prefix="SMARTCITY_RATE_LIMIT_", env_file=".env", extra="ignore")

    enabled: bool = True
    storage_uri: str = Field(default="memory://", description="limits storage: memory://, redis://host...")
    rules: dict[str, RateRule] = Field(default_factory=_default_rules)


def _client_address(settings: Settings, scope: Scope) -> str:
    """The client as the accounts domain resolves it (trusted proxies only), or the peer."""
    from smartcity.domains import identity_service

    peer = scope["client"][0] if scope.get("client") else None
    headers: Mapping[str, str] = {
        k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]
    }
    address = identity_service().client_address(settings, peer=peer, headers=headers)
    return str(address or "unknown")


def _routes_pattern(routes: list[str]) -> re.Pattern[str] | None:
    """One compiled pattern for a rule's fnmatch patterns (case-sensitive, like fnmatchcase)."""
    return re.compile("|".join(f"(?:{translate(route)})" for route in routes)) if routes else None


def _is_upload(scope: Scope) -> bool:
    content_type = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1")
    return content_type.startswith(UPLOAD_TYPE)


class RateLimit:
    """Refuse a client's request with 429 once it passes the limit of a rule that covers the route."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        config = settings.section(RateLimitSettings)
        self.enabled = config.enabled
        self.rules: list[tuple[str, RateRule, RateLimitItem, re.Pattern[str] | None]] = [
            (name, rule, parse(rule.limit), _routes_pattern(rule.routes))
            for name, rule in config.rules.items()
        ]
        self.limiter = MovingWindowRateLimiter(storage_from_string(config.storage_uri))

    def rules_for(self, scope: Scope) -> list[tuple[str, RateLimitItem]]:
        """The rules (name, limit) that count this request."""
        target = f"{scope['method']} {scope['path']}"
        matched = []
        for name, rule, item, pattern in self.rules:
            if rule.uploads:
                hit = scope["method"] in ("POST", "PUT") and _is_upload(scope)
            else:
                hit = pattern is not None and pattern.match(target) is not None
            if hit:
                matched.append((name, item))
        return matched

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.enabled:
            await self.app(scope, receive, send)
            return
        rules = self.rules_for(scope)
        if rules:
            client = _client_address(self.settings, scope)
            for name, item in rules:
                if not self.limiter.hit(item, name, client):
                    await self._refuse(scope, receive, send, item, name, client)
                    return
        await self.app(scope, receive, send)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, item: RateLimitItem, name: str, client: str
    ) -> None:
        from smartcity.web.problems import problem_response

        reset_at, _remaining = self.limiter.get_window_stats(item, name, client)
        retry_after = max(1, math.ceil(reset_at - time.time()))
        error = TooManyRequests(
            Phrase(
                "Quá nhiều yêu cầu từ địa chỉ của bạn; vui lòng thử lại sau {seconds} giây.",
                seconds=retry_after,
            ),
            retry_after=retry_after,
        )
        response = problem_response(Request(scope, receive), error)
        response.headers["Retry-After"] = str(retry_after)
        await response(scope, receive, send)

"""Prometheus metrics shared by every process; `/metrics` exposes them."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

HTTP_REQUESTS = Counter(
    "smartcity_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "smartcity_http_request_seconds", "Time to answer an HTTP request", ["method", "route"]
)
OUTBOX_DISPATCHED = Counter("smartcity_outbox_dispatched_total", "Outbox events dispatched")


def render_latest() -> tuple[bytes, str]:
    """The exposition text and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST

"""Events notifications publish."""

from __future__ import annotations

from dataclasses import dataclass

from smartcity.core.events import Event, register_event


@register_event("notifications.MessageAcknowledged")
@dataclass(frozen=True)
class MessageAcknowledged(Event):
    """A person acknowledged a notification."""

    message_id: int
    by: str
    at: str

"""Events notifications publish."""

from __future__ import annotations

from smartcity.core.events import Event, register_event


@register_event("notifications.MessageAcknowledged")
class MessageAcknowledged(Event):
    """A person acknowledged a notification."""

    message_id: int
    by: str
    at: str

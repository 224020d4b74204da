"""Domain events: frozen dataclasses, registered by name so that the outbox can store and replay them."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, ClassVar, TypeVar, dataclass_transform

_REGISTRY: dict[str, type[Event]] = {}

E = TypeVar("E", bound="Event")


@dataclasses.dataclass(frozen=True)
class Event:
    """Base of every domain event; subclasses are frozen dataclasses named in the past tense."""

    name: ClassVar[str] = "event"

    def to_payload(self) -> dict[str, Any]:
        """A JSON-ready dict of the event's fields."""
        return {k: _to_json(v) for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_payload(cls: type[E], payload: dict[str, Any]) -> E:
        """Rebuild the event from its stored payload."""
        return cls(**payload)


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    return value


@dataclass_transform(frozen_default=True)
def register_event(name: str) -> Callable[[type[E]], type[E]]:
    """Class decorator: make an event a frozen dataclass, give it its stable name (`<domain>.<EventName>`)
    and register it."""

    def decorate(cls: type[E]) -> type[E]:
        if "__dataclass_fields__" not in cls.__dict__:
            cls = dataclasses.dataclass(frozen=True)(cls)
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ValueError(f"event name {name!r} registered twice")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return decorate


def event_class(name: str) -> type[Event]:
    """The event class registered under `name`."""
    return _REGISTRY[name]

"""One extension mechanism: named implementations of an extension point, chosen by name in settings.

    payment_providers: Registry[PaymentProvider] = Registry("payment provider")

    @payment_providers.register("sandbox")
    class SandboxPayments(PaymentProvider): ...

    provider = payment_providers.create(settings.section(DossierSettings).payment_provider, ...)

Each extension point is a `Registry` object owned by the domain that defines the base class; entries
register at import time of the module that defines them; a kind is registered once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from smartcity.core.errors import ServiceUnavailable

T = TypeVar("T")

_ALL: dict[str, Registry[Any]] = {}


class UnknownExtension(ServiceUnavailable):
    """Settings name an implementation that no module registered."""


class Registry(Generic[T]):
    """Named implementations of one extension point."""

    def __init__(self, kind: str) -> None:
        if kind in _ALL:
            raise ValueError(f"extension point {kind!r} defined twice")
        self.kind = kind
        self._entries: dict[str, T] = {}
        _ALL[kind] = self

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: register the decorated class or function under `name`."""

        def decorate(entry: T) -> T:
            self.add(name, entry)
            return entry

        return decorate

    def add(self, name: str, entry: T) -> None:
        """Register `entry` under `name` (again with the same entry is harmless)."""
        if name in self._entries and self._entries[name] is not entry:
            raise ValueError(f"{self.kind} {name!r} registered twice")
        self._entries[name] = entry

    def get(self, name: str) -> T:
        """The entry registered under `name`; UnknownExtension (503) naming the known ones otherwise."""
        try:
            return self._entries[name]
        except KeyError:
            known = ", ".join(sorted(self._entries)) or "none"
            raise UnknownExtension(f"No {self.kind} named {name!r} (known: {known}).") from None

    def create(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call the entry registered under `name` (a class or factory) with these arguments."""
        factory: Any = self.get(name)
        return factory(*args, **kwargs)

    def names(self) -> list[str]:
        """The registered names, sorted."""
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[tuple[str, T]]:
        return iter(sorted(self._entries.items()))

"""Who is acting: the Actor every service receives, whether a person, an API key or the system."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

ROLE_SLUGS = (
    "citizen",
    "clerk",
    "specialist",
    "head",
    "leader",
    "operator",
    "admin",
    "integrator",
    "health_worker",
    "health_manager",
)


SYSTEM_SHOWN_NAME = "Hệ thống"  # how a stored "who" names the platform itself (see Actor.shown_name)


@dataclass(frozen=True)
class Actor:
    """The caller of a service, with its roles scoped to org units (unit None = any unit)."""

    kind: str  # "user", "apikey", "system", "anonymous"
    name: str
    user_id: int | None = None
    roles: frozenset[tuple[str, str | None]] = field(default_factory=frozenset)
    # The person's full name when the actor is a user (read with the roles; not part of its identity).
    full_name: str = field(default="", compare=False)

    @property
    def label(self) -> str:
        """How the audit log names this actor."""
        return f"{self.kind}:{self.name}"

    @property
    def shown_name(self) -> str:
        """How pages name who did something: the person's or key's name, or "Hệ thống" for the platform."""
        return SYSTEM_SHOWN_NAME if self.kind == "system" else self.name

    @property
    def is_authenticated(self) -> bool:
        """False only for the anonymous actor."""
        return self.kind != "anonymous"

    def has_role(self, role: str, unit: str | None = None) -> bool:
        """True if the actor holds `role` (in `unit`, when given); admin holds every role everywhere."""
        for held_role, held_unit in self.roles:
            if held_role == "admin":
                return True
            if held_role == role and (unit is None or held_unit is None or held_unit == unit):
                return True
        return False

    def has_role_in(self, role: str, units: Iterable[str]) -> bool:
        """True if the actor holds `role` city-wide or in a unit whose code is, or begins with, one of `units`
        (org-unit codes or code prefixes, e.g. "TDM-TCKH", "UBND-"); admin holds every role everywhere."""
        prefixes = tuple(units)
        return self.has_role("admin") or any(
            self.has_role(role, unit)
            for unit in self.units_for(role)
            if unit is None or unit.startswith(prefixes)
        )

    def units_for(self, role: str) -> set[str | None]:
        """The org units in which the actor holds `role`."""
        return {unit for held_role, unit in self.roles if held_role == role}

    @classmethod
    def system(cls, name: str) -> Actor:
        """The platform itself acting (loaders, timers), with every right."""
        return cls(kind="system", name=name, roles=frozenset({("admin", None)}))


ANONYMOUS = Actor(kind="anonymous", name="anonymous")

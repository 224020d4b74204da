"""The small base class every device type plug-in derives from: telemetry keys, commands, FIWARE type."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

NUMBER, BOOLEAN, TEXT, ENUM = "number", "boolean", "text", "enum"
PLAIN_NUMBERS = frozenset((int, float))


@dataclass(frozen=True)
class TelemetryKey:
    """One value a device reports: its unit (UN/CEFACT or SI symbol), physical range and kind; `label` is
    its Vietnamese name on staff pages (empty: the pages fall back to `description`, then the name)."""

    name: str
    unit: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    kind: str = NUMBER
    choices: tuple[str, ...] = ()
    description: str = ""
    label: str = ""

    def check(self, value: Any) -> str | None:
        """None if `value` is acceptable for this key, else why it is not."""
        if self.kind == NUMBER:
            return self._check_number(value)
        if self.kind == BOOLEAN:
            return None if isinstance(value, bool) else "expected true or false"
        if self.kind in (TEXT, ENUM):
            if not isinstance(value, str) or len(value) > 200:
                return "expected a short text"
            return None if self.kind == TEXT or value in self.choices else f"expected one of {self.choices}"
        return self._check_number(value)

    def _check_number(self, value: Any) -> str | None:
        plain = type(value) in PLAIN_NUMBERS  # the common case, without the bool and subclass tests
        if not plain and (isinstance(value, bool) or not isinstance(value, int | float)):
            return "expected a finite number"
        if not math.isfinite(value):
            return "expected a finite number"
        if self.minimum is not None and value < self.minimum:
            return f"{value} is below the physical minimum {self.minimum}"
        if self.maximum is not None and value > self.maximum:
            return f"{value} is above the physical maximum {self.maximum}"
        return None


@dataclass(frozen=True)
class CommandParam:
    """A parameter of a command, checked like a telemetry value."""

    key: TelemetryKey
    required: bool = True


@dataclass(frozen=True)
class CommandSpec:
    """A command a device type accepts, with its parameters."""

    name: str
    description: str = ""
    params: tuple[CommandParam, ...] = field(default_factory=tuple)

    def check(self, params: dict[str, Any]) -> list[str]:
        """Problems with `params` for this command (empty when they are fine)."""
        known = {p.key.name: p for p in self.params}
        problems = [f"unknown parameter {name!r}" for name in params if name not in known]
        for name, param in known.items():
            if name not in params:
                if param.required:
                    problems.append(f"missing parameter {name!r}")
                continue
            reason = param.key.check(params[name])
            if reason:
                problems.append(f"{name}: {reason}")
        return problems


class DeviceType:
    """Base of device type plug-ins; a subclass sets the class attributes below."""

    slug: ClassVar[str] = ""
    label: ClassVar[str] = ""
    sdm_type: ClassVar[str] = "Device"
    sdm_data_model: ClassVar[str] = "https://smartdatamodels.org/dataModel.Device/Device"
    keys: ClassVar[tuple[TelemetryKey, ...]] = ()
    commands: ClassVar[tuple[CommandSpec, ...]] = ()
    state_keys: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def key(cls, name: str) -> TelemetryKey | None:
        """The telemetry key called `name`, or None (found by name in a dict built once per type)."""
        return _keys_by_name(cls).get(name)

    @classmethod
    def command(cls, name: str) -> CommandSpec | None:
        """The command called `name`, or None."""
        return next((c for c in cls.commands if c.name == name), None)

    @classmethod
    def check_values(cls, values: dict[str, Any]) -> list[str]:
        """Problems with a message's values for this type (empty when they are all acceptable)."""
        keys, problems = _keys_by_name(cls), []
        for name, value in values.items():
            spec = keys.get(name)
            if spec is None:
                problems.append(f"unknown key {name!r}")
                continue
            reason = spec.check(value)
            if reason:
                problems.append(f"{name}: {reason}")
        return problems

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """A JSON description of the type for the API and documentation."""
        return {
            "slug": cls.slug,
            "label": cls.label,
            "sdm_type": cls.sdm_type,
            "sdm_data_model": cls.sdm_data_model,
            "keys": [_describe_key(k) for k in cls.keys],
            "commands": [
                {
                    "name": c.name,
                    "description": c.description,
                    "params": [dict(_describe_key(p.key), required=p.required) for p in c.params],
                }
                for c in cls.commands
            ],
        }


_KEYS_BY_TYPE: dict[type[DeviceType], dict[str, TelemetryKey]] = {}


def _keys_by_name(device_type: type[DeviceType]) -> dict[str, TelemetryKey]:
    """The type's telemetry keys by name, built on first use (the keys are class constants)."""
    found = _KEYS_BY_TYPE.get(device_type)
    if found is None:
        found = _KEYS_BY_TYPE[device_type] = {k.name: k for k in device_type.keys}
    return found


def _describe_key(key: TelemetryKey) -> dict[str, Any]:
    return {
        "name": key.name,
        "unit": key.unit,
        "minimum": key.minimum,
        "maximum": key.maximum,
        "kind": key.kind,
        "choices": list(key.choices),
        "description": key.description,
    }

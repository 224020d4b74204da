"""Device type plug-ins: one module a type, each exposing DEVICE_TYPE; others via entry points.

All of them are entries of the "device type" registry (core.registry), the one extension mechanism."""

from __future__ import annotations

import importlib
from functools import lru_cache
from importlib.metadata import entry_points

from smartcity.core.errors import ValidationFailed
from smartcity.core.registry import Registry
from smartcity.iot.device_types.base import DeviceType

BUILTIN_MODULES = (
    "generic",
    "streetlight",
    "streetlight_cabinet",
    "waste_container",
    "traffic_flow",
    "air_quality",
    "flood_sensor",
    "streetlight_group",
    "camera",
)
ENTRY_POINT_GROUP = "smartcity.device_types"
device_type_registry: Registry[type[DeviceType]] = Registry("device type")


@lru_cache(maxsize=1)
def device_types() -> dict[str, type[DeviceType]]:
    """Every known device type by slug: the built-in modules, then installed plug-ins (a plug-in may not
    take a built-in's slug)."""
    for name in BUILTIN_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        device_type_registry.add(module.DEVICE_TYPE.slug, module.DEVICE_TYPE)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        plugin = entry.load()
        device_type_registry.add(plugin.slug, plugin)
    return dict(device_type_registry)


def get_device_type(slug: str) -> type[DeviceType]:
    """The device type called `slug`; a validation error naming the known ones otherwise."""
    known = device_types()
    if slug not in known:
        raise ValidationFailed.for_field("type", f"unknown device type {slug!r}; known: {', '.join(known)}")
    return known[slug]


def type_for_sdm(sdm_type: str) -> type[DeviceType] | None:
    """The device type mapped to a FIWARE Smart Data Models type name (e.g. 'Streetlight')."""
    return next((t for t in device_types().values() if t.sdm_type == sdm_type), None)

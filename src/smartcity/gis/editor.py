"""The staff map editor's form: turning submitted text fields into a typed feature correction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from smartcity.core.errors import ValidationFailed
from smartcity.core.i18n import Phrase
from smartcity.gis.schemas import FeatureOut, LayerRead

PROPERTY_PREFIX = "p_"


@dataclass(frozen=True)
class Correction:
    """What the editor form asks to change: properties, a moved point, the version seen, the reason."""

    properties: dict[str, Any]
    geometry: dict[str, Any] | None
    expected_version: int | None
    reason: str


def _typed(name: str, kind: str, text: str) -> Any:
    text = text.strip()
    if text == "":
        return None
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text.replace(",", "."))
        if kind == "boolean":
            return text.lower() in ("true", "1", "yes", "on", "có")
        if kind == "date":
            return date.fromisoformat(text).isoformat()
    except ValueError as exc:
        raise ValidationFailed.for_field(
            name, Phrase("{text} không phải giá trị kiểu {kind}", text=repr(text), kind=kind)
        ) from exc
    return text


def _moved_point(feature: FeatureOut, form: Mapping[str, str]) -> dict[str, Any] | None:
    geometry = feature.geometry or {}
    if geometry.get("type") != "Point" or not (form.get("lon") and form.get("lat")):
        return None
    try:
        lon, lat = float(form["lon"]), float(form["lat"])
    except ValueError as exc:
        raise ValidationFailed.for_field("lon", "Kinh độ, vĩ độ phải là số") from exc
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationFailed.for_field("lon", "Kinh độ, vĩ độ nằm ngoài phạm vi")
    old = geometry.get("coordinates") or [None, None]
    if abs(lon - float(old[0])) < 1e-9 and abs(lat - float(old[1])) < 1e-9:
        return None
    return {"type": "Point", "coordinates": [lon, lat]}


def correction_from_form(layer: LayerRead, feature: FeatureOut, form: Mapping[str, str]) -> Correction:
    """The changes the form makes to a feature (only the attributes whose value changed)."""
    reason = (form.get("reason") or "").strip()
    if not reason:
        raise ValidationFailed.for_field("reason", "Cần ghi lý do chỉnh sửa")
    changed: dict[str, Any] = {}
    for field in layer.properties_schema:
        name = field["name"]
        if PROPERTY_PREFIX + name not in form:
            continue
        value = _typed(name, field.get("type", "string"), form[PROPERTY_PREFIX + name])
        if value != feature.properties.get(name):
            changed[name] = value
    version = form.get("version", "")
    return Correction(
        properties=changed,
        geometry=_moved_point(feature, form),
        expected_version=int(version) if version.isdigit() else None,
        reason=reason,
    )

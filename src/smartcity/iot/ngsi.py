"""NGSI-LD (ETSI GS CIM 009) over the device registry and latest state: entities, q, geo-queries.

An entity is a device: id `urn:ngsi-ld:<Smart Data Models type>:<device id>`, type the FIWARE Smart Data
Models name of its device type, `location` a GeoProperty, one Property per telemetry key holding the latest
value with its `observedAt` and `unitCode`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shapely.geometry import Point, shape

from smartcity.core.errors import AppError
from smartcity.iot.device_types import device_types
from smartcity.iot.models import Device

ETSI_ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"
CORE_CONTEXT = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
CONTEXT_PATH = "/ngsi-ld/v1/context.jsonld"
URN_PREFIX = "urn:ngsi-ld:"
EARTH_RADIUS_M = 6_371_008.8
UNIT_CODES = {  # UN/CEFACT common codes of the units the device types declare
    "%": "P1",
    "W": "WTT",
    "kW": "KWT",
    "kWh": "KWH",
    "lx": "LUX",
    "V": "VLT",
    "A": "AMP",
    "Cel": "CEL",
    "dBm": "2Q",
    "µg/m³": "GQ",
    "km/h": "KMH",
    "ratio": "C62",
    "vehicles": "E08",
}
DEVICE_ATTRIBUTES = ("name", "serialNumber", "modelName", "areaServed", "deviceState", "dateInstalled")


class NgsiError(AppError):
    """An error reported with its ETSI NGSI-LD problem type."""

    etsi = "InternalError"

    def type_uri(self, base_url: str = "") -> str:
        """The ETSI error type URI."""
        return ETSI_ERRORS + self.etsi


class BadRequestData(NgsiError):
    """The request or its data is wrong."""

    status, slug, title, etsi = 400, "bad-request", "Bad request data", "BadRequestData"


class InvalidRequest(NgsiError):
    """The request is not valid JSON or not a well-formed NGSI-LD request."""

    status, slug, title, etsi = 400, "bad-request", "Invalid request", "InvalidRequest"


class ResourceNotFound(NgsiError):
    """No such entity."""

    status, slug, title, etsi = 404, "not-found", "Resource not found", "ResourceNotFound"


class AlreadyExists(NgsiError):
    """The entity exists already."""

    status, slug, title, etsi = 409, "conflict", "Already exists", "AlreadyExists"


class OperationNotSupported(NgsiError):
    """This broker does not support the operation asked for."""

    status, slug, title, etsi = 422, "validation-failed", "Operation not supported", "OperationNotSupported"


class LdContextNotAvailable(NgsiError):
    """The request names a remote @context; this broker never fetches one."""

    status, slug, title, etsi = 503, "service-unavailable", "@context not available", "LdContextNotAvailable"


def as_ngsi_error(error: AppError) -> NgsiError:
    """The NGSI-LD form of a platform error (keeps detail and headers)."""
    if isinstance(error, NgsiError):
        return error
    kind: type[NgsiError] = {404: ResourceNotFound, 409: AlreadyExists}.get(error.status, BadRequestData)
    if error.status in (401, 403):
        return _passthrough(error)
    return kind(error.detail, errors=error.errors)


def _passthrough(error: AppError) -> NgsiError:
    converted = NgsiError(error.detail, headers=error.headers)
    converted.status, converted.title, converted.etsi = (
        error.status,
        error.title,
        ("NoAuthentication" if error.status == 401 else "NotAuthorized"),
    )
    return converted


# ---------------------------------------------------------------- @context (CIM 009 §5.5.7, §6.3.5)

CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"
_CORE_CONTEXT_URL = re.compile(r"https://uri\.etsi\.org/ngsi-ld/v1/ngsi-ld-core-context(-v1\.\d+)?\.jsonld")


def check_context(context: Any, base_url: str) -> None:
    """Accept an @context this broker understands without fetching anything; refuse any other.

    Known: the ETSI core context (any published version) and this broker's own context; an inline
    object may add terms but not give this broker's terms another meaning. Any other URL would have to
    be downloaded, which this broker never does (LdContextNotAvailable, 503).
    """
    ours = context_document(base_url)["@context"]
    for entry in context if isinstance(context, list) else [context]:
        if isinstance(entry, str):
            if not (_CORE_CONTEXT_URL.fullmatch(entry) or entry.endswith(CONTEXT_PATH)):
                raise LdContextNotAvailable(
                    f"@context {entry!r} is not fetched here: use {base_url.rstrip('/')}{CONTEXT_PATH}"
                    " or the ETSI core context"
                )
        elif isinstance(entry, dict):
            _check_inline_terms(entry, ours)
        else:
            raise BadRequestData("@context must be a URL, an object or an array of them")


def _check_inline_terms(inline: dict[str, Any], ours: dict[str, Any]) -> None:
    for term, meaning in inline.items():
        if term in ours and _iri(meaning) != _iri(ours[term]):
            raise BadRequestData(
                f"@context gives {term!r} the meaning {_iri(meaning)!r}; here it is {_iri(ours[term])!r}"
            )


def _iri(meaning: Any) -> Any:
    return meaning.get("@id") if isinstance(meaning, dict) else meaning


def link_context(link_header: str | None) -> str | None:
    """The URL of a JSON-LD context Link header (rel=http://www.w3.org/ns/json-ld#context), if any."""
    for link in (link_header or "").split(","):
        target, _, params = link.partition(";")
        if CONTEXT_REL in params and target.strip().startswith("<"):
            return target.strip()[1:-1]
    return None


def context_document(base_url: str) -> dict[str, Any]:
    """The @context this broker serves locally: the core terms used here and the Smart Data Models terms."""
    terms: dict[str, Any] = {
        "ngsi-ld": "https://uri.etsi.org/ngsi-ld/",
        "id": "@id",
        "type": "@type",
        "Property": "ngsi-ld:Property",
        "GeoProperty": "ngsi-ld:GeoProperty",
        "Relationship": "ngsi-ld:Relationship",
        "value": "ngsi-ld:hasValue",
        "object": "ngsi-ld:hasObject",
        "observedAt": {"@id": "ngsi-ld:observedAt", "@type": "DateTime"},
        "unitCode": "ngsi-ld:unitCode",
        "location": "ngsi-ld:location",
        "createdAt": "ngsi-ld:createdAt",
        "modifiedAt": "ngsi-ld:modifiedAt",
        "DateTime": "ngsi-ld:DateTime",
        "Point": "https://purl.org/geojson/vocab#Point",
        "coordinates": {"@container": "@list", "@id": "https://purl.org/geojson/vocab#coordinates"},
        "sdm": "https://smartdatamodels.org/",
    }
    for kind in device_types().values():
        base = kind.sdm_data_model.rsplit("/", 1)[0]
        terms[kind.sdm_type] = kind.sdm_data_model
        for key in kind.keys:
            terms.setdefault(key.name, f"{base}/{key.name}")
    for name in DEVICE_ATTRIBUTES:
        terms.setdefault(name, f"https://smartdatamodels.org/{name}")
    return {"@context": terms, "comment": f"Served by this platform at {base_url.rstrip('/')}{CONTEXT_PATH}"}


def entity_id(device: Device) -> str:
    """The NGSI-LD id of a device."""
    return f"{URN_PREFIX}{device_types()[device.type].sdm_type}:{device.id}"


def device_id_of(entity: str) -> str:
    """The device id inside an NGSI-LD entity id (or the id itself when it is a plain device id)."""
    if entity.startswith(URN_PREFIX):
        parts = entity[len(URN_PREFIX) :].split(":", 1)
        if len(parts) == 2 and parts[1]:
            return parts[1]
        raise BadRequestData(f"{entity!r} is not urn:ngsi-ld:<type>:<id>")
    if "://" in entity or ":" not in entity:
        raise BadRequestData(f"{entity!r} is not a URI")
    return entity


def short_type(name: str) -> str:
    """A type name as given or expanded (https://smartdatamodels.org/.../Streetlight → Streetlight)."""
    return re.split(r"[/#]", name)[-1]


def build_entity(
    device: Device,
    state: dict[str, tuple[Any, datetime]],
    *,
    attrs: set[str] | None = None,
    key_values: bool = False,
) -> dict[str, Any]:
    """The entity of a device in normalized or keyValues form, limited to `attrs` when given."""
    kind = device_types()[device.type]
    entity: dict[str, Any] = {"id": entity_id(device), "type": kind.sdm_type}
    properties: dict[str, tuple[Any, datetime | None, str | None]] = {
        name: (value, None, None) for name, value in _device_properties(device).items() if value is not None
    }
    for key, (value, seen) in state.items():
        spec = kind.key(key)
        properties[key] = (value, seen, UNIT_CODES.get(spec.unit or "") if spec else None)
    for name, target in (device.relationships or {}).items():
        if attrs is None or name in attrs:
            properties[name] = (Relationship(target), None, None)
    if device.lon is not None and device.lat is not None and (attrs is None or "location" in attrs):
        point = {"type": "Point", "coordinates": [device.lon, device.lat]}
        entity["location"] = point if key_values else {"type": "GeoProperty", "value": point}
    for name, (value, observed, unit) in sorted(properties.items()):
        if attrs is not None and name not in attrs:
            continue
        if isinstance(value, Relationship):
            entity[name] = str(value) if key_values else {"type": "Relationship", "object": str(value)}
        else:
            entity[name] = value if key_values else _property(value, observed, unit)
    return entity


class Relationship(str):
    """The target URI of a Relationship attribute (kept apart from Property values)."""


def _device_properties(device: Device) -> dict[str, Any]:
    return {
        "name": device.name,
        "serialNumber": device.serial,
        "modelName": device.model,
        "areaServed": device.ward_code,
        "deviceState": device.status,
        "dateInstalled": device.installed_on.isoformat() if device.installed_on else None,
    }


def _property(value: Any, observed: datetime | None, unit: str | None) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "Property", "value": value}
    if observed is not None:
        item["observedAt"] = observed.isoformat().replace("+00:00", "Z")
    if unit:
        item["unitCode"] = unit
    return item


def relationships_of(entity: dict[str, Any]) -> dict[str, str]:
    """The Relationship attributes of an entity or attribute set: name → target URI."""
    found: dict[str, str] = {}
    for name, attribute in entity.items():
        if isinstance(attribute, dict) and attribute.get("type") == "Relationship":
            target = attribute.get("object")
            if not isinstance(target, str):
                raise BadRequestData(f"relationship {name!r} needs an object URI")
            found[name] = target
    return found


def key_values_of(entity: dict[str, Any]) -> dict[str, Any]:
    """Property values of an entity in either form, without id, type, @context and Relationships."""
    values: dict[str, Any] = {}
    for name, attribute in entity.items():
        if name in ("id", "type", "@context", "scope"):
            continue
        if isinstance(attribute, dict) and attribute.get("type") == "Relationship":
            continue
        if isinstance(attribute, dict) and attribute.get("type") in ("Property", "GeoProperty"):
            values[name] = attribute.get("value")
        else:
            values[name] = attribute
    return values


def observed_at(entity_or_attrs: dict[str, Any]) -> str | None:
    """The latest observedAt among the attributes, if any carries one."""
    stamps = [
        a["observedAt"]
        for a in entity_or_attrs.values()
        if isinstance(a, dict) and isinstance(a.get("observedAt"), str)
    ]
    return max(stamps) if stamps else None


# ---------------------------------------------------------------- q (CIM 009 §4.9)

Predicate = Callable[[dict[str, Any]], bool]
_BARE_VALUE = re.compile(r"[\w:.+\-/]+")  # dates, times and URIs may go unquoted
_TERM = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(==|!=|>=|<=|>|<|~=|!~=)?\s*(.*?)\s*$", re.S)


def parse_q(query: str) -> Predicate:
    """A predicate over an entity's key-values for an NGSI-LD q expression (; and, | or, parentheses)."""
    try:
        predicate, rest = _parse_or(query.strip())
    except (ValueError, IndexError, re.error) as exc:
        raise BadRequestData(f"q: {exc}") from None
    if rest.strip():
        raise BadRequestData(f"q: unexpected {rest!r}")
    return predicate


def _parse_or(text: str) -> tuple[Predicate, str]:
    left, rest = _parse_and(text)
    while rest.startswith("|"):
        right, rest = _parse_and(rest[1:])
        left = (lambda a, b: lambda e: a(e) or b(e))(left, right)
    return left, rest


def _parse_and(text: str) -> tuple[Predicate, str]:
    left, rest = _parse_atom(text)
    while rest.startswith(";"):
        right, rest = _parse_atom(rest[1:])
        left = (lambda a, b: lambda e: a(e) and b(e))(left, right)
    return left, rest


def _parse_atom(text: str) -> tuple[Predicate, str]:
    text = text.lstrip()
    if text.startswith("("):
        inner, rest = _parse_or(text[1:])
        if not rest.startswith(")"):
            raise ValueError("missing ')'")
        return inner, rest[1:].lstrip()
    end = _term_end(text)
    return _term(text[:end]), text[end:].lstrip()


def _term_end(text: str) -> int:
    quoted = False
    for i, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif not quoted and char in ";|)":
            return i
    return len(text)


def _term(text: str) -> Predicate:
    match = _TERM.match(text)
    if not match:
        raise ValueError(f"cannot read the term {text!r}")
    name, op, raw = match.groups()
    if op is None:
        if raw:
            raise ValueError(f"cannot read the term {text!r}")
        return lambda e: e.get(name) is not None
    if op in ("~=", "!~="):
        pattern = re.compile(_literal(raw))
        found = lambda e: isinstance(e.get(name), str) and bool(pattern.search(e[name]))  # noqa: E731
        return found if op == "~=" else (lambda e: e.get(name) is not None and not found(e))
    return _comparison(name, op, raw)


def _comparison(name: str, op: str, raw: str) -> Predicate:
    if ".." in raw and not raw.startswith('"') and op in ("==", "!="):
        low, high = (_literal(v) for v in raw.split("..", 1))
        inside = lambda e: _compare(e.get(name), low, ">=") and _compare(e.get(name), high, "<=")  # noqa: E731
        return inside if op == "==" else (lambda e: e.get(name) is not None and not inside(e))
    if "," in raw and op in ("==", "!="):
        options = [_literal(v) for v in _split_list(raw)]
        member = lambda e: any(_compare(e.get(name), o, "==") for o in options)  # noqa: E731
        return member if op == "==" else (lambda e: e.get(name) is not None and not member(e))
    value = _literal(raw)
    return lambda e: _compare(e.get(name), value, op)


def _split_list(raw: str) -> list[str]:
    items, current, quoted = [], "", False
    for char in raw:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            items.append(current)
            current = ""
        else:
            current += char
    return [*items, current]


def _literal(raw: str) -> Any:
    raw = raw.strip()
    if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
        return raw[1:-1]
    if raw in ("true", "false"):
        return raw == "true"
    try:
        return json.loads(raw)
    except ValueError:
        pass
    if not _BARE_VALUE.fullmatch(raw):
        raise ValueError(f"cannot read the value {raw!r} (quote text values)")
    return raw


def _compare(actual: Any, expected: Any, op: str) -> bool:
    if actual is None:
        return False
    if isinstance(actual, bool) or isinstance(expected, bool):
        return op in ("==", "!=") and ((actual == expected) == (op == "=="))
    if isinstance(actual, int | float) != isinstance(expected, int | float):
        return op == "!="
    operations: dict[str, Callable[[Any, Any], bool]] = {
        "==": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
    }
    return operations[op](actual, expected)


# ---------------------------------------------------------------- geo-queries (CIM 009 §4.10)


@dataclass(frozen=True)
class GeoQuery:
    """georel + geometry + coordinates, evaluated against device locations."""

    relation: str
    geometry: Any
    max_distance: float | None = None
    min_distance: float | None = None

    @classmethod
    def parse(cls, georel: str | None, geometry: str | None, coordinates: str | None) -> GeoQuery | None:
        """The geo-query of the request parameters, or None when there is none."""
        if not georel and not geometry and not coordinates:
            return None
        if not (georel and geometry and coordinates):
            raise BadRequestData("a geo-query needs georel, geometry and coordinates")
        try:
            shaped = shape({"type": geometry, "coordinates": json.loads(coordinates)})
        except (ValueError, TypeError, AttributeError, IndexError) as exc:
            raise BadRequestData(f"geometry/coordinates: {exc}") from None
        relation, *modifiers = georel.split(";")
        distances = dict(_modifier(m) for m in modifiers)
        if relation not in ("near", "within", "contains", "intersects", "disjoint", "equals", "overlaps"):
            raise BadRequestData(f"georel {relation!r} is not supported")
        if relation == "near" and not distances:
            raise BadRequestData("near needs maxDistance==<m> or minDistance==<m>")
        return cls(relation, shaped, distances.get("maxDistance"), distances.get("minDistance"))

    def matches(self, lon: float | None, lat: float | None) -> bool:
        """True when the point (lon, lat) satisfies the relation."""
        if lon is None or lat is None:
            return False
        point = Point(lon, lat)
        if self.relation == "near":
            distance = _metres(point, self.geometry)
            return (self.max_distance is None or distance <= self.max_distance) and (
                self.min_distance is None or distance >= self.min_distance
            )
        relations: dict[str, Callable[[], bool]] = {
            "within": lambda: self.geometry.covers(point),
            "contains": lambda: point.covers(self.geometry),
            "intersects": lambda: point.intersects(self.geometry),
            "disjoint": lambda: point.disjoint(self.geometry),
            "equals": lambda: point.equals(self.geometry),
            "overlaps": lambda: point.overlaps(self.geometry),
        }
        return relations[self.relation]()


def _modifier(text: str) -> tuple[str, float]:
    name, _, value = text.partition("==")
    if name not in ("maxDistance", "minDistance"):
        raise BadRequestData(f"georel modifier {name!r} is not supported")
    try:
        return name, float(value)
    except ValueError:
        raise BadRequestData(f"{name} must be a number of metres") from None


def _metres(point: Point, geometry: Any) -> float:
    """Great-circle distance from a point to the nearest point of a geometry (metres)."""
    target = geometry if geometry.geom_type == "Point" else geometry.interpolate(geometry.project(point))
    lon1, lat1, lon2, lat2 = map(math.radians, (point.x, point.y, target.x, target.y))
    a = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))

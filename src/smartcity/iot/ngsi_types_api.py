"""NGSI-LD discovery (CIM 009 §5.7.5-§5.7.10): the entity types and attributes this broker holds."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response

from smartcity.iot import service
from smartcity.iot.ngsi import (
    ResourceNotFound,
    build_entity,
    context_document,
    short_type,
)
from smartcity.iot.ngsi_http import Reader, _base, _respond
from smartcity.web.deps import get_db

router = APIRouter()  # included at the end of ngsi_api's router: its prefix, tags and dependencies


def _catalogue(request: Request) -> tuple[dict[str, list[dict[str, Any]]], dict[str, str]]:
    """Every entity in service in normalized form, grouped by type, and the @context terms to expand names."""
    devices = service.find_devices(get_db(request))
    states = service.latest_state(get_db(request), device_ids=[d.id for d in devices])
    by_type: dict[str, list[dict[str, Any]]] = {}
    for device in devices:
        entity = build_entity(device, states.get(device.id, {}))
        by_type.setdefault(entity["type"], []).append(entity)
    terms = context_document(_base(request))["@context"]
    return by_type, {k: v for k, v in terms.items() if isinstance(v, str)}


def _attributes_of(entities: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Attribute name → the attribute types (Property, Relationship, GeoProperty) seen among entities."""
    found: dict[str, set[str]] = {}
    for entity in entities:
        for name, attribute in entity.items():
            if name in ("id", "type") or not isinstance(attribute, dict):
                continue
            found.setdefault(name, set()).add(str(attribute.get("type", "Property")))
    return found


def _details(request: Request) -> bool:
    return request.query_params.get("details") == "true"


@router.get("/types", summary="Available entity types (EntityTypeList, or EntityType details)")
def list_types(request: Request, _actor: Reader) -> Response:
    by_type, terms = _catalogue(request)
    names = sorted(by_type)
    if not _details(request):
        body: Any = {
            "id": f"urn:ngsi-ld:EntityTypeList:{uuid.uuid4()}",
            "type": "EntityTypeList",
            "typeList": names,
        }
        return _respond(request, body)
    body = [
        {
            "id": terms.get(name, name),
            "type": "EntityType",
            "typeName": name,
            "attributeNames": sorted(_attributes_of(by_type[name])),
        }
        for name in names
    ]
    return _respond(request, body)


@router.get("/types/{type_name:path}", summary="One entity type (EntityTypeInfo)")
def get_type(type_name: str, request: Request, _actor: Reader) -> Response:
    by_type, terms = _catalogue(request)
    name = short_type(type_name)
    if name not in by_type:
        raise ResourceNotFound(f"no entity of type {type_name!r}")
    attributes = _attributes_of(by_type[name])
    body = {
        "id": terms.get(name, name),
        "type": "EntityTypeInfo",
        "typeName": name,
        "entityCount": len(by_type[name]),
        "attributeDetails": [
            {
                "id": terms.get(attr, attr),
                "type": "Attribute",
                "attributeName": attr,
                "attributeTypes": sorted(kinds),
            }
            for attr, kinds in sorted(attributes.items())
        ],
    }
    return _respond(request, body)


def _attribute_table(request: Request) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    by_type, terms = _catalogue(request)
    table: dict[str, dict[str, Any]] = {}
    for type_name, entities in by_type.items():
        for entity in entities:
            for name, attribute in entity.items():
                if name in ("id", "type") or not isinstance(attribute, dict):
                    continue
                row = table.setdefault(name, {"count": 0, "kinds": set(), "types": set()})
                row["count"] += 1
                row["kinds"].add(str(attribute.get("type", "Property")))
                row["types"].add(type_name)
    return table, terms


def _attribute_body(name: str, row: dict[str, Any], terms: dict[str, str]) -> dict[str, Any]:
    return {
        "id": terms.get(name, name),
        "type": "Attribute",
        "attributeName": name,
        "attributeCount": row["count"],
        "attributeTypes": sorted(row["kinds"]),
        "typeNames": sorted(row["types"]),
    }


@router.get("/attributes", summary="Available attributes (AttributeList, or Attribute details)")
def list_attributes(request: Request, _actor: Reader) -> Response:
    table, terms = _attribute_table(request)
    if not _details(request):
        body: Any = {
            "id": f"urn:ngsi-ld:AttributeList:{uuid.uuid4()}",
            "type": "AttributeList",
            "attributeList": sorted(table),
        }
        return _respond(request, body)
    return _respond(request, [_attribute_body(name, table[name], terms) for name in sorted(table)])


@router.get("/attributes/{attribute:path}", summary="One attribute (Attribute)")
def get_attribute(attribute: str, request: Request, _actor: Reader) -> Response:
    table, terms = _attribute_table(request)
    name = short_type(attribute)
    if name not in table:
        raise ResourceNotFound(f"no entity has the attribute {attribute!r}")
    return _respond(request, _attribute_body(name, table[name], terms))

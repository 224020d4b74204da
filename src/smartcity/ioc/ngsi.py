"""Indicators as NGSI-LD entities of the FIWARE Smart Data Model KeyPerformanceIndicator (read-only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from smartcity.core.kpis import Indicator

SDM = "https://smartdatamodels.org/dataModel.KeyPerformanceIndicator/"
URN = "urn:ngsi-ld:KeyPerformanceIndicator:"
CONTEXT_PATH = "/api/v1/ioc/ngsi-ld/context.jsonld"
FREQUENCY = {"hourly": "hourly", "daily": "daily", "monthly": "monthly"}
TERMS = (
    "name",
    "alternateName",
    "description",
    "category",
    "kpiValue",
    "calculationFormula",
    "calculationFrequency",
    "calculationPeriod",
    "calculationMethod",
    "organization",
    "process",
    "areaServed",
    "effectiveSince",
    "dateModified",
    "source",
    "unitCode",
)


def context_document(base_url: str) -> dict[str, Any]:
    """The @context of these entities, served locally (the core terms and the KPI model's terms)."""
    terms: dict[str, Any] = {
        "ngsi-ld": "https://uri.etsi.org/ngsi-ld/",
        "id": "@id",
        "type": "@type",
        "Property": "ngsi-ld:Property",
        "value": "ngsi-ld:hasValue",
        "observedAt": {"@id": "ngsi-ld:observedAt", "@type": "DateTime"},
        "unitCode": "ngsi-ld:unitCode",
        "DateTime": "ngsi-ld:DateTime",
        "KeyPerformanceIndicator": f"{SDM}KeyPerformanceIndicator",
    }
    for term in TERMS:
        terms.setdefault(term, f"{SDM}{term}")
    return {"@context": terms, "comment": f"Served by this platform at {base_url.rstrip('/')}{CONTEXT_PATH}"}


def entity_id(code: str) -> str:
    """The NGSI-LD id of an indicator."""
    return f"{URN}{code}"


def build_entity(
    indicator: Indicator,
    *,
    value: float | None,
    start: datetime | None,
    end: datetime | None,
    city: str,
    key_values: bool = False,
) -> dict[str, Any]:
    """One indicator's latest city value as a KeyPerformanceIndicator entity (normalized or keyValues)."""
    props: dict[str, Any] = {
        "name": indicator.name_vi,
        "alternateName": indicator.name_en,
        "description": indicator.formula_vi,
        "category": ["quantitative"],
        "calculationFormula": indicator.formula_vi,
        "calculationFrequency": FREQUENCY[indicator.frequency],
        "calculationMethod": "automatic",
        "organization": {"name": "Trung tâm điều hành đô thị thông minh"},
        "process": indicator.domain,
        "areaServed": city,
        "source": indicator.iso_reference or "",
    }
    if start and end:
        props["calculationPeriod"] = {"from": start.isoformat(), "to": end.isoformat()}
    entity: dict[str, Any] = {"id": entity_id(indicator.code), "type": "KeyPerformanceIndicator"}
    for name, item in props.items():
        entity[name] = item if key_values else {"type": "Property", "value": item}
    if key_values:
        entity["kpiValue"] = value
    else:
        kpi: dict[str, Any] = {"type": "Property", "value": value, "unitCode": _unit_code(indicator.unit)}
        if end:
            kpi["observedAt"] = end.isoformat().replace("+00:00", "Z")
        entity["kpiValue"] = kpi
    return entity


def _unit_code(unit: str) -> str:
    """UN/CEFACT common code of a unit (P1 percent, C62 one, DAY, HUR)."""
    return {"%": "P1", "count": "C62", "days": "DAY", "hours": "HUR"}.get(unit, "C62")

"""The CapabilityStatement: exactly what this server supports."""

from __future__ import annotations

from typing import Any

from smartcity import __version__
from smartcity.city import service as city_service
from smartcity.health.fhir.search import INCLUDES, SORTS, params_for
from smartcity.health.fhir.validate import SUPPORTED_TYPES

OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"


def capability_statement(base_url: str, published: str) -> dict[str, Any]:
    """The server's CapabilityStatement for `base_url` (…/fhir/R4)."""
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": published,
        "publisher": f"Nền tảng đô thị thông minh {city_service.city_name()}",
        "kind": "instance",
        "software": {"name": "smartcity health FHIR facade", "version": __version__},
        "implementation": {
            "description": "FHIR R4 server of the city's health data (XML for reads and searches; "
            "writes take JSON)",
            "url": base_url,
        },
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json", "application/fhir+xml", "xml"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "cors": False,
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "OAuth",
                                }
                            ]
                        }
                    ],
                    "description": "Bearer token of a health role, or OAuth2 client credentials for a "
                    "registered system (writes limited to its own Organization).",
                    "extension": [
                        {
                            "url": OAUTH_URIS,
                            "extension": [{"url": "token", "valueUri": f"{base_url}/auth/token"}],
                        }
                    ],
                },
                "resource": [_resource(t) for t in SUPPORTED_TYPES],
                "interaction": [{"code": "transaction"}, {"code": "batch"}],
            }
        ],
    }


def _resource(resource_type: str) -> dict[str, Any]:
    return {
        "type": resource_type,
        "interaction": [
            {"code": c} for c in ("read", "vread", "update", "history-instance", "create", "search-type")
        ],
        "versioning": "versioned",
        "readHistory": True,
        "updateCreate": True,
        "conditionalCreate": True,
        "conditionalUpdate": False,
        "conditionalDelete": "not-supported",
        "searchInclude": list(INCLUDES.get(resource_type, ())),
        "searchParam": [
            {"name": name, "type": kind, "documentation": doc}
            for name, (kind, doc) in params_for(resource_type).items()
        ]
        + [
            {"name": "_sort", "type": "special", "documentation": "One of " + ", ".join(SORTS)},
            {"name": "_count", "type": "number", "documentation": "Page size"},
            {"name": "_offset", "type": "number", "documentation": "Paging: the first match to return"},
            {"name": "_summary", "type": "special", "documentation": "count: the total only"},
        ],
    }

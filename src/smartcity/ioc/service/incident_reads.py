"""Reading incidents: one incident with its steps, timeline and linked resources, the list, the counts by
state."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartcity.core.db import Database
from smartcity.core.errors import found_or_404
from smartcity.core.pages import Page, PageParams, count_and_slice
from smartcity.ioc.catalogue import OPEN_STATES
from smartcity.ioc.models import Incident, IncidentEntry, IncidentLink, IncidentStep
from smartcity.ioc.schemas import IncidentDetail, IncidentRead, LinkRead
from smartcity.ioc.service.geo import distance_m
from smartcity.iot import service as iot_service


def _incident(s: Session, code: str) -> Incident:
    incident = found_or_404(s.scalar(select(Incident).where(Incident.code == code)), f"No incident {code}")
    return incident


def _steps(s: Session, incident: Incident) -> list[IncidentStep]:
    return list(
        s.scalars(
            select(IncidentStep)
            .where(IncidentStep.incident_id == incident.id)
            .order_by(IncidentStep.position)
        )
    )


def get_incident(db: Database, *, code: str) -> IncidentDetail:
    """One incident with its playbook steps, timeline and linked resources."""
    with db.session() as s:
        incident = _incident(s, code)
        timeline = s.scalars(
            select(IncidentEntry)
            .where(IncidentEntry.incident_id == incident.id)
            .order_by(IncidentEntry.at, IncidentEntry.id)
        )
        links = s.scalars(
            select(IncidentLink).where(IncidentLink.incident_id == incident.id).order_by(IncidentLink.id)
        )
        return IncidentDetail.model_validate(
            {
                **IncidentRead.model_validate(incident).model_dump(),
                "title_phrase": incident.title_phrase,  # left out of the dump, as the API leaves it out
                "description": incident.description,
                "units": incident.units,
                "closure_report": incident.closure_report,
                "steps": _steps(s, incident),
                "timeline": list(timeline),
                "links": list(links),
            }
        )


@dataclass(frozen=True)
class LinkedResource:
    """A resource linked to an incident as its page lists it: its kind (device, camera, report, alarm,
    event), a device's type in Vietnamese words, its name, its id (a device's page, a report's code) and how
    far it is from the scene in metres (None when either has no place)."""

    kind: str
    type_label: str
    name: str
    ref: str
    distance_m: float | None


# What set the incident off comes first, then reports near it, then cameras and other devices.
LINK_ORDER = {"alarm": 0, "event": 0, "report": 1, "camera": 2, "device": 3}


def linked_resources(db: Database, detail: IncidentDetail) -> list[LinkedResource]:
    """The incident's linked resources in the order an operator reads them, nearest first in each kind;
    devices by their type and name (their id when they have no name)."""
    device_ids = [link.ref for link in detail.links if link.kind in ("device", "camera")]
    devices = {d.id: d for d in iot_service.find_devices(db, device_ids=device_ids)} if device_ids else {}
    resources = [_resource(link, devices.get(link.ref), detail) for link in detail.links]
    return sorted(resources, key=_reading_order)


def _reading_order(resource: LinkedResource) -> tuple[int, float]:
    registered = bool(resource.type_label)  # a camera link that is no registered device is its event
    rank = 0 if resource.kind in ("camera", "device") and not registered else LINK_ORDER.get(resource.kind, 9)
    return rank, math.inf if resource.distance_m is None else resource.distance_m


def _resource(link: LinkRead, device: Any, detail: IncidentDetail) -> LinkedResource:
    # `device` is the IoT registry's row (iot_service.find_devices), None once it has left service.
    if device is None:
        return LinkedResource(link.kind, "", link.label, link.ref, None)
    away = None
    if (
        device.lon is not None
        and device.lat is not None
        and detail.lon is not None
        and detail.lat is not None
    ):
        away = distance_m(detail.lon, detail.lat, device.lon, device.lat)
    return LinkedResource(
        link.kind, iot_service.type_label(device.type), device.name or device.id, device.id, away
    )


def list_incidents(
    db: Database,
    *,
    paging: PageParams,
    state: str | None = None,
    type: str | None = None,
    open_only: bool = False,
    since: datetime | None = None,
) -> Page[IncidentRead]:
    """Incidents, newest first, filtered by state, type, openness and opening time."""
    conditions: list[Any] = []
    if state:
        conditions.append(Incident.state == state)
    if type:
        conditions.append(Incident.type == type)
    if open_only:
        conditions.append(Incident.state.in_(OPEN_STATES))
    if since:
        conditions.append(Incident.opened_at >= since)
    with db.session() as s:
        query, order = select(Incident).where(*conditions), (Incident.opened_at.desc(), Incident.id.desc())
        rows, total = count_and_slice(s, query, *order, limit=paging.limit, offset=paging.offset)
        return Page.of([IncidentRead.model_validate(r) for r in rows], total=total, paging=paging)


def counts_by_state(db: Database) -> dict[str, int]:
    """How many incidents are in each state."""
    with db.session() as s:
        rows = s.execute(select(Incident.state, func.count()).group_by(Incident.state)).all()
        return {state: int(n) for state, n in rows}

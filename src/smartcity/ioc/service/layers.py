"""The live map's layers as GeoJSON: devices by state, incidents, reports, dossiers by ward, cameras."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from smartcity.city import service as city_service
from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import NotFound
from smartcity.core.i18n import DEFAULT_LOCALE, get_translations, said
from smartcity.core.security import Actor
from smartcity.feedback import service as feedback_service
from smartcity.gis import service as gis_service
from smartcity.ioc.catalogue import OPEN_STATES, SEVERITIES, STATES, TYPES
from smartcity.ioc.models import Incident
from smartcity.ioc.service.indicators import ward_breakdown
from smartcity.iot import service as iot_service

SILENT_AFTER = timedelta(hours=24)
HEALTH_CHUNK = 5000
LAYERS = ("devices", "incidents", "reports", "dossiers", "cameras", "planning")
PLANNING_LAYER = "planning-zones"
CITY_BOX = (106.55, 10.90, 106.80, 11.12)  # around Thủ Dầu Một, generous


def _feature(lon: float | None, lat: float | None, props: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(lon or 0.0, 6), round(lat or 0.0, 6)]},
        "properties": props,
    }


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def layer(
    db: Database,
    *,
    settings: Settings,
    name: str,
    since: datetime | None = None,
    locale: str = DEFAULT_LOCALE,
) -> dict[str, Any]:
    """One layer of the live map (its words for people in `locale`)."""
    if name == "devices":
        return devices(db, cameras=False)
    if name == "cameras":
        return devices(db, cameras=True)
    if name == "incidents":
        return incidents(db, settings=settings, since=since, locale=locale)
    if name == "reports":
        return reports(db, since=since)
    if name == "dossiers":
        return dossier_density(db, settings=settings)
    if name == "planning":
        return planning(db)
    raise NotFound(f"No map layer {name!r} (layers: {', '.join(LAYERS)})")


def devices(db: Database, *, cameras: bool) -> dict[str, Any]:
    """Devices in service, each with its state: alarm (open alarm), silent (nothing for 24 h) or ok."""
    items, _total = iot_service.list_devices(db, where=iot_service.DeviceFilter(), limit=100_000)
    items = [
        d for d in items if d.lon is not None and d.lat is not None and (("camera" in d.type) == cameras)
    ]
    alarms, _n = iot_service.list_alarms(db, state="open", limit=100_000)
    alarmed = {a.device_id for a in alarms}
    seen: dict[str, tuple[datetime | None, int]] = {}
    ids = [d.id for d in items]
    for start in range(0, len(ids), HEALTH_CHUNK):  # bound the number of query parameters
        seen.update(iot_service.device_health(db, device_ids=ids[start : start + HEALTH_CHUNK]))
    cutoff = utcnow() - SILENT_AFTER
    features = []
    for d in items:
        last = seen.get(d.id, (None, 0))[0]
        state = "alarm" if d.id in alarmed else "silent" if last is None or last < cutoff else "ok"
        features.append(
            _feature(d.lon, d.lat, {"id": d.id, "type": d.type, "name": d.name or d.id, "state": state})
        )
    return _collection(features)


def incidents(
    db: Database, *, settings: Settings, since: datetime | None = None, locale: str = DEFAULT_LOCALE
) -> dict[str, Any]:
    """Open incidents, and those opened since `since` (for the time slider), with words for people in
    `locale` (the title the platform wrote too; an operator's as typed)."""
    words = get_translations(locale, "ioc").gettext
    query = select(Incident).where(Incident.lon.is_not(None))
    if since is not None:
        query = query.where((Incident.opened_at >= since) | Incident.state.in_(OPEN_STATES))
    else:
        query = query.where(Incident.state.in_(OPEN_STATES))
    rows = db.all(query.order_by(Incident.opened_at.desc()).limit(2000))
    return _collection(
        [
            _feature(
                i.lon,
                i.lat,
                {
                    "code": i.code,
                    "type": words(TYPES[i.type].name_vi),
                    "severity": i.severity,
                    "severity_name": words(SEVERITIES[i.severity][0]),
                    "state": i.state,
                    "state_name": words(STATES[i.state][0]),
                    "title": words(said(i.title, i.title_phrase, as_written=True)),
                    "opened_at": i.opened_at.isoformat(),
                    "opened_local": clock.local(i.opened_at, settings).strftime("%d/%m/%Y %H:%M"),
                    "radius_m": i.radius_m,
                },
            )
            for i in rows
        ]
    )


def reports(db: Database, *, since: datetime | None = None) -> dict[str, Any]:
    """Open citizen reports (and those submitted since `since`)."""
    filters = feedback_service.ReportFilter(
        status=() if since else tuple(feedback_service.OPEN_STATUSES), start=since, public_only=False
    )
    items, _total = feedback_service.list_reports(
        db, actor=Actor.system("ioc.map"), filters=filters, limit=3000
    )
    return _collection(
        [
            _feature(
                r.lon,
                r.lat,
                {
                    "code": r.code,
                    "category": getattr(r, "category_name", ""),
                    "urgent": r.is_urgent,
                    "submitted_at": r.submitted_at.isoformat(),
                },
            )
            for r in items
            if r.lon is not None and r.lat is not None
        ]
    )


def dossier_density(db: Database, *, settings: Settings) -> dict[str, Any]:
    """Today's wards with the dossiers received in the latest complete month (a choropleth)."""
    wards = city_service.wards_geojson(db, on=clock.today(settings))
    try:
        values = {
            w["ward"]: w["value"]
            for w in ward_breakdown(db, settings=settings, code="dossiers.received", frequency="monthly")
        }
    except NotFound:
        values = {}
    for feature in wards.get("features", []):
        code = feature["properties"].get("code")
        feature["properties"]["dossiers"] = values.get(code) or 0
    return wards


def planning(db: Database) -> dict[str, Any]:
    """The planning zones of the GIS domain (empty when that layer is not loaded)."""
    try:
        features = gis_service.features_in_bbox(db, slug=PLANNING_LAYER, box=CITY_BOX, limit=5000)
    except NotFound:
        return _collection([])
    return _collection([f.as_geojson() for f in features if f.geometry])

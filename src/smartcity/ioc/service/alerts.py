"""Public alerts as signed CAP 1.2 messages, their Atom feed, and the city-wide alert stage.

The signature is an enveloped XML Signature (signxml, RSA-SHA256) made with the centre's key, whose
certificate the city's issuing CA signs (through the signing domain's service). The signing domain offers
no "sign this XML with the organisation's seal" function yet; until it does, the centre holds one key of
its own, certified by the city's CA and sealed at rest with the platform's secret.
"""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree
from signxml import XMLSigner, XMLVerifier
from sqlalchemy import select

from smartcity.city import service as city_service
from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.crypto import decrypt_personal, encrypt_personal
from smartcity.core.db import Database, get_or_404, utcnow
from smartcity.core.errors import Conflict, NotFound, ServiceUnavailable
from smartcity.core.pages import Page, PageParams, count_and_slice
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.ioc.catalogue import SEVERITIES, STAGES, TYPES
from smartcity.ioc.config import IocSettings
from smartcity.ioc.events import AlertStageChanged, CapAlertPublished
from smartcity.ioc.models import AlertStage, CapAlert, Incident, SigningKey
from smartcity.ioc.service.geo import circle_ring
from smartcity.signing import service as signing_service

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
URGENCY = {1: "Future", 2: "Future", 3: "Expected", 4: "Immediate", 5: "Immediate"}
INSTRUCTIONS = {
    "vi-VN": "Tránh khu vực, làm theo hướng dẫn của lực lượng chức năng. "
    "Khẩn cấp gọi 113, 114, 115 hoặc 1022.",
    "en-US": "Avoid the area and follow the instructions of the authorities. "
    "Emergencies: call 113, 114, 115 or 1022.",
}


def cap_time(moment: datetime, settings: Settings) -> str:
    """A CAP 1.2 date-time: city time, whole seconds, numeric offset (never "Z")."""
    text = clock.local(moment, settings).replace(microsecond=0).isoformat()
    return text


# ---------------------------------------------------------------- the key


@dataclass(frozen=True)
class _Key:
    key_pem: bytes
    cert_pem: str
    chain_pem: str


def _signing_key(db: Database, settings: Settings) -> _Key:
    """The centre's key and certificate; issued by the city's CA on first use."""
    secret = settings.personal_keys
    with db.session() as s:
        row = s.scalar(select(SigningKey).order_by(SigningKey.id.desc()).limit(1))
        if row is not None:
            return _Key(decrypt_personal(secret, row.key_sealed).encode(), row.certificate_pem, _chain(db))
    try:
        issued = signing_service.issue_device_certificate_with_key(
            db,
            actor=Actor.system("ioc.cap"),
            device_id=settings.section(IocSettings).cap_signer_id,
            settings=settings,
        )
    except (NotFound, Conflict) as exc:
        raise ServiceUnavailable(f"The city's PKI cannot certify the alert key yet: {exc}") from exc
    with db.write_session() as s:
        s.add(
            SigningKey(
                serial=issued.certificate.serial,
                certificate_pem=issued.certificate_pem,
                key_sealed=encrypt_personal(secret, issued.private_key_pem),
            )
        )
    return _Key(issued.private_key_pem.encode(), issued.certificate_pem, _chain(db))


def _chain(db: Database) -> str:
    try:
        return signing_service.ca_chain_pem(db)
    except Exception:  # the chain is informative; a missing CA row must not block reading the key
        return ""


def sign_xml(root: etree._Element, key: _Key) -> etree._Element:
    """An enveloped XML Signature (RSA-SHA256, exclusive C14N) appended to `root`, with the certificates."""
    certs = [key.cert_pem] + [c for c in _split_pem(key.chain_pem)]
    signer = XMLSigner(method=_enveloped(), signature_algorithm="rsa-sha256", digest_algorithm="sha256")
    return signer.sign(root, key=key.key_pem, cert=certs)


def _enveloped() -> Any:
    from signxml import methods

    return methods.enveloped


def _split_pem(text: str) -> list[str]:
    end = "-----END CERTIFICATE-----"
    return [part.strip() + "\n" + end + "\n" for part in text.split(end) if part.strip()]


def verify_xml(xml: bytes, ca_pem: str) -> etree._Element:
    """Check an alert's signature against the city's CA (root) certificate; the signed tree if it holds."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ca.pem"
        path.write_text(ca_pem)
        verified = XMLVerifier().verify(xml, ca_pem_file=str(path))
    result = verified[0] if isinstance(verified, list) else verified
    signed: etree._Element = result.signed_xml
    return signed


# ---------------------------------------------------------------- CAP messages


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    if text is not None:
        element.text = text
    return element


def build_cap(
    incident: Incident,
    *,
    settings: Settings,
    identifier: str,
    msg_type: str,
    sent: datetime,
    references: str | None = None,
    ward_name: str | None = None,
) -> etree._Element:
    """The CAP 1.2 alert of an incident: one info in Vietnamese, one in English, a circle and a polygon."""
    conf = settings.section(IocSettings)
    alert = etree.Element(f"{{{CAP_NS}}}alert", nsmap={None: CAP_NS})
    for tag, text in (
        ("identifier", identifier),
        ("sender", conf.cap_sender),
        ("sent", cap_time(sent, settings)),
        ("status", "Actual"),
        ("msgType", msg_type),
        ("scope", "Public"),
    ):
        _sub(alert, tag, text)
    if references:
        _sub(alert, "references", references)
    _sub(alert, "incidents", incident.code)
    for language in ("vi-VN", "en-US"):
        _info(alert, incident, settings, language, sent, msg_type, ward_name)
    return alert


def _info(
    alert: etree._Element,
    incident: Incident,
    settings: Settings,
    language: str,
    sent: datetime,
    msg_type: str,
    ward_name: str | None,
) -> None:
    conf = settings.section(IocSettings)
    vi = language == "vi-VN"
    kind = TYPES[incident.type]
    info = _sub(alert, "info")
    _sub(info, "language", language)
    _sub(info, "category", kind.cap_category)
    _sub(info, "event", kind.name_vi if vi else kind.name_en)
    _sub(info, "responseType", "Avoid" if msg_type != "Cancel" else "AllClear")
    _sub(info, "urgency", URGENCY[incident.severity] if msg_type == "Alert" else "Past")
    _sub(info, "severity", SEVERITIES[incident.severity][2])
    _sub(info, "certainty", "Observed")
    code = _sub(info, "eventCode")
    _sub(code, "valueName", "smartcity:incident-type")
    _sub(code, "value", incident.type)
    _sub(info, "effective", cap_time(sent, settings))
    _sub(info, "expires", cap_time(sent + timedelta(hours=conf.cap_hours_valid), settings))
    _sub(info, "senderName", conf.cap_sender_name_vi if vi else conf.cap_sender_name_en)
    _sub(info, "headline", _headline(incident, msg_type, vi))
    _sub(info, "description", incident.description or incident.title)
    _sub(info, "instruction", INSTRUCTIONS[language])
    _sub(info, "web", settings.public_base_url.rstrip("/") + "/canh-bao")
    _area(info, incident, ward_name, vi)


def _headline(incident: Incident, msg_type: str, vi: bool) -> str:
    kind = TYPES[incident.type]
    name = kind.name_vi if vi else kind.name_en
    if msg_type == "Cancel":
        return f"Hết cảnh báo: {incident.title}" if vi else f"All clear: {name}"
    if msg_type == "Update":
        return f"Cập nhật: {incident.title}" if vi else f"Update: {name}"
    return f"{name}: {incident.title}" if vi else f"{name} ({SEVERITIES[incident.severity][1].lower()})"


def _distance(metres: float, locale: str) -> str:
    """A radius as people say it: "300 m" under a kilometre, else "1,5 km" (Vietnamese) or "1.5 km"."""
    if metres < 1000:
        return f"{round(metres)} m"
    return f"{format_decimal(round(metres / 1000, 1), locale=locale)} km"


def _area(info: etree._Element, incident: Incident, ward_name: str | None, vi: bool) -> None:
    area = _sub(info, "area")
    where = (
        (ward_name if vi else city_service.name_in_english(ward_name))
        if ward_name
        else city_service.city_name(locale="vi" if vi else "en")
    )
    radius_km = incident.radius_m / 1000
    distance = _distance(incident.radius_m, "vi" if vi else "en")
    _sub(
        area,
        "areaDesc",
        f"Bán kính {distance} quanh hiện trường, {where}" if vi else f"{distance} around the scene, {where}",
    )
    if incident.lon is None or incident.lat is None:
        return
    ring = (
        incident.area["coordinates"][0]
        if incident.area
        else circle_ring(incident.lon, incident.lat, incident.radius_m)
    )
    _sub(area, "polygon", " ".join(f"{lat:.5f},{lon:.5f}" for lon, lat in ring))
    _sub(area, "circle", f"{incident.lat:.5f},{incident.lon:.5f} {radius_km:.3f}")


def publish_alert(
    db: Database,
    *,
    actor: Actor,
    settings: Settings,
    code: str,
    msg_type: str = "Alert",
    now: datetime | None = None,
) -> CapAlert:
    """Publish (and sign) a CAP alert for an incident; Update and Cancel reference its previous alert."""
    now = now or utcnow()
    key = _signing_key(db, settings)
    with UnitOfWork(db, actor) as uow:
        incident = uow.session.scalar(select(Incident).where(Incident.code == code))
        if incident is None:
            raise NotFound(f"No incident {code}")
        previous = uow.session.scalars(
            select(CapAlert).where(CapAlert.incident_id == incident.id).order_by(CapAlert.sent_at)
        ).all()
        if msg_type != "Alert" and not previous:
            raise Conflict("There is no earlier alert to update or cancel")
        conf = settings.section(IocSettings)
        identifier = f"urn:uuid:{uuid.uuid4()}"
        references = (
            " ".join(f"{conf.cap_sender},{p.identifier},{cap_time(p.sent_at, settings)}" for p in previous)
            or None
        )
        tree = build_cap(
            incident,
            settings=settings,
            identifier=identifier,
            msg_type=msg_type,
            sent=now,
            references=references,
            ward_name=_ward_name(db, incident, settings),
        )
        signed = sign_xml(tree, key)
        xml = etree.tostring(signed, xml_declaration=True, encoding="UTF-8").decode()
        alert = CapAlert(
            identifier=identifier,
            incident_id=incident.id,
            msg_type=msg_type,
            headline_vi=_headline(incident, msg_type, True),
            headline_en=_headline(incident, msg_type, False),
            sent_at=now,
            expires_at=now + timedelta(hours=conf.cap_hours_valid),
            signed=True,
            xml=xml,
        )
        uow.session.add(alert)
        uow.session.flush()
        uow.audit("ioc.cap_published", "cap_alert", identifier, after={"incident": code, "msgType": msg_type})
        uow.publish(
            CapAlertPublished(
                alert_id=alert.id,
                identifier=identifier,
                incident_id=incident.id,
                msg_type=msg_type,
                headline=alert.headline_vi,
                at=now.isoformat(),
                headline_en=alert.headline_en,
            )
        )
        uow.session.expunge(alert)
    return alert


def _ward_name(db: Database, incident: Incident, settings: Settings) -> str | None:
    if not incident.ward_code:
        return None
    from smartcity.city import service as city_service

    try:
        return city_service.get_unit(
            db, incident.ward_code, on=clock.local_date(incident.opened_at, settings)
        ).name
    except NotFound:
        return None


def list_alerts(db: Database, *, paging: PageParams) -> Page[CapAlert]:
    """Published alerts, newest first."""
    with db.session() as s:
        order = (CapAlert.sent_at.desc(), CapAlert.id.desc())
        rows, total = count_and_slice(s, select(CapAlert), *order, limit=paging.limit, offset=paging.offset)
        s.expunge_all()
    return Page.of(rows, total=total, paging=paging)


def get_alert(db: Database, alert_id: int) -> CapAlert:
    """One published alert (404 if none)."""
    with db.session() as s:
        alert = get_or_404(s, CapAlert, alert_id, f"No alert {alert_id}")
        s.expunge(alert)
        return alert


def atom_feed(db: Database, *, settings: Settings, base_url: str, limit: int = 50) -> bytes:
    """The Atom feed of the latest alerts, each entry linking to its CAP XML (OASIS CAP feeds practice)."""
    alerts = list_alerts(db, paging=PageParams(limit=limit)).items
    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})
    base = base_url.rstrip("/")
    conf = settings.section(IocSettings)
    updated = alerts[0].sent_at if alerts else utcnow()
    for tag, text in (
        ("id", f"{base}/cap/alerts.atom"),
        ("title", "Cảnh báo công cộng — Thủ Dầu Một"),
        ("updated", cap_time(updated, settings)),
    ):
        etree.SubElement(feed, f"{{{ATOM_NS}}}{tag}").text = text
    author = etree.SubElement(feed, f"{{{ATOM_NS}}}author")
    etree.SubElement(author, f"{{{ATOM_NS}}}name").text = conf.cap_sender_name_vi
    etree.SubElement(feed, f"{{{ATOM_NS}}}link", rel="self", href=f"{base}/cap/alerts.atom")
    for alert in alerts:
        entry = etree.SubElement(feed, f"{{{ATOM_NS}}}entry")
        etree.SubElement(entry, f"{{{ATOM_NS}}}id").text = alert.identifier
        etree.SubElement(entry, f"{{{ATOM_NS}}}title").text = alert.headline_vi
        etree.SubElement(entry, f"{{{ATOM_NS}}}updated").text = cap_time(alert.sent_at, settings)
        etree.SubElement(entry, f"{{{ATOM_NS}}}summary").text = alert.headline_en
        etree.SubElement(
            entry,
            f"{{{ATOM_NS}}}link",
            rel="alternate",
            type="application/cap+xml",
            href=f"{base}/cap/alerts/{alert.id}.xml",
        )
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def certificate_pem(cert: x509.Certificate) -> str:
    """PEM text of a certificate."""
    return cert.public_bytes(serialization.Encoding.PEM).decode()


# ---------------------------------------------------------------- the city-wide stage


def current_stage(db: Database) -> tuple[int, str, datetime | None]:
    """The city-wide alert stage now, with its reason and since when."""
    with db.session() as s:
        row = s.scalar(select(AlertStage).order_by(AlertStage.set_at.desc(), AlertStage.id.desc()).limit(1))
    return (0, "", None) if row is None else (row.stage, row.reason, row.set_at)


def set_stage(db: Database, *, actor: Actor, stage: int, reason: str, now: datetime | None = None) -> int:
    """Set the city-wide alert stage (separate from any single incident); audited and announced."""
    if stage not in STAGES:
        raise Conflict(f"Unknown stage {stage}")
    now = now or utcnow()
    previous = current_stage(db)[0]
    with UnitOfWork(db, actor) as uow:
        uow.session.add(AlertStage(stage=stage, reason=reason, set_by=actor.label, set_at=now))
        uow.audit(
            "ioc.stage_set",
            "alert_stage",
            "city",
            before={"stage": previous},
            after={"stage": stage, "reason": reason},
        )
        uow.publish(
            AlertStageChanged(
                stage=stage, previous=previous, reason=reason, by=actor.label, at=now.isoformat()
            )
        )
    return stage


def list_alerts_for(db: Database, *, code: str) -> list[CapAlert]:
    """The alerts published for one incident, oldest first."""
    with db.session() as s:
        rows = list(
            s.scalars(
                select(CapAlert)
                .join(Incident, Incident.id == CapAlert.incident_id)
                .where(Incident.code == code)
                .order_by(CapAlert.sent_at)
            )
        )
        s.expunge_all()
        return rows


def auto_alert(
    db: Database,
    *,
    actor: Actor,
    settings: Settings,
    code: str,
    severity: int,
    to: str,
    now: datetime | None = None,
) -> CapAlert | None:
    """A severe incident gets a public alert when acknowledged, an Update when resolved, a Cancel if false."""
    if severity < settings.section(IocSettings).cap_min_severity:
        return None
    published = list_alerts_for(db, code=code)
    if to == "acknowledged" and not published:
        return publish_alert(db, actor=actor, settings=settings, code=code, msg_type="Alert", now=now)
    if to in ("resolved", "cancelled") and published:
        return publish_alert(
            db,
            actor=actor,
            settings=settings,
            code=code,
            msg_type="Update" if to == "resolved" else "Cancel",
            now=now,
        )
    return None

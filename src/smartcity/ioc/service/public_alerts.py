"""The public alerts page read from the published CAP XML: which alerts are in effect, in the page's
language (the XML and its signature are alerts.py's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from lxml import etree
from sqlalchemy import or_, select

from smartcity.core.config import Settings
from smartcity.core.db import Database, utcnow
from smartcity.ioc.config import IocSettings
from smartcity.ioc.models import CapAlert
from smartcity.ioc.service.alerts import CAP_NS

# The XML is the centre's own, yet read as any CAP message is: no DTD, no entities, no network.
_READER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
)
_C = f"{{{CAP_NS}}}"
PAST_DAYS = 30
_SEVERITY_RANK = {"Extreme": 4, "Severe": 3, "Moderate": 2, "Minor": 1}


@dataclass(frozen=True)
class PublicAlert:
    """One incident's alert as a citizen reads it: the latest message of its chain (an Update replaces
    the Alert it references, a Cancel ends it), in one language; CAP's terms (severity...) are the page's
    to put in words."""

    id: int  # the latest message's row, whose signed XML the page links to
    headline: str
    event: str
    severity: str  # CAP 1.2: Extreme, Severe, Moderate, Minor, Unknown
    urgency: str  # Immediate, Expected, Future, Past, Unknown
    certainty: str  # Observed, Likely, Possible, Unlikely, Unknown
    response: str  # CAP responseType (Avoid, AllClear...), "" when none
    description: str
    description_lang: str  # the language the description is written in (operators write Vietnamese)
    instruction: str
    areas: tuple[str, ...]
    sender: str
    first_sent: datetime  # the chain's first message
    sent: datetime  # this (latest) message
    expires: datetime
    updated: bool  # the latest message is a later one of its chain
    cancelled: bool
    in_effect: bool


@dataclass(frozen=True)
class PublicAlerts:
    """The public page: alerts in effect now, then a page of the recent past (`PAST_DAYS`)."""

    in_effect: list[PublicAlert]
    past: list[PublicAlert]
    past_total: int
    page: int
    pages: int


def _cap_datetime(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        return None


def _chain_root(roots: dict[str, str], identifier: str) -> str:
    while roots.setdefault(identifier, identifier) != identifier:
        identifier = roots[identifier]
    return identifier


def public_alerts(
    db: Database,
    *,
    settings: Settings,
    language: str,
    page: int = 1,
    size: int = 10,
    now: datetime | None = None,
) -> PublicAlerts:
    """The alerts of the public page in `language` ("vi", "en"), read from their signed CAP XML.

    Messages are chained by CAP `references` (sender,identifier,sent of the earlier messages); each chain
    shows its latest message only. A chain is in effect when that message is neither a Cancel nor past its
    `expires` (the most severe first, then the newest); the others, of the last `PAST_DAYS` days, are the
    past, newest first, a page of `size`."""
    now = now or utcnow()
    hours = settings.section(IocSettings).cap_hours_valid
    since = now - timedelta(days=PAST_DAYS)
    with db.session() as s:
        rows = list(
            s.scalars(
                select(CapAlert)
                .where(or_(CapAlert.sent_at >= since, CapAlert.expires_at >= now))
                .order_by(CapAlert.sent_at, CapAlert.id)
            )
        )
        s.expunge_all()
    parsed: list[tuple[CapAlert, etree._Element, list[tuple[str, datetime | None]]]] = []
    roots: dict[str, str] = {}
    for row in rows:
        try:
            root = etree.fromstring(row.xml.encode(), parser=_READER)
        except etree.XMLSyntaxError:
            continue
        if root.findtext(f"{_C}status") != "Actual" or root.findtext(f"{_C}scope") != "Public":
            continue
        references = []
        for ref in (root.findtext(f"{_C}references") or "").split():
            parts = ref.split(",")
            if len(parts) == 3:
                references.append((parts[1], _cap_datetime(parts[2])))
        own = _chain_root(roots, row.identifier)
        for identifier, _sent in references:
            other = _chain_root(roots, identifier)
            if other != own:
                roots[other] = own
        parsed.append((row, root, references))
    chains: dict[str, list[tuple[CapAlert, etree._Element, list[tuple[str, datetime | None]]]]] = {}
    for item in parsed:
        chains.setdefault(_chain_root(roots, item[0].identifier), []).append(item)
    shown = []
    for messages in chains.values():
        messages.sort(key=lambda m: (m[0].sent_at, m[0].id))
        row, root, references = messages[-1]
        earliest = [m[0].sent_at for m in messages] + [sent for _i, sent in references if sent is not None]
        shown.append(
            _public_alert(
                row, root, language, min(earliest), len(messages) > 1 or bool(references), now, hours
            )
        )
    in_effect = sorted(
        (a for a in shown if a.in_effect),
        key=lambda a: (_SEVERITY_RANK.get(a.severity, 0), a.sent, a.id),
        reverse=True,
    )
    past = sorted((a for a in shown if not a.in_effect), key=lambda a: (a.sent, a.id), reverse=True)
    pages = max(1, -(-len(past) // size))
    page = min(max(page, 1), pages)
    return PublicAlerts(
        in_effect=in_effect,
        past=past[(page - 1) * size : page * size],
        past_total=len(past),
        page=page,
        pages=pages,
    )


def _public_alert(
    row: CapAlert,
    root: etree._Element,
    language: str,
    first_sent: datetime,
    later: bool,
    now: datetime,
    hours: int,
) -> PublicAlert:
    infos = root.findall(f"{_C}info")

    def speaks(info: etree._Element, lang: str) -> bool:
        # CAP: an info without <language> is in en-US
        return (info.findtext(f"{_C}language") or "en-US").lower().split("-")[0] == lang

    info = next((i for i in infos if speaks(i, language)), infos[0] if infos else etree.Element("info"))
    vietnamese = next((i for i in infos if speaks(i, "vi")), None)

    def text(tag: str) -> str:
        return (info.findtext(f"{_C}{tag}") or "").strip()

    description = text("description")
    written_in = language
    if (
        vietnamese is not None
        and language != "vi"
        and description
        and description == (vietnamese.findtext(f"{_C}description") or "").strip()
    ):
        written_in = "vi"  # the operators' own words, the same in every info
    sent = _cap_datetime(root.findtext(f"{_C}sent")) or row.sent_at
    expires = _cap_datetime(text("expires")) or row.expires_at or (row.sent_at + timedelta(hours=hours))
    cancelled = root.findtext(f"{_C}msgType") == "Cancel"
    fallback = row.headline_en if language == "en" else row.headline_vi
    return PublicAlert(
        id=row.id,
        headline=text("headline") or fallback,
        event=text("event"),
        severity=text("severity") or "Unknown",
        urgency=text("urgency") or "Unknown",
        certainty=text("certainty") or "Unknown",
        response=text("responseType"),
        description=description,
        description_lang=written_in,
        instruction=text("instruction"),
        areas=tuple(a.strip() for a in (e.findtext(f"{_C}areaDesc") for e in info.findall(f"{_C}area")) if a),
        sender=text("senderName") or (root.findtext(f"{_C}sender") or ""),
        first_sent=min(first_sent, sent),
        sent=sent,
        expires=expires,
        updated=later and not cancelled,
        cancelled=cancelled,
        in_effect=not cancelled and expires > now,
    )

"""Helpers of the dossier tests: times, files, valid forms, the people of a dossier's life."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import smartcity.city
from smartcity.accounts import service as accounts
from smartcity.core.security import Actor
from smartcity.dossiers import service
from smartcity.dossiers.schemas import DossierCreate

SYSTEM = Actor.system("test")
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
ORG_CHART = Path(smartcity.city.__file__).resolve().parent / "packs" / "thu-dau-mot" / "org_chart.json"
PDF = b"%PDF-1.4\n% test\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PASSWORD = "correct horse battery"
HOUSE = "TDM-QLDT-001"
BIRTH = "TDM-HT-001"


def local(*args: int) -> datetime:
    """An aware Vietnam-time datetime."""
    return datetime(*args, tzinfo=LOCAL)


@dataclass
class People:
    """The actors of a dossier's life."""

    citizen: Actor
    other_citizen: Actor
    clerk: Actor
    head: Actor
    specialist: Actor
    leader: Actor
    ward_clerk: Actor
    ward_specialist: Actor
    ward_leader: Actor
    ward_head: Actor


def make_user(db, username: str, roles: list[tuple[str, str | None]]) -> Actor:
    """A user with these roles, as an Actor."""
    user = accounts.create_user(db, actor=SYSTEM, username=username, password=PASSWORD, roles=roles)
    return accounts.actor_for_user(db, user.id)


def house_form(**changes) -> dict:
    """A valid house-number e-form."""
    form = {
        "owner_name": "Nguyễn Văn An",
        "street": "Đường Bạch Đằng",
        "ward_code": "25747",
        "map_sheet": 12,
        "parcel_number": 345,
        "purpose": "new",
        "latitude": 10.9805,
        "longitude": 106.6519,
    }
    form.update(changes)
    return form


def house_request(**changes) -> DossierCreate:
    """A valid house-number dossier."""
    return DossierCreate(
        procedure_code=HOUSE,
        form=house_form(**changes),
        applicant={"name": "Nguyễn Văn An", "id_number": "074090001234", "phone": "0912345678"},
    )


def house_uploads() -> list[service.Upload]:
    """The required documents of the house-number procedure."""
    return [
        service.Upload("don_de_nghi", "don.pdf", "application/pdf", PDF),
        service.Upload("gcn_qsdd", "so-do.png", "image/png", PNG),
    ]


def submit_house(db, settings, people: People, *, now: datetime, key: str | None = None):
    """Submit the house-number dossier online as the citizen."""
    detail, _created = service.submit_dossier(
        db,
        actor=people.citizen,
        settings=settings,
        data=house_request(),
        uploads=house_uploads(),
        idempotency_key=key,
        now=now,
    )
    return detail


def seed_history_and_a_busy_month(db, settings, *, seed: int = 11, now: datetime | None = None) -> int:
    """300 demo dossiers of an office with a backlog: 200 over two years (an even flow; a third of the late
    ones of the last months still in hand) and 100 in the last month, most still in the office's hands, so
    that every state, queue and deadline status has some whatever day the tests run."""
    from smartcity.dossiers import demo

    history = demo.seed_demo_dossiers(db, settings=settings, count=200, seed=seed, late_share=0.33, now=now)
    busy = demo.seed_demo_dossiers(db, settings=settings, count=100, seed=seed + 1, years=0.08, now=now)
    return history + busy

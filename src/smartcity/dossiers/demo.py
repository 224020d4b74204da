"""Demo dossiers: a few thousand over two years in every state, made by the real workflow rules.

Submissions arrive at an even pace over the years (online ones on any day and into the evening, counter
ones in office hours), so a month's count is like any other's. Each dossier is driven through
`workflow.apply` with the system actor, at working-hour times that move forward through the city calendar,
and stopped at a stage drawn by its age: the recent ones are still in the office's hands, the older ones
finished, a few left late. Random draws are seeded, so the same seed gives the same city.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from smartcity.accounts import service as accounts
from smartcity.city import service as city
from smartcity.city.service import WorkingCalendar
from smartcity.core.config import Settings
from smartcity.core.crypto import Keys, blind_index, decrypt_personal, encrypt_personal, mask
from smartcity.core.db import utcnow
from smartcity.core.demo import DEMO_CITIZEN, given_names, person_name
from smartcity.core.errors import AppError, Conflict
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.dossiers import workflow
from smartcity.dossiers.config import get_dossier_settings
from smartcity.dossiers.models import Dossier, DossierEvent, DossierRating
from smartcity.dossiers.service import _next_code, calendar_for, resolve_units
from smartcity.dossiers.service.actions import publish_register_entry
from smartcity.dossiers.service.common import CONSTRUCTION_PERMIT_PROCEDURE, HOUSEHOLD_BUSINESS_PROCEDURE
from smartcity.dossiers.service.submission import dossier_of
from smartcity.procedures import service as procedures
from smartcity.procedures.schemas import ProcedureRead

DEMO = Actor.system("demo")
STREETS = [
    "Bạch Đằng",
    "Yersin",
    "Cách Mạng Tháng Tám",
    "Lê Hồng Phong",
    "Đại lộ Bình Dương",
    "Huỳnh Văn Lũy",
    "Phú Lợi",
    "Nguyễn Văn Tiết",
    "Điện Biên Phủ",
    "Lê Thị Trung",
]
# Where a dossier's life stops. A dossier within its processing time (and a week more) stops anywhere;
# an older one has finished, except the few left late in the office's hands.
STAGES = [
    ("submitted", 4),
    ("refused", 4),
    ("accepted", 4),
    ("processing", 10),
    ("supplement", 5),
    ("payment", 3),
    ("withdrawn", 3),
    ("stopped", 2),
    ("done", 8),
    ("returned", 57),
]
IN_HAND_STAGES = ("submitted", "accepted", "processing", "supplement", "payment", "done")
FINISHED_STAGES = [(stage, weight) for stage, weight in STAGES if stage not in IN_HAND_STAGES]
# Within its time a dossier is mostly still in hand; a short procedure may already be done.
RECENT_STAGES = [(stage, weight * (3 if stage in IN_HAND_STAGES else 1)) for stage, weight in STAGES]
LATE_SHARE = 0.04  # of the dossiers of the last months, still in hand well past their deadline
LATE_WITHIN_DAYS = 120
GRACE_WORKING_DAYS = 5


def _house(rng: random.Random) -> dict[str, Any]:
    """A town house that adds up: its footprint within its land, a floor area of its storeys (and a
    mezzanine, maybe), a height of its storeys. The five draws keep the ranges the demo always drew from, so
    that the rest of the demo (drawn from the same `rng` after them) stays as it was."""
    land = rng.randint(60, 250)
    footprint = round(land * (70 + (rng.randint(50, 150) - 50) / 4) / 100)  # 70–95 % of the land
    mezzanine = int(rng.randint(100, 500) > 300)
    floors = rng.randint(1, 5)
    storey = 3.3 + (rng.randint(4, 20) - 4) / 32  # metres, floor to floor: 3.3–3.8
    return {
        "land_area_m2": land,
        "footprint_m2": footprint,
        "total_floor_area_m2": footprint * floors + mezzanine * round(footprint / 2),
        "floors": floors,
        "height_m": round(storey * (floors + 0.5 * mezzanine) + 1.2, 1),  # with the roof
    }


def _form(procedure: ProcedureRead, rng: random.Random, ward: str) -> dict[str, Any]:
    """A plausible e-form for the six full procedures; a short request otherwise."""
    street = rng.choice(STREETS)
    lat, lon = round(rng.uniform(10.96, 11.06), 6), round(rng.uniform(106.62, 106.70), 6)
    forms: dict[str, dict[str, Any]] = {
        "TDM-QLDT-001": {
            "owner_name": person_name(rng),
            "street": f"Đường {street}",
            "ward_code": ward,
            "map_sheet": rng.randint(1, 60),
            "parcel_number": rng.randint(1, 900),
            "purpose": rng.choice(["new", "new", "change"]),
            "latitude": lat,
            "longitude": lon,
        },
        "TDM-QLDT-002": {
            "site_address": f"{rng.randint(1, 300)} đường {street}",
            "ward_code": ward,
            "map_sheet": rng.randint(1, 60),
            "parcel_number": rng.randint(1, 900),
            **_house(rng),
            "latitude": lat,
            "longitude": lon,
        },
        "TDM-HT-001": {
            "child_name": person_name(rng),
            "sex": rng.choice(["nam", "nu"]),
            "date_of_birth": "2024-05-01",
            "place_of_birth": "Bệnh viện Đa khoa tỉnh Bình Dương",
            "ethnicity": "Kinh",
            "nationality": "Việt Nam",
            "mother_name": person_name(rng),
            "ward_code": ward,
            "declarant_relation": "mẹ",
        },
        "TDM-HT-002": {
            "husband_name": person_name(rng),
            "husband_date_of_birth": "1995-02-03",
            "husband_id_number": f"0740950{rng.randint(10000, 99999)}",
            "wife_name": person_name(rng),
            "wife_date_of_birth": "1997-08-09",
            "wife_id_number": f"0741970{rng.randint(10000, 99999)}",
            "ward_code": ward,
        },
        "TDM-HT-003": {
            "deceased_name": person_name(rng),
            "deceased_date_of_birth": "1940-01-01",
            "date_of_death": "2024-06-01",
            "place_of_death": "tại nhà",
            "cause_of_death": "bệnh già",
            "ward_code": ward,
            "declarant_relation": "con",
        },
        "TDM-HKD-001": {
            "business_name": f"Hộ kinh doanh {given_names(rng)[-1]} {rng.randint(1, 99)}",
            "address": f"{rng.randint(1, 300)} đường {street}",
            "ward_code": ward,
            "business_lines": [rng.choice(["Bán lẻ tạp hóa", "Quán cà phê", "Sửa xe máy", "Tiệm may"])],
            "capital_vnd": rng.randint(20, 500) * 1_000_000,
            "employees": rng.randint(0, 8),
        },
    }
    return forms.get(procedure.code, {"request": f"Đề nghị giải quyết: {procedure.name}", "ward_code": ward})


RESULTS = {
    "TDM-QLDT-001": "house_number",
    "TDM-QLDT-002": "permit_number",
    "TDM-HT-001": "book_number",
    "TDM-HT-002": "book_number",
    "TDM-HT-003": "book_number",
    "TDM-HKD-001": "registration_number",
}


def _working_moment(
    calendar: WorkingCalendar, rng: random.Random, day: datetime, not_after: datetime | None = None
) -> datetime:
    """Office hours on `day`'s working day (or the next one); never after `not_after`: then office hours of
    an earlier working day (the demo's past holds nothing dated in the future)."""
    local_day = calendar.local_date(day)
    if not calendar.is_working_day(local_day):
        local_day = calendar.next_working_day(local_day)
    while True:
        hour = rng.choice([7, 8, 9, 10, 11, 13, 14, 15, 16])
        moment = datetime(
            local_day.year, local_day.month, local_day.day, hour, rng.randint(0, 59), tzinfo=calendar.zone
        )
        if not_after is None or moment <= not_after:
            return moment
        local_day -= timedelta(days=1)
        while not calendar.is_working_day(local_day):
            local_day -= timedelta(days=1)


def _online_moment(
    calendar: WorkingCalendar, rng: random.Random, day: datetime, not_after: datetime
) -> datetime:
    """Any day, from early morning into the evening: the portal does not close; never after `not_after`."""
    local_day = calendar.local_date(day)
    while True:
        hour = rng.choice([6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 19, 20, 21, 22])
        moment = datetime(
            local_day.year, local_day.month, local_day.day, hour, rng.randint(0, 59), tzinfo=calendar.zone
        )
        if moment <= not_after:
            return moment
        local_day -= timedelta(days=1)


def _stage(
    rng: random.Random,
    calendar: WorkingCalendar,
    procedure: ProcedureRead,
    submitted: datetime,
    now: datetime,
    late_share: float,
) -> str:
    """Where a dossier submitted then stops: anywhere while within its time, finished or late after it."""
    elapsed = calendar.working_days_between(calendar.local_date(submitted), calendar.local_date(now))
    if elapsed <= procedure.processing_days + GRACE_WORKING_DAYS:
        return str(rng.choices(*zip(*RECENT_STAGES, strict=True))[0])
    if (now - submitted).days <= LATE_WITHIN_DAYS and rng.random() < late_share:
        return rng.choice(IN_HAND_STAGES)
    return str(rng.choices(*zip(*FINISHED_STAGES, strict=True))[0])


def _later(
    calendar: WorkingCalendar, rng: random.Random, moment: datetime, days_budget: int, slow: bool
) -> datetime:
    days = rng.randint(0, max(0, days_budget // 3)) + (rng.randint(2, 6) if slow else 0)
    day = calendar.add_working_days(calendar.local_date(moment), days)
    if days == 0:
        return moment + timedelta(minutes=rng.randint(5, 90))
    return _working_moment(calendar, rng, datetime(day.year, day.month, day.day, tzinfo=calendar.zone))


def _path(dossier: Dossier, stage: str) -> list[str]:
    steps = [s.key for s in workflow.processing_steps(dossier)]
    paths = {
        "submitted": [],
        "refused": ["refuse"],
        "accepted": ["receive"],
        "processing": ["receive", *steps[:1]],
        "supplement": ["receive", "request_supplement"],
        "payment": ["receive", *steps],
        "withdrawn": ["receive", "withdraw"],
        "stopped": ["receive", *steps[:1], "stop"],
        "done": ["receive", "request_supplement", "supplement", *steps],
        "returned": ["receive", *steps, "return"],
    }
    return paths[stage]


def _drive(
    dossier: Dossier,
    stage: str,
    rng: random.Random,
    calendar: WorkingCalendar,
    now: datetime,
    events: list[DossierEvent],
) -> None:
    moment = dossier.submitted_at
    slow = rng.random() < 0.07
    for action in _path(dossier, stage):
        moment = _later(
            calendar, rng, moment, dossier.processing_days, slow and action in ("process", "decide")
        )
        if moment >= now:
            return
        if dossier.state == 6:  # the fee is paid before going on
            workflow.apply(dossier, DEMO, "pay", now=moment, calendar=calendar)
            dossier.paid_online = dossier.channel == "online" and dossier.online_scope == "toan_trinh"
        payload = {"reason": "Theo quy định", "result": None}
        if action == "process":
            dossier.result_data = {
                RESULTS.get(dossier.procedure_code, "result_number"): f"{rng.randint(1, 999)}"
            }
        try:
            change = workflow.apply(dossier, DEMO, action, now=moment, calendar=calendar, payload=payload)
        except AppError:
            return
        events.append(
            DossierEvent(
                action=action,
                from_state=change.from_state,
                to_state=dossier.state,
                step=dossier.step,
                actor=DEMO.label,
                unit=change.unit,
                note=None,
                at=moment,
            )
        )


def _batches(count: int, size: int = 250) -> list[int]:
    """`count` cut into batches of at most `size`."""
    return [min(size, count - start) for start in range(0, count, size)]


@dataclass
class _Seeding:
    """What every demo dossier is drawn from: the catalogue, the calendar, the wards, the present."""

    db: Any
    rng: random.Random
    calendar: WorkingCalendar
    full: list[ProcedureRead]
    others: list[str]
    secret: Keys
    pattern: str
    now: datetime
    years: float
    late_share: float
    cache: dict[str, ProcedureRead] = field(default_factory=dict)

    def procedure(self) -> ProcedureRead:
        """A procedure of the catalogue, those with full data more often."""
        rng, db = self.rng, self.db
        code = rng.choice([p.code for p in self.full]) if rng.random() < 0.6 else rng.choice(self.others)
        return self.cache.get(code) or self.cache.setdefault(code, procedures.get_procedure(db, code))

    def moment(self, channel: str) -> datetime:
        """When it was submitted: online any day, at the counter on a working day; never after now."""
        rng, calendar, now = self.rng, self.calendar, self.now
        drawn = now - timedelta(days=rng.uniform(0, 365 * self.years))
        if channel == "online":
            return _online_moment(calendar, rng, drawn, now)
        while not calendar.is_working_day(calendar.local_date(drawn)):  # nobody queues at a shut door
            drawn = now - timedelta(days=rng.uniform(0, 365 * self.years))
        return _working_moment(calendar, rng, drawn, now)


def _seed_one(uow: UnitOfWork, draw: _Seeding, wards: tuple[list[str], list[str]]) -> bool:
    """Draw one dossier, drive it through the workflow to its stage and add it; False if none could be."""
    rng, calendar = draw.rng, draw.calendar
    procedure = draw.procedure()
    channel = "online" if procedure.level >= 3 and rng.random() < 0.7 else "counter"
    submitted = draw.moment(channel)
    stage = _stage(rng, calendar, procedure, submitted, draw.now, draw.late_share)
    day = calendar.local_date(submitted)
    ward = rng.choice(wards[0] if day < city.reorganisation_date() else wards[1])
    try:
        units = resolve_units(draw.db, procedure, ward, day)
    except AppError:
        return False
    dossier = _demo_dossier(procedure, units, ward, channel, submitted, rng, draw.secret)
    dossier.code = _next_code(uow.session, draw.pattern, units[0], day)
    events = [
        DossierEvent(
            action="submit",
            from_state=None,
            to_state=1,
            step="receive",
            actor=DEMO.label,
            unit=None,
            note=None,
            at=submitted,
        )
    ]
    _drive(dossier, stage, rng, calendar, draw.now, events)
    uow.session.add(dossier)
    uow.session.flush()
    for event in events:
        event.dossier_id = dossier.id
    uow.session.add_all(events)
    _maybe_rate(uow, dossier, rng)
    return True


def seed_demo_dossiers(
    db: Any,
    *,
    settings: Settings,
    count: int = 3000,
    years: float = 2,
    seed: int = 2025,
    now: datetime | None = None,
    late_share: float = LATE_SHARE,
) -> int:
    """Create `count` demo dossiers submitted over the last `years` years; returns how many were made.
    `late_share`: of the dossiers of the last months past their time, how many are still in hand."""
    if not accounts.list_org_units(db):
        raise Conflict("No org units: load the city pack first (smartcity citypack load thu-dau-mot)")
    catalogue = procedures.list_procedures(db, limit=500).items
    draw = _Seeding(
        db=db,
        rng=random.Random(seed),
        calendar=calendar_for(db, settings),
        full=[procedures.get_procedure(db, p.code) for p in catalogue if not p.is_placeholder],
        others=[p.code for p in catalogue if p.is_placeholder],
        secret=settings.personal_keys,
        pattern=get_dossier_settings().code_pattern,
        now=now or utcnow(),
        years=years,
        late_share=late_share,
    )
    reorganised = city.reorganisation_date()
    wards = (city.ward_codes_on(reorganised - timedelta(days=1)), city.ward_codes_on(reorganised))
    made = 0
    for batch in _batches(count):  # a batch a transaction: a sign-in meanwhile is not kept waiting
        with UnitOfWork(db, DEMO) as uow:
            made += sum(_seed_one(uow, draw, wards) for _ in range(batch))
    with UnitOfWork(db, DEMO) as uow:
        uow.audit("dossier.demo_seeded", "dossier", "*", after={"count": made, "seed": seed})
    return made


def _demo_dossier(
    procedure: ProcedureRead,
    units: tuple[str, str, str],
    ward: str,
    channel: str,
    submitted: datetime,
    rng: random.Random,
    secret: Keys,
) -> Dossier:
    id_number = f"074{rng.randint(0, 3)}{rng.randint(50, 99)}{rng.randint(0, 999999):06d}"
    phone = f"09{rng.randint(0, 99999999):08d}"
    form = _form(procedure, rng, ward)
    name = person_name(rng)
    return dossier_of(
        procedure,
        units,
        channel=channel,
        ward_code=ward,
        applicant_name_encrypted=encrypt_personal(secret, name),
        applicant_name_index=blind_index(secret, name),
        applicant_id_encrypted=encrypt_personal(secret, id_number),
        applicant_id_index=blind_index(secret, id_number),
        applicant_id_masked=mask(id_number),
        applicant_phone_encrypted=encrypt_personal(secret, phone),
        applicant_phone_index=blind_index(secret, phone),
        applicant_phone_masked=mask(phone),
        form_encrypted=encrypt_personal(secret, json.dumps(form, ensure_ascii=False)),
        paper_documents=[],
        submitted_at=submitted,
        created_by=DEMO.label,
        paused_working_days=0,
    )


def _maybe_rate(uow: UnitOfWork, dossier: Dossier, rng: random.Random) -> None:
    if dossier.state != 10 or rng.random() > 0.4 or dossier.returned_at is None:
        return
    overall = rng.choices([1, 2, 3], [5, 45, 50])[0]
    uow.session.add(
        DossierRating(
            dossier_id=dossier.id,
            procedure_code=dossier.procedure_code,
            unit=dossier.processing_unit,
            official=dossier.received_by,
            overall=overall,
            indicators={
                "processing_time": overall,
                "conduct": rng.choice([2, 3]),
                "contacts": rng.choice([2, 3]),
            },
            month=dossier.returned_at.strftime("%Y-%m"),
        )
    )


def demo_counts(db: Any) -> dict[int, int]:
    """How many dossiers are in each state."""
    from sqlalchemy import func

    with db.session() as s:
        return dict(s.execute(select(Dossier.state, func.count()).group_by(Dossier.state)).all())


DEMO_COUNT = 3000


# Procedures whose dossiers cannot be hers: first military service registration is for men in the year they
# turn 17; a demo birth or marriage registration names a random child, mother or couple, and she is married
# to her children's father (core.demo).
NOT_FOR_HER = ("TDM-QS-001", "TDM-HT-001", "TDM-HT-002")
# What a mother of three with a household business brings to her ward: civil status, certified copies, her
# house (building permit, house number, land) and the business — not a school's licence or a karaoke's.
HER_FIELDS = ("HT", "CT", "XD", "SN", "DD", "HKD")


def give_dossiers_to_demo_citizen(db: Any, *, username: str = DEMO_CITIZEN.username) -> int:
    """Make the demo citizen the applicant of the latest online dossier in each state (once), so that
    their "Hồ sơ của tôi" page shows a dossier at every stage, all with her one ID card and phone
    (core.demo.DEMO_CITIZEN, as in her health record); returns how many they were given."""
    citizen = accounts.get_user_by_username(db, username)
    if citizen is None:
        return 0
    name = citizen.full_name or citizen.username
    keys = db.settings.personal_keys
    with UnitOfWork(db, DEMO) as uow:
        s = uow.session
        if s.scalar(select(func.count()).where(Dossier.applicant_user_id == citizen.id)):
            return 0
        given = []
        for state in sorted(demo_counts(db)):
            dossier = s.scalar(
                select(Dossier)
                .where(Dossier.state == state, Dossier.channel == "online")
                .where(Dossier.applicant_user_id.is_(None), Dossier.procedure_code.not_in(NOT_FOR_HER))
                .where(Dossier.field_code.in_(HER_FIELDS))
                .order_by(Dossier.submitted_at.desc())
                .limit(1)
            )
            if dossier is not None:
                dossier.applicant_user_id = citizen.id
                dossier.applicant_name_encrypted = encrypt_personal(keys, name)
                dossier.applicant_name_index = blind_index(keys, name)
                dossier.applicant_id_encrypted = encrypt_personal(keys, DEMO_CITIZEN.id_number)
                dossier.applicant_id_index = blind_index(keys, DEMO_CITIZEN.id_number)
                dossier.applicant_id_masked = mask(DEMO_CITIZEN.id_number)
                dossier.applicant_phone_encrypted = encrypt_personal(keys, DEMO_CITIZEN.phone)
                dossier.applicant_phone_index = blind_index(keys, DEMO_CITIZEN.phone)
                dossier.applicant_phone_masked = mask(DEMO_CITIZEN.phone)
                given.append(dossier.code)
        uow.audit("dossier.demo_given_to_citizen", "dossier", "*", after={"user": username, "codes": given})
    return len(given)


def enter_demo_results_in_registers(db: Any, *, settings: Settings, limit: int = 80) -> int:
    """Decided demo permits and business registrations enter the GIS registers as live decisions do.

    Demo forms name random parcels: each permit is moved onto a parcel the GIS knows (demo data only)."""
    try:
        from smartcity.gis.service import query_features
    except ImportError:  # the GIS domain is not installed
        return 0
    parcels = [f.key for f in query_features(db, slug="land-parcels", limit=1000).features if "/" in f.key]
    with db.session() as s:
        decided = list(
            s.scalars(
                select(Dossier)
                .where(
                    Dossier.procedure_code.in_((CONSTRUCTION_PERMIT_PROCEDURE, HOUSEHOLD_BUSINESS_PROCEDURE)),
                    Dossier.decided_at.is_not(None),
                )
                .order_by(Dossier.decided_at.desc())
                .limit(limit)
            )
        )
    for dossier in decided:
        form = json.loads(decrypt_personal(settings.personal_keys, dossier.form_encrypted))
        number = str((dossier.result_data or {}).get(RESULTS[dossier.procedure_code]) or dossier.id)
        if dossier.procedure_code == CONSTRUCTION_PERMIT_PROCEDURE and parcels:
            sheet, parcel = parcels[dossier.id % len(parcels)].split("/")
            form.update(map_sheet=int(sheet), parcel_number=int(parcel))
            number = f"{number}/GPXD"
        elif number.isdigit():
            number = f"46A8{int(number):06d}"  # the province's household-business numbering
        with UnitOfWork(db, DEMO) as uow:
            publish_register_entry(uow, dossier, form, number, settings)
    return len(decided)


def load_demo(db: Any, *, settings: Settings, actor: Actor) -> str:
    """`smartcity demo`: a few thousand dossiers over two years the first time; later runs keep them."""
    existing = sum(demo_counts(db).values())
    made = 0 if existing else seed_demo_dossiers(db, settings=settings, count=DEMO_COUNT)
    given = give_dossiers_to_demo_citizen(db)
    if existing:
        return f"{existing} dossiers already there"
    entered = enter_demo_results_in_registers(db, settings=settings)
    return (
        f"{made} dossiers over two years, in every state ({given} of them the demo citizen's; "
        f"{entered} permits and business registrations in the registers)"
    )

"""Demo health data: a synthetic population of the wards at a scale of 1:SCALE, about half of it with
records, children with realistic vaccination histories, a few home quarantines; nothing dated after today.

Why a scale: the wards hold ~362,000 residents (population.json); a full-size store would mean ~180,000
Patients, as many Encounters and ~15,000 children's ~180,000 Immunizations (hundreds of MB and, with the
operations centre recomputing the daily indicators over its history, minutes of loading). So each synthetic
resident stands for SCALE real ones, and the coverage denominators loaded with the demo are the wards'
figures divided by the same SCALE, saying so in their source (shown under the coverage table). Whether a
synthetic resident has a record is drawn per age group (RECORD_CHANCE), so the coverage the pages and the
operations centre read (about half) is counted from the data, never written down.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from typing import Any

from smartcity.accounts import service as accounts_service
from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.demo import (
    DEMO_CITIZEN,
    FAMILY_NAMES,
    DemoPerson,
    demo_children,
    demo_password,
    given_names,
    id_number,
)
from smartcity.core.security import Actor
from smartcity.health import service
from smartcity.health.config import HealthSettings
from smartcity.health.fhir import store
from smartcity.health.fhir.access import Caller
from smartcity.health.fhir.extract import PARENT_EXTENSION, WARD_EXTENSION
from smartcity.health.fhir.validate import validate
from smartcity.health.service.coverage import demo_population
from smartcity.health.service.immunisation import schedule, vaccine_coding

SCALE = 60  # one synthetic resident stands for this many real ones; denominators are divided by it too
# where the demo's denominators come from, shown under the coverage table (English in health.po)
POPULATION_SOURCE = (
    f"Mô phỏng: dân số phường chia {SCALE} (mỗi người trong dữ liệu mẫu đại diện {SCALE} người)"
)
RECORD_CHANCE = {"0-5": 0.9, "6-17": 0.45, "18-59": 0.42, "60+": 0.7}  # a Patient with encounters
UNSEEN_CHANCE = 0.03  # a Patient (registered somewhere) but never seen: not counted as a record
STREETS = ("Yersin", "Bạch Đằng", "Cách Mạng Tháng Tám", "Phú Lợi", "Huỳnh Văn Lũy")
SEED = 19
AGE_SPANS = {"0-5": (0, 5), "6-17": (6, 17), "18-59": (18, 59), "60+": (60, 90)}
DEMO_USERS = (
    ("yte", "Trần Thị Thu (Phòng Y tế)", "health_manager", None),
    ("tramyte", "Nguyễn Văn Lộc (Trạm Y tế phường Thủ Dầu Một)", "health_worker", "TYT-25747"),
)
ORGANISATIONS = (
    ("bvdk-binh-duong", "Bệnh viện Đa khoa tỉnh Bình Dương", "prov"),
    ("ttyt-thu-dau-mot", "Trung tâm Y tế thành phố Thủ Dầu Một", "govt"),
)


def _cccd(rng: random.Random, birth: date, gender: str) -> str:
    return id_number(birth, female=gender == "female", serial=rng.randint(0, 999999))


def _name(rng: random.Random, gender: str, family: str | None = None) -> dict[str, Any]:
    given = given_names(rng, female=gender == "female")
    return {"family": family or rng.choice(FAMILY_NAMES), "given": given}


def _patient(
    rng: random.Random,
    system: str,
    ward: str,
    ward_name: str,
    birth: date,
    gender: str,
    family: str | None = None,
) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": f"demo-{rng.getrandbits(48):012x}",
        "identifier": [{"system": system, "value": _cccd(rng, birth, gender)}],
        "name": [_name(rng, gender, family)],
        "gender": gender,
        "birthDate": birth.isoformat(),
        "address": [
            {
                "extension": [{"url": WARD_EXTENSION, "valueCoding": {"code": ward, "display": ward_name}}],
                "line": [f"{rng.randint(1, 400)} đường {rng.choice(STREETS)}"],
                "city": "Thủ Dầu Một",
                "country": "VN",
            }
        ],
    }


def scaled_population() -> list[dict[str, Any]]:
    """The wards' population figures divided by SCALE: the denominators of the demo's coverage."""
    data = demo_population()
    return [
        {
            "ward_code": ward,
            "as_of": date.fromisoformat(data["as_of"]),
            "age_group": group,
            "population": round(total * share / SCALE),
            "source": POPULATION_SOURCE,
        }
        for ward, total in data["wards"].items()
        for group, share in data["age_shares"].items()
    ]


def _people(
    rng: random.Random, system: str, wards: dict[str, str], today: date
) -> tuple[list[dict[str, Any]], set[str]]:
    """The synthetic residents who have a Patient record, and the ids of those ever seen (encounters)."""
    people, seen = [], set()
    for row in scaled_population():
        low, high = AGE_SPANS[row["age_group"]]
        for _ in range(row["population"]):
            draw = rng.random()
            if draw >= RECORD_CHANCE[row["age_group"]] + UNSEEN_CHANCE:
                continue  # no record anywhere: no row at all
            birth = today - timedelta(days=rng.randint(low * 365, high * 365 + 364))
            ward = row["ward_code"]
            person = _patient(rng, system, ward, wards.get(ward, ""), birth, rng.choice(("male", "female")))
            people.append(person)
            if draw < RECORD_CHANCE[row["age_group"]]:
                seen.add(person["id"])
    return people, seen


def _encounters(rng: random.Random, person: dict[str, Any], today: date) -> list[dict[str, Any]]:
    birth = date.fromisoformat(person["birthDate"])
    found = []
    for _ in range(rng.randint(1, 3)):
        day = birth + timedelta(days=rng.randint(0, max(0, min((today - birth).days, 3 * 365))))
        day = max(day, today - timedelta(days=3 * 365)) if (today - birth).days > 3 * 365 else day
        org = rng.choice(ORGANISATIONS)[0]
        found.append(
            {
                "resourceType": "Encounter",
                "id": f"demo-{rng.getrandbits(48):012x}",
                "status": "finished",
                "class": {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                    "code": "AMB",
                    "display": "ambulatory",
                },
                "subject": {"reference": f"Patient/{person['id']}"},
                "serviceProvider": {"reference": f"Organization/{org}"},
                "period": {"start": f"{day.isoformat()}T08:30:00+07:00"},
            }
        )
    return found


def _immunizations(
    rng: random.Random, child: dict[str, Any], today: date, *, hers: bool = False
) -> list[dict[str, Any]]:
    """Doses given around their due dates: most on time, some late, a few missed (overdue lists); a
    careful family (nine in ten) rarely misses one. The demo citizen's children (`hers`) miss none: her
    page shows doses given and, for the baby, doses due, none overdue."""
    birth = date.fromisoformat(child["birthDate"])
    last: dict[str, date] = {}
    shots = []
    careful = rng.random() > 0.1 or hers
    for dose in schedule():
        due = birth + timedelta(days=dose.age)
        if dose.dose > 1:
            if dose.vaccine not in last:
                continue
            due = max(due, last[dose.vaccine] + timedelta(days=dose.min_interval))
        delay = 0 if dose.age == 0 else int(rng.expovariate(1 / (5 if careful else 40)))
        given = due + timedelta(days=delay)
        if given > today or (not hers and rng.random() < (0.004 if careful else 0.15)):
            continue
        last[dose.vaccine] = given
        shots.append(
            {
                "resourceType": "Immunization",
                "id": f"demo-{rng.getrandbits(48):012x}",
                "status": "completed",
                "vaccineCode": vaccine_coding(dose.vaccine),
                "patient": {"reference": f"Patient/{child['id']}"},
                "occurrenceDateTime": given.isoformat(),
                "primarySource": True,
                "performer": [{"actor": {"reference": f"Organization/tyt-{_ward_of(child)}"}}],
                "protocolApplied": [{"series": "TCMR", "doseNumberPositiveInt": dose.dose}],
            }
        )
    return shots


def _ward_of(person: dict[str, Any]) -> str:
    return str(person["address"][0]["extension"][0]["valueCoding"]["code"])


def _organisations(wards: dict[str, str]) -> list[dict[str, Any]]:
    orgs = [
        {
            "resourceType": "Organization",
            "id": oid,
            "active": True,
            "name": name,
            "type": [
                {
                    "coding": [
                        {"system": "http://terminology.hl7.org/CodeSystem/organization-type", "code": kind}
                    ]
                }
            ],
        }
        for oid, name, kind in ORGANISATIONS
    ]
    orgs += [
        {
            "resourceType": "Organization",
            "id": f"tyt-{code}",
            "active": True,
            "name": f"Trạm Y tế {name.replace('Phường', 'phường')}",
            "partOf": {"reference": "Organization/ttyt-thu-dau-mot"},
            "type": [
                {
                    "coding": [
                        {"system": "http://terminology.hl7.org/CodeSystem/organization-type", "code": "prov"}
                    ]
                }
            ],
        }
        for code, name in wards.items()
    ]
    return orgs


def _users(db: Database, settings: Settings, actor: Actor) -> None:
    for username, full_name, role, unit in DEMO_USERS:
        if accounts_service.get_user_by_username(db, username) is None:
            accounts_service.create_user(
                db,
                actor=actor,
                username=username,
                password=demo_password(settings),
                full_name=full_name,
                roles=[(role, unit)],
            )


def _age_group(birth: date, today: date) -> str:
    age = (today - birth).days // 365
    return next(group for group, (low, high) in AGE_SPANS.items() if low <= age <= high)


def _take_place(
    people: list[dict[str, Any]], seen: set[str], who: DemoPerson, today: date, taken: list[dict[str, Any]]
) -> dict[str, Any]:
    """The demo citizen's family member `who` in the place of a resident of her ward with a record, of the
    same sex and age group (so the ward's numbers stay as drawn): their name, birth date and ID number, her
    street."""
    gender = "female" if who.female else "male"
    group = _age_group(who.birth, today)
    person = next(
        p
        for p in people
        if _ward_of(p) == DEMO_CITIZEN.ward_code
        and p["gender"] == gender
        and p["id"] in seen
        and _age_group(date.fromisoformat(p["birthDate"]), today) == group
        and not any(p is t for t in taken)
    )
    person["identifier"][0]["value"] = who.id_number
    person["name"] = [{"family": who.family, "given": list(who.given)}]
    person["birthDate"] = who.birth.isoformat()
    person["address"][0]["line"] = [DEMO_CITIZEN.street]
    taken.append(person)
    return person


def _mother_contact(mother: dict[str, Any]) -> list[dict[str, Any]]:
    """A Patient.contact naming `mother`, her ID number in the parent extension (how a guardian is found)."""
    return [
        {
            "relationship": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
                            "code": "MTH",
                            "display": "mother",
                        }
                    ]
                }
            ],
            "extension": [{"url": PARENT_EXTENSION, "valueIdentifier": mother["identifier"][0]}],
            "name": mother["name"][0],
        }
    ]


def _family(
    rng: random.Random, people: list[dict[str, Any]], seen: set[str], today: date
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The demo citizen and her children (core.demo) take the places of residents of her ward; every other
    child under six gets a mother among the ward's women who were 18–45 at the child's birth. A child keeps
    the family name drawn for them: their father's. Returns her record and her children's."""
    taken: list[dict[str, Any]] = []
    citizen = _take_place(people, seen, DEMO_CITIZEN, today, taken)
    hers = [_take_place(people, seen, child, today, taken) for child in demo_children(today)]
    for child in hers:
        child["contact"] = _mother_contact(citizen)
    women: dict[str, list[tuple[date, dict[str, Any]]]] = {}
    for p in people:
        if p["gender"] == "female" and p is not citizen:
            women.setdefault(_ward_of(p), []).append((date.fromisoformat(p["birthDate"]), p))
    for p in people:
        birth = date.fromisoformat(p["birthDate"])
        if (today - birth).days > 6 * 365 or any(p is t for t in taken):
            continue
        ward = women.get(_ward_of(p), [])
        mothers = [w for born, w in ward if 18 * 365 <= (birth - born).days <= 45 * 365]
        if mothers:
            p["contact"] = _mother_contact(rng.choice(mothers))
    return citizen, hers


def load_demo(db: Database, *, settings: Settings, actor: Actor) -> str:
    """Load the demo health data once; later runs leave it as it is."""
    service.ensure_health_roles(db)
    today = clock.today(settings)
    service.ensure_health_stations(db, actor=actor, on=today)
    service.ensure_population(db, scaled_population())
    _users(db, settings, actor)
    with db.session() as s:
        if store.current_row(s, "Organization", "ttyt-thu-dau-mot") is not None:
            return "already loaded"
    rng = random.Random(SEED)
    wards = service.ward_names(db, today)
    system = settings.section(HealthSettings).national_id_system
    people, seen = _people(rng, system, wards, today)
    citizen, hers = _family(rng, people, seen, today)
    resources = _organisations(wards) + people
    for person in people:
        if person["id"] in seen:
            resources += _encounters(rng, person, today)
        if (today - date.fromisoformat(person["birthDate"])).days <= 6 * 365:
            mine = any(person is h for h in hers)
            resources += _immunizations(rng, person, today, hers=mine)
    counts = _store(db, settings, actor, resources)
    user = accounts_service.get_user_by_username(db, DEMO_CITIZEN.username)
    if user is not None:
        service.link_person(db, actor=actor, user_id=user.id, patient_id=citizen["id"])
        service.set_consent(db, actor=actor, user_id=user.id, purpose="immunisation-reminders", given=True)
    cases = _quarantine(db, settings, actor, rng, people, citizen, today)
    reminders = service.send_reminders(db, settings, on=today)
    summary = ", ".join(f"{n} {k}" for k, n in counts.items())
    if not reminders and not service.in_reminder_hours(settings, clock.now()):
        told = "reminders wait for the daytime reminder hours (task health.reminders)"
    else:
        told = f"{reminders} reminders"
    return f"{summary}; {cases} home quarantines; {told} (the wards at 1:{SCALE}, see demo.py)"


def _store(db: Database, settings: Settings, actor: Actor, resources: list[dict[str, Any]]) -> dict[str, int]:
    from smartcity.core.uow import UnitOfWork

    counts: dict[str, int] = {}
    seen: set[str] = set()
    caller = Caller(actor=actor)
    with UnitOfWork(db, actor) as uow:
        ctx = service.store_context(uow.session, db, settings, caller)
        for resource in resources:
            kind = resource["resourceType"]
            if kind not in seen:  # the generator's shapes are checked against the FHIR models once a type
                validate(resource, expected=kind, national_system=ctx.national_system)
                seen.add(kind)
            counts[kind] = counts.get(kind, 0) + 1
        store.load_trusted(ctx, resources)
        uow.audit("health.demo_loaded", "fhir", "demo", after=counts)
    return counts


def _quarantine(
    db: Database,
    settings: Settings,
    actor: Actor,
    rng: random.Random,
    people: list[dict[str, Any]],
    citizen: dict[str, Any],
    today: date,
) -> int:
    """A dengue cluster in Phú Lợi, scattered hand-foot-mouth cases, the citizen as a contact; check-ins."""
    adults = [
        p for p in people if (today - date.fromisoformat(p["birthDate"])).days > 18 * 365 and p is not citizen
    ]
    plan = [
        (p, "dengue", "case", rng.randint(0, 5))
        for p in [a for a in adults if a["address"][0]["extension"][0]["valueCoding"]["code"] == "25750"][:6]
    ]
    plan += [(p, "hfmd", "case", rng.randint(0, 8)) for p in rng.sample(people, 4)]
    plan += [(p, "covid-19", "contact", rng.randint(1, 4)) for p in rng.sample(adults, 3)]
    plan.append((citizen, "covid-19", "contact", 1))
    made = 0
    system = Actor.system("health.demo")
    for person, disease, kind, ago in plan:
        start = today - timedelta(days=ago)
        case_id = service.open_case(
            db, settings, actor=actor, patient_id=person["id"], disease=disease, kind=kind, start=start
        )
        made += 1
        day = start
        while day < today:
            if rng.random() < 0.85:
                service.check_in(
                    db,
                    settings,
                    actor=system,
                    case_id=case_id,
                    temperature=round(rng.uniform(36.4, 37.6), 1),
                    symptoms=rng.sample(["ho", "sot", "dau-hong"], rng.randint(0, 1)),
                    day=day,
                )
            day += timedelta(days=1)
    made += _past_season(db, rng, adults, today)
    service.find_missed_checkins(db, settings, on=today)
    service.detect_clusters(db, settings, on=today)
    return made


def _past_season(db: Database, rng: random.Random, adults: list[dict[str, Any]], today: date) -> int:
    """The dengue season of the last three months, followed and released: the epidemic curve's past."""
    from smartcity.health.models import QuarantineCase

    rows = []
    for ago in range(90, 7, -1):
        expected = 7 * math.exp(-(((ago - 45) / 15) ** 2))  # a wave peaking about six weeks ago
        for _ in range(int(expected + rng.random())):
            person = rng.choice(adults)
            start = today - timedelta(days=ago)
            rows.append(
                QuarantineCase(
                    patient_id=person["id"],
                    disease="dengue",
                    kind="case",
                    ward_code=_ward_of(person),
                    ward_on=start,
                    start_date=start,
                    end_date=start + timedelta(days=6),
                    status="released",
                    created_by="demo",
                )
            )
    with db.write_session() as s:
        s.add_all(rows)
    return len(rows)

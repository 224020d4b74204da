"""Demo data in every state, the deadline warnings, the register (form 06), lazy results of old dossiers."""

from __future__ import annotations

import random
import statistics
from datetime import UTC, date, datetime

from sqlalchemy import select

from smartcity.core.crypto import decrypt_personal
from smartcity.core.demo import DEMO_CITIZEN
from smartcity.dossiers import demo, documents, service, stats, tasks
from smartcity.dossiers.models import Dossier
from smartcity.dossiers.states import ALL_STATES
from smartcity.procedures import service as procedures
from tests.dossiers.dossier_fixtures import SYSTEM, seed_history_and_a_busy_month

# Which states a few hundred dossiers reach depends on the day they are seeded on (a rare state such as
# "fees to pay" may be missing on one day in ten): these tests seed them as of a day known to reach all.
SEEDED_AT = datetime(2026, 11, 19, 3, tzinfo=UTC)


def test_demo_dossiers_cover_every_state_and_feed_statistics(city, db, settings):
    procedures.load_city_catalogue(db, actor=SYSTEM)
    made = seed_history_and_a_busy_month(db, settings, seed=7, now=SEEDED_AT)
    assert made == 300
    counts = demo.demo_counts(db)
    assert set(counts) == set(ALL_STATES)
    total = stats.statistics(db, settings=settings, by="all")[0]
    assert total["received"] == 300 and total["early"] + total["on_time"] > total["late"] > 0
    assert 0.5 < total["online_share"] < 0.9 and total["rated"] > 0
    months = stats.statistics(db, settings=settings, by="month")
    assert len(months) >= 18  # spread over two years
    warned = tasks.warn_deadlines(db, settings=settings)
    assert warned["overdue"] > 0
    returned = service.list_dossiers(db, actor=SYSTEM, settings=settings, state=10, limit=1).items[0]
    pdf = service.document_pdf(db, actor=SYSTEM, settings=settings, code=returned.code, kind="result")
    assert pdf.startswith(b"%PDF")
    again = service.document_pdf(db, actor=SYSTEM, settings=settings, code=returned.code, kind="result")
    assert again == pdf  # issued once, then kept
    unit = returned.intake_unit
    month = date(returned.received_at.year, returned.received_at.month, 1)
    rows = service.register_rows(db, unit=unit, month=month)
    assert returned.code in {r.code for r, _ in rows}
    assert documents.register_pdf(rows, unit=unit, period="x").startswith(b"%PDF")


def test_the_demo_citizen_owns_a_dossier_in_each_state_and_sees_them(city, db, settings):

    from smartcity.accounts import service as accounts

    procedures.load_city_catalogue(db, actor=SYSTEM)
    seed_history_and_a_busy_month(db, settings, now=SEEDED_AT)
    citizen = accounts.create_user(
        db, actor=SYSTEM, username="congdan", password="mat-khau-dai-1234", full_name="Đỗ Thị Lan"
    )
    with db.write_session() as s:  # the latest online dossier of each state: a first military registration
        for state in demo.demo_counts(db):
            latest = s.scalars(
                select(Dossier)
                .where(Dossier.state == state, Dossier.channel == "online")
                .order_by(Dossier.submitted_at.desc())
                .limit(1)
            ).first()
            if latest is not None:
                latest.procedure_code = "TDM-QS-001"
    given = demo.give_dossiers_to_demo_citizen(db)
    assert given >= 8 and demo.give_dossiers_to_demo_citizen(db) == 0  # once only
    actor = accounts.actor_for_user(db, citizen.id)
    mine = service.list_dossiers(db, actor=actor, settings=settings, limit=50).items
    assert len(mine) == given and {d.applicant_name for d in mine} == {"Đỗ Thị Lan"}
    assert len({d.applicant_id_masked for d in mine}) == 1  # one person, one ID card
    assert len({d.state for d in mine}) == given
    with db.session() as s:
        fields = set(s.scalars(select(Dossier.field_code).where(Dossier.applicant_user_id == citizen.id)))
    assert fields <= set(demo.HER_FIELDS)  # a private person's business: no school licence, no karaoke
    assert not {d.procedure_code for d in mine} & set(demo.NOT_FOR_HER), "none for a man of 17, say"
    with db.session() as s:
        sealed = s.scalars(
            select(Dossier.applicant_id_encrypted).where(Dossier.applicant_user_id == citizen.id)
        )
        cards = {decrypt_personal(settings.personal_keys, value) for value in sealed if value}
    assert cards == {DEMO_CITIZEN.id_number}, "the ID card of her health record (core.demo)"
    assert cards.pop()[3:6] == "190" and DEMO_CITIZEN.birth.year == 1990  # a woman born in 1990


def test_demo_dossiers_arrive_evenly_online_on_any_day_at_the_counter_on_working_days(city, db, settings):

    procedures.load_city_catalogue(db, actor=SYSTEM)
    demo.seed_demo_dossiers(db, settings=settings, count=400, seed=3)
    months = stats.statistics(db, settings=settings, by="month")
    in_order = [row["received"] for row in sorted(months, key=lambda row: row["key"])]
    whole_months = in_order[1:-1]  # not the first month, nor the one still running
    assert max(whole_months) < 2.5 * statistics.median(whole_months), "an even flow, no month piled up"
    calendar = service.calendar_for(db, settings)
    with db.session() as s:
        rows = s.execute(select(Dossier.channel, Dossier.submitted_at)).all()
    closed_days = {channel for channel, at in rows if not calendar.is_working_day(calendar.local_date(at))}
    assert closed_days == {"online"}


def test_demo_dossiers_seeded_on_a_sunday_morning_hold_nothing_dated_after_it(city, db, settings):
    """Submissions that fall on a weekend or later in the day move to an earlier working day, not the next."""
    from datetime import UTC, datetime

    from sqlalchemy import func

    procedures.load_city_catalogue(db, actor=SYSTEM)
    sunday_morning = datetime(2026, 12, 6, 1, 50, tzinfo=UTC)  # 08:50 in the city, a Sunday
    demo.seed_demo_dossiers(db, settings=settings, count=200, seed=7, now=sunday_morning)
    with db.session() as s:
        latest = s.scalar(select(func.max(Dossier.submitted_at)))
    assert latest is not None and latest.replace(tzinfo=latest.tzinfo or UTC) <= sunday_morning


def test_the_demos_building_permits_describe_houses_that_add_up():
    """A permit's house stands on its land, its floor area is its storeys', its height is its storeys' (the
    walk of the demo found a one-storey house 15 m high with 311 m² of floor on a 111 m² footprint)."""
    for seed in range(300):
        house = demo._house(random.Random(seed))
        floors, footprint = house["floors"], house["footprint_m2"]
        assert footprint <= house["land_area_m2"]
        assert footprint * floors <= house["total_floor_area_m2"] <= footprint * (floors + 0.5) + 1
        assert 3.3 * floors < house["height_m"] <= 3.8 * (floors + 0.5) + 1.25

"""The working calendar: weekends, Tết, official swaps, pack and admin exceptions, the cut-off."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from smartcity.city import service
from smartcity.city.calendar import WorkingCalendar
from smartcity.city.loader import load_city_pack
from smartcity.city.pack import PACKS_DIR
from smartcity.core.config import Settings
from smartcity.core.errors import Conflict, NotFound, ValidationFailed
from smartcity.core.security import Actor

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
SYSTEM = Actor.system("test")
plain = WorkingCalendar()


def test_tet_2026_is_off_from_16_to_20_february():
    for day in range(16, 21):
        status = plain.status(date(2026, 2, day))
        assert (status.working, status.reason) == (False, "holiday")
    assert plain.is_working_day(date(2026, 2, 13))  # Friday before
    assert plain.is_working_day(date(2026, 2, 23))  # Monday after
    assert plain.working_days_between(date(2026, 2, 13), date(2026, 2, 23)) == 1


def test_the_2025_swap_saturday_is_worked_and_the_friday_is_off():
    assert plain.status(date(2025, 4, 26)).reason == "make_up_working_day"
    assert plain.is_working_day(date(2025, 4, 26))
    assert not plain.is_working_day(date(2025, 5, 2))
    assert not plain.is_working_day(date(2025, 4, 27))  # an ordinary Sunday


def test_add_working_days_across_tet():
    assert plain.add_working_days(date(2026, 2, 12), 2) == date(2026, 2, 23)
    assert plain.add_working_days(date(2026, 2, 10), 5) == date(2026, 2, 24)
    assert plain.add_working_days(date(2026, 2, 14), 0) == date(2026, 2, 23)  # Saturday, then Tết
    assert plain.add_working_days(date(2026, 2, 12), 0) == date(2026, 2, 12)
    assert plain.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)


def test_working_days_between_inverts_add_working_days():
    start = date(2025, 12, 20)
    for n in (1, 5, 15, 40):
        end = plain.add_working_days(start, n)
        assert plain.working_days_between(start, end) == n
        assert plain.working_days_between(end, start) == -n
    assert plain.working_days_between(start, start) == 0
    with pytest.raises(ValueError, match="zero or positive"):
        plain.add_working_days(start, -1)


def test_afternoon_cutoff_at_15_local():
    thursday = date(2026, 1, 8)
    at = lambda h, m, s=0: datetime(2026, 1, 8, h, m, s, tzinfo=HCM)  # noqa: E731
    assert plain.receipt_start(at(14, 59)) == thursday
    assert plain.receipt_start(at(15, 0)) == thursday
    assert plain.receipt_start(at(15, 0, 1)) == date(2026, 1, 9)
    # 08:30 UTC is 15:30 in Hồ Chí Minh City: after the cut-off
    assert plain.receipt_start(datetime(2026, 1, 8, 8, 30, tzinfo=ZoneInfo("UTC"))) == date(2026, 1, 9)
    # late on Friday 13 February 2026 counts from after Tết
    assert plain.receipt_start(datetime(2026, 2, 13, 16, 0, tzinfo=HCM)) == date(2026, 2, 23)
    assert plain.receipt_start(datetime(2026, 2, 14, 9, 0, tzinfo=HCM)) == date(2026, 2, 23)  # Saturday
    assert plain.deadline(datetime(2026, 2, 12, 16, 0, tzinfo=HCM), 3) == date(2026, 2, 25)
    with pytest.raises(ValueError, match="aware"):
        plain.receipt_start(datetime(2026, 1, 8, 9, 0))


def test_cutoff_comes_from_the_pack_unless_set_in_the_environment(db):
    load_city_pack(db, actor=SYSTEM)
    assert service.working_calendar(db, settings=Settings()).afternoon_cutoff == time(15, 0)
    explicit = Settings(afternoon_cutoff=time(16, 30))
    assert service.working_calendar(db, settings=explicit).afternoon_cutoff == time(16, 30)


@pytest.fixture
def custom_packs(tmp_path):
    """A copy of the Thủ Dầu Một pack whose calendar adds a local day off on Monday 2026-03-02."""
    folder = tmp_path / "packs"
    shutil.copytree(PACKS_DIR / "thu-dau-mot", folder / "thu-dau-mot")
    path = folder / "thu-dau-mot" / "calendar.json"
    calendar = json.loads(path.read_text())
    calendar["extra_days_off"].append({"date": "2026-03-02", "note": "Test: local day off"})
    calendar["make_up_working_days"].append({"date": "2026-03-07", "note": "Test: Saturday worked"})
    path.write_text(json.dumps(calendar, ensure_ascii=False))
    return folder


def test_a_pack_configured_exception_is_honoured(db, custom_packs):
    load_city_pack(db, actor=SYSTEM, packs_dir=custom_packs)
    calendar = service.working_calendar(db, settings=Settings())
    assert calendar.status(date(2026, 3, 2)).reason == "exception_day_off"
    assert calendar.status(date(2026, 3, 2)).name == "Test: local day off"
    assert calendar.is_working_day(date(2026, 3, 7))
    assert calendar.add_working_days(date(2026, 2, 27), 1) == date(2026, 3, 3)
    assert plain.add_working_days(date(2026, 2, 27), 1) == date(2026, 3, 2)
    days = {e.date: e.source for e in service.list_calendar_exceptions(db, year=2026)}
    assert days == {date(2026, 3, 2): "pack:thu-dau-mot", date(2026, 3, 7): "pack:thu-dau-mot"}


def test_removing_a_day_from_the_pack_removes_its_exception_on_reload(db, custom_packs):
    load_city_pack(db, actor=SYSTEM, packs_dir=custom_packs)
    report = load_city_pack(db, actor=SYSTEM)  # the shipped pack, without the test days
    assert report.deleted == {"calendar_exceptions": 2}
    assert service.list_calendar_exceptions(db, year=2026) == []


def test_admin_exceptions_add_conflict_remove(db):
    load_city_pack(db, actor=SYSTEM)
    admin = Actor(kind="user", name="admin", roles=frozenset({("admin", None)}))
    added = service.add_calendar_exception(
        db, actor=admin, day=date(2026, 3, 2), kind="day_off", note="Decision 12/QĐ-UBND (test)"
    )
    assert added.source == "admin"
    assert not service.working_calendar(db).is_working_day(date(2026, 3, 2))
    with pytest.raises(Conflict):
        service.add_calendar_exception(db, actor=admin, day=date(2026, 3, 2), kind="working_day", note="x")
    with pytest.raises(ValidationFailed):
        service.add_calendar_exception(db, actor=admin, day=date(2026, 3, 3), kind="holiday", note="x")
    service.remove_calendar_exception(db, actor=admin, day=date(2026, 3, 2))
    assert service.working_calendar(db).is_working_day(date(2026, 3, 2))
    with pytest.raises(NotFound):
        service.remove_calendar_exception(db, actor=admin, day=date(2026, 3, 2))


def test_long_spans_stay_consistent():
    start = date(2025, 1, 1)
    end = plain.add_working_days(start, 3650)
    assert end - start > timedelta(days=3650 * 7 // 5)
    assert plain.working_days_between(start, end) == 3650

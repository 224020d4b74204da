"""The demo's documents have a past: drafted working days ago, their steps hours and days apart in office
hours and in order, issued on past days numbered in the order of their dates; nothing dated in the future."""

from __future__ import annotations

import json
from datetime import timedelta

from smartcity.accounts import demo as accounts_demo
from smartcity.accounts import service as accounts
from smartcity.core import clock
from smartcity.documents import demo, service
from smartcity.signing import demo as signing_demo
from tests.documents.conftest import SYSTEM
from tests.documents.test_documents_demo import process_settings
from tests.dossiers.dossier_fixtures import ORG_CHART

__all__ = ["process_settings"]  # the fixture, used by name


def test_demo_documents_tell_a_past_in_order(db, settings, process_settings) -> None:  # type: ignore[no-untyped-def]
    units = json.loads(ORG_CHART.read_text(encoding="utf-8"))["org_units"]
    accounts.upsert_org_units(db, actor=SYSTEM, units=units)
    accounts_demo.load_demo(db, settings=settings, actor=SYSTEM)
    signing_demo.load_demo(db, settings=settings, actor=SYSTEM)
    demo.load_demo(db, settings=settings, actor=SYSTEM)
    now, today = clock.now(), clock.today(settings)
    items, _total = service.list_documents(db, actor=SYSTEM)
    for doc in items:
        steps = service.history(db, actor=SYSTEM, document_id=doc.id)
        times = [step.at for step in steps]
        assert times == sorted(times) and len(set(times)) == len(times), (doc.subject, times)
        assert times[-1] < now and doc.updated_at == times[-1] and doc.created_at == times[0]
        assert now - times[0] > timedelta(hours=12)  # drafted at least the working day before
        assert all(7 <= clock.local(t, settings).hour < 17 for t in times)  # in office hours
    issued = sorted((d for d in items if d.state == "issued"), key=lambda d: d.number or 0)
    days = [d.issued_on for d in issued]
    assert len(issued) == 3 and days == sorted(days) and len(set(days)) == 3 and days[-1] < today
    assert all(
        d.issued_at is not None and clock.local_date(d.issued_at, settings) == d.issued_on for d in issued
    )
    outgoing = service.register(db, actor=SYSTEM, register_name="outgoing")
    assert sorted(e.document_date for e in outgoing) == days
    drafted = sorted(d.created_at for d in items)
    assert drafted[-1] - drafted[0] > timedelta(days=14)  # not all on one day

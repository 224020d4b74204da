"""Fixtures of the dossier tests: org units of the city pack, the six full procedures, staff, citizens."""

from __future__ import annotations

import json

import pytest

from smartcity.accounts import service as accounts
from smartcity.procedures import service as procedures
from smartcity.procedures.catalogue import build_catalogue
from tests.dossiers.dossier_fixtures import ORG_CHART, SYSTEM, People, make_user


@pytest.fixture
def city(db):
    """Org units of the pack and the six full procedures."""
    units = json.loads(ORG_CHART.read_text(encoding="utf-8"))["org_units"]
    accounts.upsert_org_units(db, actor=SYSTEM, units=units)
    procedures.upsert_procedures(db, actor=SYSTEM, records=build_catalogue()[:6])
    return db


@pytest.fixture
def people(city) -> People:
    """A citizen and the staff of the city (before 2025-07-01) and of ward 25747 (both periods)."""
    db = city
    ward_units = ["UBND-25747", "UBND-25747-HCM"]
    return People(
        citizen=make_user(db, "citizen1", [("citizen", None)]),
        other_citizen=make_user(db, "citizen2", [("citizen", None)]),
        clerk=make_user(db, "clerk1", [("clerk", "TDM-MOTCUA")]),
        head=make_user(db, "head1", [("head", "TDM-QLDT"), ("head", "TDM-TCKH")]),
        specialist=make_user(db, "spec1", [("specialist", "TDM-QLDT"), ("specialist", "TDM-TCKH")]),
        leader=make_user(db, "leader1", [("leader", "UBND-TDM")]),
        ward_clerk=make_user(db, "wclerk", [("clerk", u) for u in ward_units]),
        ward_specialist=make_user(db, "wspec", [("specialist", u) for u in ward_units]),
        ward_leader=make_user(db, "wleader", [("leader", u) for u in ward_units]),
        ward_head=make_user(db, "whead", [("head", u) for u in ward_units]),
    )

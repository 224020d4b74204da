"""Property-based tests of the workflow: any sequence of allowed actions keeps the invariants."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from smartcity.city.calendar import WorkingCalendar
from smartcity.core.errors import AppError
from smartcity.core.security import Actor
from smartcity.dossiers import deadlines, workflow
from smartcity.dossiers.models import Dossier
from smartcity.dossiers.states import ALL_STATES, SUPPLEMENT, TERMINAL
from tests.dossiers.dossier_fixtures import local

CALENDAR = WorkingCalendar()
ACTORS = [
    Actor(kind="user", name="citizen", user_id=1, roles=frozenset({("citizen", None)})),
    Actor(kind="user", name="clerk", user_id=2, roles=frozenset({("clerk", "MC")})),
    Actor(kind="user", name="head", user_id=3, roles=frozenset({("head", "QLDT")})),
    Actor(kind="user", name="spec", user_id=4, roles=frozenset({("specialist", "QLDT")})),
    Actor(kind="user", name="leader", user_id=5, roles=frozenset({("leader", "UBND")})),
    Actor(kind="user", name="stranger", user_id=6, roles=frozenset({("clerk", "OTHER")})),
]
PAYLOADS = {"reason": "lý do", "unit": "TNMT", "assignee": "spec"}


def _dossier(template: str, days: int, fee: int, interlinked: bool, scope: str | None) -> Dossier:
    return Dossier(
        code="X",
        workflow=template,
        processing_days=days,
        fee_vnd=fee,
        interlinked=interlinked,
        online_scope=scope,
        channel="online",
        state=1,
        step="receive",
        intake_unit="MC",
        processing_unit="QLDT",
        deciding_unit="UBND",
        applicant_user_id=1,
        paused_working_days=0,
    )


def _check_invariants(dossier: Dossier) -> None:
    assert dossier.state in ALL_STATES
    assert (dossier.paused_at is not None) == (
        dossier.state == SUPPLEMENT and dossier.received_at is not None
    )
    expected = deadlines.due_date(
        CALENDAR, deadlines.Clock(dossier.received_at, dossier.processing_days, dossier.paused_working_days)
    )
    assert dossier.due_date == expected
    if dossier.due_date is not None:
        assert CALENDAR.is_working_day(dossier.due_date)
    if dossier.state in TERMINAL:
        assert all(workflow.available_actions(dossier, a) == [] for a in ACTORS)


@settings(max_examples=150, deadline=None)
@given(
    template=st.sampled_from(["city_standard", "ward_short"]),
    days=st.integers(min_value=0, max_value=20),
    fee=st.sampled_from([0, 50_000]),
    interlinked=st.booleans(),
    scope=st.sampled_from(["toan_trinh", "mot_phan"]),
    start_hours=st.integers(min_value=0, max_value=24 * 400),
    moves=st.lists(st.tuples(st.integers(0, 1000), st.integers(0, 100), st.integers(1, 80)), max_size=25),
)
def test_any_sequence_of_allowed_actions_keeps_the_invariants(
    template, days, fee, interlinked, scope, start_hours, moves
):
    dossier = _dossier(template, days, fee, interlinked, scope)
    now = local(2024, 12, 1, 8, 0) + timedelta(hours=start_hours)
    for actor_pick, action_pick, hours in moves:
        actor = ACTORS[actor_pick % len(ACTORS)]
        allowed = workflow.available_actions(dossier, actor)
        now += timedelta(hours=hours)
        if not allowed:
            continue
        action = allowed[action_pick % len(allowed)]
        payload = dict(PAYLOADS)
        if action == "apologise":
            payload["new_due_date"] = str(max(dossier.due_date, CALENDAR.local_date(now)) + timedelta(days=3))
        workflow.apply(dossier, actor, action, now=now, calendar=CALENDAR, payload=payload)
        _check_invariants(dossier)


@settings(max_examples=100, deadline=None)
@given(
    state=st.sampled_from(ALL_STATES),
    actor_pick=st.integers(0, 5),
    action=st.sampled_from(
        [
            "receive",
            "assign",
            "process",
            "review",
            "decide",
            "return",
            "refuse",
            "pay",
            "withdraw",
            "stop",
            "supplement",
            "request_supplement",
            "transfer",
        ]
    ),
)
def test_a_refused_action_changes_nothing(state, actor_pick, action):
    dossier = _dossier("city_standard", 5, 50_000, False, "toan_trinh")
    dossier.state, dossier.step = state, "process"
    actor = ACTORS[actor_pick]
    if action in workflow.available_actions(dossier, actor):
        return
    before = (dossier.state, dossier.step, dossier.due_date, dossier.paused_at)
    try:
        workflow.apply(dossier, actor, action, now=local(2025, 3, 3, 9), calendar=CALENDAR, payload=PAYLOADS)
    except AppError as error:
        assert error.status in (403, 409)
    else:
        raise AssertionError(f"{action} by {actor.name} in state {state} should have been refused")
    assert (dossier.state, dossier.step, dossier.due_date, dossier.paused_at) == before

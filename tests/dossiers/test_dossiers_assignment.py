"""A dossier is assigned to a specialist of its processing unit, picked from a list: never to nobody."""

from __future__ import annotations

import pytest

from smartcity.core.errors import ValidationFailed
from smartcity.dossiers import service
from tests.dossiers.dossier_fixtures import local, make_user, submit_house

AT = local(2025, 3, 3, 9, 0)


def test_only_a_specialist_of_the_processing_unit_can_be_assigned(db, settings, people):
    make_user(db, "spec.elsewhere", [("specialist", "TDM-TCKH")])
    code = submit_house(db, settings, people, now=AT).code
    service.act(db, actor=people.clerk, settings=settings, code=code, action="receive", now=AT)
    choices = service.assignee_choices(db, code)
    assert "spec1" in {username for username, _ in choices}
    assert all(username != "spec.elsewhere" for username, _ in choices)
    for nobody in ("khong.ton.tai", "spec.elsewhere", "citizen1"):
        with pytest.raises(ValidationFailed, match="chuyên viên của đơn vị"):
            service.act(
                db,
                actor=people.head,
                settings=settings,
                code=code,
                action="assign",
                payload={"assignee": nobody},
                now=AT,
            )
    assert service.dossier_row(db, code).assignee is None  # nothing half-written
    service.act(
        db,
        actor=people.head,
        settings=settings,
        code=code,
        action="assign",
        payload={"assignee": "spec1"},
        now=AT,
    )
    assert service.dossier_row(db, code).assignee == "spec1"

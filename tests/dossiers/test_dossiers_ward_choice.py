"""A ward's own procedure is offered only for wards with a clerk to receive it: none waits for nobody."""

from __future__ import annotations

import re

from tests.dossiers.test_dossiers_pages import _login


def _ward_choices(client, code: str) -> list[str]:  # type: ignore[no-untyped-def]
    html = client.get(f"/ho-so/nop/{code}").text
    select = re.search(r'<select[^>]*name="f_ward_code".*?</select>', html, re.S)
    assert select, "the ward is chosen from a list"
    return re.findall(r'<option value="(\d+)"', select.group(0))


def test_only_wards_with_a_clerk_are_offered_for_a_ward_procedure(app, people):
    citizen, _token = _login(app, "citizen1")
    staffed = _ward_choices(citizen, "TDM-HT-001")  # birth registration: received by the ward itself
    # A city department's procedure: since 1 July 2025 the department is gone and the chosen ward receives it
    # (service.resolve_units), so it too is offered only where a clerk receives it.
    house = _ward_choices(citizen, "TDM-QLDT-001")
    assert staffed == house == ["25747"]  # of the five wards, the one with a clerk (people.ward_clerk)

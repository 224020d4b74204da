"""The staff queue's rows read at a glance: a unit to send to is named short enough to tell wards apart."""

from __future__ import annotations

import html
import re

from smartcity.feedback import service
from tests.feedback.conftest import CITIZEN, SECRET


def _unit_choices(page: str) -> list[tuple[str, str]]:
    """The (title, text) of each option of the rows' "send to" choices."""
    choices = page.split('name="unit_code"')[1].split("</select>")[0]
    return [
        (html.unescape(title), html.unescape(text))
        for title, text in re.findall(r'<option value="[^"]*" title="([^"]*)"[^>]*>([^<]*)</option>', choices)
    ]


def test_the_units_to_send_a_report_to_are_named_short_with_the_full_name_as_title(
    client, city, login, report_data
):
    service.submit_report(city, actor=CITIZEN, data=report_data(), secret=SECRET)
    operator = login("vanhanh1", ("operator", None))
    choices = _unit_choices(client.get("/can-bo/phan-anh", headers=operator).text)
    wards = [(title, text) for title, text in choices if title.startswith("Ủy ban nhân dân phường ")]
    assert wards, choices
    for title, text in wards:
        assert text == "UBND " + title.removeprefix("Ủy ban nhân dân "), (title, text)
    english = _unit_choices(client.get("/can-bo/phan-anh?lang=en", headers=operator).text)
    committee = "People's Committee of "
    committees = [(title, text) for title, text in english if title.startswith(committee)]
    assert committees and all(text == title.removeprefix(committee) for title, text in committees)


def test_the_queue_keeps_a_reports_code_and_state_on_one_line_and_scrolls_when_narrow(
    client, city, login, report_data
):
    report = service.submit_report(city, actor=CITIZEN, data=report_data(), secret=SECRET).report
    page = client.get("/can-bo/phan-anh", headers=login("vanhanh1", ("operator", None))).text
    assert '<div class="table-scroll">\n<table class="data" id="queue">' in page
    row = page.split(f'data-code="{report.code}"')[1].split("</tr>")[0]
    assert f'<td class="nowrap"><a href="/phan-anh/{report.code}">' in row
    assert row.count('<td class="nowrap">') == 2  # the code, the state

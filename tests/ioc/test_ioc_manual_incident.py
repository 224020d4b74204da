"""An operator's hand-made incident asks for a title and a place inside the city before it opens (and sets
its playbook's automatic steps in motion); refused, the form shows why in the page's language and keeps what
was typed."""

from __future__ import annotations

from smartcity.core.pages import PageParams
from smartcity.ioc import service as ioc
from tests.ioc.conftest import YERSIN
from tests.ioc.test_ioc_incident_titles import _operator, _text
from tests.support import csrf_of


def _open(staff, lang: str, **fields: str):  # type: ignore[no-untyped-def]
    token = csrf_of(staff.get("/can-bo/dieu-hanh/su-co").text)
    form = {"type": "fire", "severity": "3", "lon": str(YERSIN[0]), "lat": str(YERSIN[1])} | fields
    staff.cookies.set("lang", lang)
    return staff.post("/can-bo/dieu-hanh/su-co", data=form | {"csrf_token": token}, follow_redirects=False)


def test_a_hand_made_incident_needs_a_title_and_a_place_in_the_city(app, city, settings):
    staff = _operator(app)
    untitled = _open(staff, "vi", title="  ", description="Khói đen")
    assert untitled.status_code == 422
    page = _text(untitled.text)
    assert "Chưa mở được sự cố: Tiêu đề: Hãy ghi sự cố là gì (ít nhất 3 ký tự)." in page
    assert (
        'value="Khói đen"' in untitled.text and '<details class="card" id="mo-su-co" open>' in untitled.text
    )
    far_away = _open(staff, "en", title="Cháy kho", lon="105.85", lat="21.03")  # Hà Nội
    assert far_away.status_code == 422
    assert "Location: This point is outside the city; check the longitude and latitude." in _text(
        far_away.text
    )
    assert ioc.list_incidents(city, paging=PageParams()).items == []  # nothing opened, nothing set in motion
    opened = _open(staff, "vi", title=" Cháy kho ")
    assert opened.status_code == 303
    assert [i.title for i in ioc.list_incidents(city, paging=PageParams()).items] == ["Cháy kho"]

"""An incident's linked resources read as an operator uses them: what set it off first, then cameras and
devices nearest first, each by its type and name with its distance; the long tail folded away."""

from __future__ import annotations

import html
import itertools
import re

from smartcity.ioc import service
from smartcity.iot import schemas as iot_schemas
from smartcity.iot import service as iot_service
from tests.ioc.conftest import SYSTEM, YERSIN
from tests.ioc.test_ioc_incidents import accident
from tests.ioc.test_ioc_pages import browser

METRES_PER_DEGREE_OF_LONGITUDE = 109_400  # near 11° north


def _device(db, device_id: str, kind: str, metres_east: float, name: str = "") -> None:  # type: ignore[no-untyped-def]
    lon = YERSIN[0] + metres_east / METRES_PER_DEGREE_OF_LONGITUDE
    location = iot_schemas.GeoPoint(coordinates=(lon, YERSIN[1]))
    data = iot_schemas.DeviceCreate(id=device_id, type=kind, name=name, location=location)
    iot_service.register_device(db, actor=SYSTEM, data=data)


def _scene(db) -> None:  # type: ignore[no-untyped-def]
    """A camera and eleven street lights around the crossroads, the nearest light 20 m away."""
    _device(db, "CAM-YERSIN", "camera", 90, name="Ngã tư Yersin – Bạch Đằng")
    for n in range(11):
        _device(db, f"SL-{n:02d}", "streetlight", 20 + 15 * n)


def test_the_resources_come_in_reading_order_with_type_name_and_distance(city, settings):
    _scene(city)
    incident, _ = service.receive_event(city, actor=SYSTEM, settings=settings, data=accident(radius_m=250))
    linked = service.linked_resources(city, service.get_incident(city, code=incident.code))
    assert [r.kind for r in linked[:2]] == [
        "camera",
        "camera",
    ]  # the reporting camera's event, then the camera
    assert linked[0].ref == "cam-01/evt-1" and linked[0].type_label == "" and linked[0].distance_m is None
    camera = linked[1]
    assert (camera.type_label, camera.name) == (iot_service.type_label("camera"), "Ngã tư Yersin – Bạch Đằng")
    assert camera.distance_m is not None and 85 < camera.distance_m < 95
    lights = linked[2:]
    assert [r.ref for r in lights] == [f"SL-{n:02d}" for n in range(11)]  # nearest first
    assert {r.type_label for r in lights} == {"Đèn đường thông minh"} and lights[0].name == "SL-00"
    assert all(a.distance_m <= b.distance_m for a, b in itertools.pairwise(lights))  # type: ignore[operator]


def test_the_page_names_each_resource_links_operators_to_devices_and_folds_the_rest(app, city, settings):
    _scene(city)
    incident, _ = service.receive_event(city, actor=SYSTEM, settings=settings, data=accident(radius_m=250))
    url = f"/can-bo/dieu-hanh/su-co/{incident.code}"
    operator_page = html.unescape(browser(app, "vanhanh", [("operator", None)]).get(url).text)
    shown = operator_page[operator_page.index('id="links"') : operator_page.index('id="more-links"')]
    assert "Đèn đường thông minh" in shown and 'href="/can-bo/thiet-bi/SL-00"' in shown
    assert re.search(r"Ngã tư Yersin – Bạch Đằng</a>\s*<span class=\"muted\">· cách 9\d m</span>", shown)
    assert "cách 20 m" in shown  # the nearest light, in whole metres
    folded = operator_page[operator_page.index('id="more-links"') :]
    assert "Và 5 tài nguyên khác ở gần hiện trường" in folded and "SL-10" in folded

    leader_page = browser(app, "lanhdao", [("leader", None)]).get(url).text
    assert "Đèn đường thông minh" in leader_page and "/can-bo/thiet-bi/" not in leader_page  # not their pages

    english = browser(app, "operator.en", [("operator", None)])
    english.cookies.set("lang", "en")
    page = html.unescape(english.get(url).text)
    assert "20 m away" in page and "And 5 more resources near the scene" in page

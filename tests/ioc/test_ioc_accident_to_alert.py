"""Done-when over HTTP: a camera's accident becomes an incident, is handled through its playbook to closure,
its CAP 1.2 alert is in the Atom feed, validates against the OASIS schema and its signature holds; the daily
report comes out as a PDF."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from smartcity.core import clock
from smartcity.ioc.service.alerts import verify_xml
from smartcity.signing import service as signing_service
from tests.ioc.conftest import YERSIN, login

XSD = Path(__file__).parent / "data" / "CAP-v1.2.xsd"
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"


def test_camera_accident_to_closure_with_a_signed_cap_alert_and_a_daily_report(client, pki, settings):
    camera = login(client, "camera_gw", [("integrator", None)])
    operator = login(client, "vanhanh", [("operator", None)])
    event = {
        "type": "traffic_accident",
        "severity": 4,
        "lon": YERSIN[0],
        "lat": YERSIN[1],
        "source": "camera",
        "source_ref": "CAM-YERSIN-01/2026-12-05T08:12:03",
        "title": "Tai nạn tại ngã tư Yersin",
        "radius_m": 300,
    }
    created = client.post("/api/v1/ioc/events", json=event, headers=camera)
    assert created.status_code == 201, created.text
    code = created.json()["incident"]["code"]
    again = client.post("/api/v1/ioc/events", json={**event, "source_ref": "CAM-YERSIN-02/x"}, headers=camera)
    assert again.status_code == 200 and again.json() == {**again.json(), "merged": True}
    assert (
        client.post("/api/v1/ioc/events", json={**event, "type": "nope"}, headers=camera).status_code == 422
    )
    assert client.post("/api/v1/ioc/events", json=event).status_code == 401

    def move(to: str, **extra: str) -> dict:
        response = client.post(
            f"/api/v1/ioc/incidents/{code}/transitions", json={"to": to, **extra}, headers=operator
        )
        assert response.status_code == 200, response.text
        return response.json()

    move("acknowledged")
    feed = client.get("/cap/alerts.atom")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/atom+xml")
    atom = etree.fromstring(feed.content)
    links = atom.findall(".//{http://www.w3.org/2005/Atom}link[@type='application/cap+xml']")
    assert len(links) == 1
    xml = client.get(links[0].get("href").replace("http://testserver", "")).content
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    alert = etree.fromstring(xml)
    assert schema.validate(alert), schema.error_log
    assert alert.findtext(f"{CAP}msgType") == "Alert" and alert.findtext(f"{CAP}incidents") == code
    assert [i.findtext(f"{CAP}language") for i in alert.findall(f"{CAP}info")] == ["vi-VN", "en-US"]
    assert alert.find(f".//{CAP}polygon") is not None and alert.find(f".//{CAP}circle") is not None
    areas = [i.findtext(f"{CAP}area/{CAP}areaDesc") for i in alert.findall(f"{CAP}info")]
    assert areas[0].endswith("quanh hiện trường, Phường Thủ Dầu Một"), areas  # each info in its language
    assert areas[1].endswith("around the scene, Thủ Dầu Một Ward"), areas
    verify_xml(xml, signing_service.root_certificate_pem(pki))
    tampered = xml.replace("Tai nạn tại ngã tư Yersin".encode(), "Không có gì".encode())
    try:
        verify_xml(tampered, signing_service.root_certificate_pem(pki))
        raise AssertionError("a tampered alert must not verify")
    except Exception as exc:  # signxml.InvalidSignature or a digest mismatch
        assert "AssertionError" not in type(exc).__name__

    move("active")
    detail = client.get(f"/api/v1/ioc/incidents/{code}", headers=operator).json()
    for step in detail["steps"]:
        if step["done_at"] is None:
            done = client.post(
                f"/api/v1/ioc/incidents/{code}/steps/{step['id']}/done",
                json={"outcome": "Xong"},
                headers=operator,
            )
            assert done.status_code == 200
    move("stable")
    move("resolved")
    refused = client.post(
        f"/api/v1/ioc/incidents/{code}/transitions", json={"to": "closed"}, headers=operator
    )
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    closed = move(
        "closed", closure_report="Hai xe máy va chạm, một người bị thương nhẹ; thông xe sau 40 phút."
    )
    assert closed["state"] == "closed" and all(s["done_at"] for s in closed["steps"])
    atom = etree.fromstring(client.get("/cap/alerts.atom").content)
    assert len(atom.findall("{http://www.w3.org/2005/Atom}entry")) == 2  # the alert and its update (resolved)

    day = clock.today(settings).isoformat()
    pdf = client.get(f"/api/v1/ioc/reports/daily/{day}.pdf", headers=operator)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = client.get(f"/api/v1/ioc/reports/daily/{day}.xlsx", headers=operator)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get("/api/v1/ioc/reports/daily/hôm-qua.pdf", headers=operator).status_code == 422
    page = client.get("/canh-bao")
    assert page.status_code == 200 and "Tai nạn tại ngã tư Yersin" in page.text

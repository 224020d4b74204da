"""Education through the API: the department's view of the 57 schools, a school billing its students and a
parent paying online through the sandbox provider, and a stock-take changing the asset register."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import func, select

from smartcity.core import clock
from smartcity.education.models import Invoice, Student
from smartcity.education.service.schools import school_org_unit

SCHOOL = "TH-PHUHOA1"
STAFF = ("ketoan.phuhoa1", ("clerk", school_org_unit(SCHOOL)))


def test_department_sees_all_57_schools_with_enrolment_and_fee_collection(client, demo, login):
    headers = login("giaoduc", ("specialist", "SGDDT-HCM"))
    body = client.get("/api/v1/education/overview", headers=headers).json()
    assert len(body["schools"]) == 57
    assert {s["level"] for s in body["schools"]} == {"preschool", "primary", "lower_secondary"}
    assert 60_000 <= body["city"]["students"] <= 70_000
    assert all(s["students"] > 0 and s["fee_rate"] is not None for s in body["schools"])
    assert 80 < body["city"]["fee_rate"] < 100
    assert all(s["ward_name"].startswith("Phường") for s in body["schools"])
    features = client.get("/api/v1/education/overview.geojson", headers=headers).json()["features"]
    assert len(features) == 57 and all(f["properties"]["students"] > 0 for f in features)


def test_overview_is_for_the_department_only_and_lists_no_child(client, demo, login):
    assert client.get("/api/v1/education/overview").status_code == 401
    school_staff = login(*STAFF)
    assert client.get("/api/v1/education/overview", headers=school_staff).status_code == 403
    department = login("giaoduc", ("specialist", "SGDDT-HCM"))
    classes = client.get(f"/api/v1/education/schools/{SCHOOL}/classes", headers=department)
    assert classes.status_code == 200  # the school's overview the department oversees...
    students = client.get(f"/api/v1/education/classes/{classes.json()[0]['id']}/students", headers=department)
    assert students.status_code == 403  # ...but no child


def _pay_through_sandbox(client, headers, number: str) -> str:
    """The parent starts paying, approves on the sandbox page; returns where the browser lands."""
    start = client.post(f"/api/v1/education/invoices/{number}/payments/online", headers=headers)
    assert start.status_code == 201, start.text
    url = start.json()["payment_url"]
    assert url.startswith("/thanh-toan/sandbox?")  # the one-stop shop's gateway, shared by every domain
    params = dict(parse_qsl(urlsplit(url).query))
    page = client.get(url)
    assert page.status_code == 200 and "SANDBOX" in page.text
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0] if "csrf_token" in page.text else ""
    answer = client.post(
        "/thanh-toan/sandbox",
        data=params | {"decision": "approve", "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    return answer.headers["location"]


def test_school_invoices_and_parent_pays_online_and_sees_the_receipt(client, demo, settings, login):
    staff = login(*STAFF)
    parent = login("congdan")
    child = next(
        c
        for c in client.get("/api/v1/education/children", headers=parent).json()
        if c["school_code"] == SCHOOL
    )
    before = client.get(f"/api/v1/education/students/{child['code']}/invoices", headers=parent).json()
    month = before[0]["period"]  # the latest month billed (the demo leaves it open for the parent)
    # the month was billed by the demo: billing it again adds nothing
    again = client.post(f"/api/v1/education/schools/{SCHOOL}/invoices", json={"period": month}, headers=staff)
    assert again.status_code == 201 and again.json()["invoices"] == 0
    open_invoice = before[0]
    assert open_invoice["status"] == "open" and open_invoice["outstanding_vnd"] > 0
    detail = client.get(f"/api/v1/education/invoices/{open_invoice['number']}", headers=parent).json()
    tuition = next(line for line in detail["lines"] if line["fee"] == "tuition")
    assert tuition["net"] == 0 and "Điều 99" in tuition["note"] + tuition["legal_basis"]

    landing = _pay_through_sandbox(client, parent, open_invoice["number"])
    # the gateway's own callback (before the browser comes back) reached the school, not the one-stop shop
    settled = client.get(f"/api/v1/education/invoices/{open_invoice['number']}", headers=parent).json()
    assert settled["status"] == "paid"
    back = client.get(landing, follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == f"/con-toi/{child['code']}?msg=paid"
    paid = client.get(f"/api/v1/education/invoices/{open_invoice['number']}", headers=parent).json()
    assert paid["status"] == "paid" and paid["outstanding_vnd"] == 0
    receipt = paid["payments"][-1]["receipt_number"]
    pdf = client.get(f"/api/v1/education/receipts/{receipt}.pdf", headers=parent)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert (
        client.get(f"/api/v1/education/receipts/{receipt}.pdf", headers=login("nguoila")).status_code == 404
    )
    report = client.get(
        f"/api/v1/education/schools/{SCHOOL}/reconciliation", params={"month": month}, headers=staff
    ).json()
    assert (
        report["online_count"] >= 1
        and report["online_unconfirmed"] == 0
        and report["mismatched_invoices"] == []
    )


def test_a_new_enrolment_is_billed_with_its_exemption_and_paid_at_the_counter(client, demo, settings, login):
    staff = login(*STAFF)
    classes = client.get(f"/api/v1/education/schools/{SCHOOL}/classes", headers=staff).json()
    first = next(c for c in classes if c["grade"] == 1)
    today = clock.today(settings)
    enrolled = client.post(
        f"/api/v1/education/schools/{SCHOOL}/students",
        json={
            "full_name": "Huỳnh Gia Bảo",
            "birth_date": f"{today.year - 7}-03-02",
            "sex": "M",
            "personal_id": "074220099001",
            "class_id": first["id"],
        },
        headers=staff,
    )
    assert enrolled.status_code == 201, enrolled.text
    code = enrolled.json()["code"]
    granted = client.post(
        f"/api/v1/education/students/{code}/exemptions",
        json={
            "year": classes and demo_year(demo),
            "category": "poor_household",
            "evidence": "Sổ hộ nghèo 2026",
        },
        headers=staff,
    )
    assert granted.status_code == 201, granted.text
    found = client.post(
        "/api/v1/education/students/lookup", json={"personal_id": "074220099001"}, headers=staff
    )
    assert found.json()["code"] == code
    with demo.session() as s:
        student = s.scalar(select(Student).where(Student.code == code))
        assert "Huỳnh" not in student.name_enc and "074220099001" not in (student.personal_id_enc or "")
        before = s.scalar(select(func.count()).select_from(Invoice).where(Invoice.student_id == student.id))
    run = client.post(
        f"/api/v1/education/schools/{SCHOOL}/invoices",
        json={"period": latest_period(demo)},
        headers=staff,
    )
    assert run.json()["invoices"] == 1
    invoices = client.get(f"/api/v1/education/students/{code}/invoices", headers=staff).json()
    assert len(invoices) == before + 1
    detail = client.get(f"/api/v1/education/invoices/{invoices[0]['number']}", headers=staff).json()
    assert all(line["category_name"] == "" or line["reduction_basis"] for line in detail["lines"])
    owed = detail["outstanding_vnd"]
    too_much = client.post(
        f"/api/v1/education/invoices/{detail['number']}/payments/counter",
        json={"amount_vnd": owed + 1, "payer": "Huỳnh Văn Tâm"},
        headers=staff,
    )
    assert too_much.status_code == 422 and too_much.headers["content-type"].startswith(
        "application/problem+json"
    )
    counter = client.post(
        f"/api/v1/education/invoices/{detail['number']}/payments/counter",
        json={"amount_vnd": owed, "payer": "Huỳnh Văn Tâm"},
        headers=staff,
    )
    assert counter.status_code == 201 and counter.json()["status"] == "paid"
    assert counter.json()["receipt_number"].startswith(f"BL-{SCHOOL}-{today.year}-")


def latest_period(db) -> str:
    """The latest month the demo billed."""
    with db.session() as s:
        return s.scalar(select(func.max(Invoice.period)))


def demo_year(db) -> str:
    from smartcity.education.service.schools import current_year

    return current_year(db, db.settings)["name"]


def test_a_forged_or_replayed_callback_changes_nothing(client, demo, login):
    parent = login("congdan")
    child = client.get("/api/v1/education/children", headers=parent).json()[0]
    number = next(
        i["number"]
        for i in client.get(f"/api/v1/education/students/{child['code']}/invoices", headers=parent).json()
        if i["status"] == "open"
    )
    url = client.post(f"/api/v1/education/invoices/{number}/payments/online", headers=parent).json()[
        "payment_url"
    ]
    params = dict(parse_qsl(urlsplit(url).query))
    forged = client.get(
        "/api/v1/education/payments/ipn",
        params=params | {"sc_ResponseCode": "00", "sc_SecureHash": "0" * 128},
    )
    assert forged.json()["RspCode"] == "97"
    assert client.get(f"/api/v1/education/invoices/{number}", headers=parent).json()["status"] == "open"


def test_stocktake_changes_the_register(client, demo, settings, login):
    staff = login(*STAFF)
    register = client.get(f"/api/v1/education/schools/{SCHOOL}/assets", headers=staff).json()
    tablets = next(
        a
        for a in register["items"]
        if a["learning_device"] and a["quantity"] > 2 and a["condition"] != "fair"  # the count turns it fair
    )
    today = clock.today(settings)
    take = client.post(
        f"/api/v1/education/schools/{SCHOOL}/stocktakes",
        json={"year": today.year, "counted_on": today.isoformat(), "committee": "Hội đồng kiểm kê"},
        headers=staff,
    ).json()
    for line in take["lines"]:
        body = {"counted_quantity": line["book_quantity"], "counted_condition": line["counted_condition"]}
        if line["asset_id"] == tablets["id"]:
            body = {"counted_quantity": line["book_quantity"] - 2, "counted_condition": "fair"}
        client.put(
            f"/api/v1/education/stocktakes/{take['id']}/items/{line['asset_id']}", json=body, headers=staff
        )
    refused = client.post(f"/api/v1/education/stocktakes/{take['id']}/close", headers=staff)
    assert refused.status_code == 422 and tablets["code"] in refused.json()["detail"]
    client.put(
        f"/api/v1/education/stocktakes/{take['id']}/items/{tablets['id']}",
        json={
            "counted_quantity": tablets["quantity"] - 2,
            "counted_condition": "fair",
            "explanation": "Mất 2 máy khi cho mượn về nhà; biên bản số 12/BB-TH",
        },
        headers=staff,
    )
    closed = client.post(f"/api/v1/education/stocktakes/{take['id']}/close", headers=staff)
    assert closed.status_code == 200 and closed.json()["differences"] == 1
    after = client.get(f"/api/v1/education/schools/{SCHOOL}/assets", headers=staff).json()
    item = next(a for a in after["items"] if a["id"] == tablets["id"])
    assert item["quantity"] == tablets["quantity"] - 2 and item["condition"] == "fair"
    assert after["totals"]["original_vnd"] < register["totals"]["original_vnd"]
    kinds = [
        m["kind"]
        for m in client.get(f"/api/v1/education/assets/{tablets['id']}/movements", headers=staff).json()
    ]
    assert "stocktake_shortage" in kinds and "condition" in kinds

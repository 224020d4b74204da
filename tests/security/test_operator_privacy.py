"""Operators of hotline 1022 follow every dossier without its applicant's personal data, unless assigned."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update

from smartcity.accounts import service as accounts
from smartcity.core.audit import AuditEntry
from smartcity.core.errors import Forbidden
from smartcity.dossiers import service
from smartcity.dossiers.models import Dossier
from smartcity.procedures import service as procedures
from smartcity.procedures.catalogue import build_catalogue
from tests.dossiers.dossier_fixtures import (
    ORG_CHART,
    PASSWORD,
    SYSTEM,
    house_request,
    house_uploads,
    local,
    make_user,
)

AT = local(2025, 3, 3, 9, 0)
NAME, ID_NUMBER, PHONE = "Nguyễn Văn An", "074090001234", "0912345678"  # house_request's applicant


@pytest.fixture
def dossier(db, settings):  # type: ignore[no-untyped-def]
    """A house-number dossier of the city's urban-management office, received at the one-stop counter."""
    units = json.loads(ORG_CHART.read_text(encoding="utf-8"))["org_units"]
    accounts.upsert_org_units(db, actor=SYSTEM, units=units)
    procedures.upsert_procedures(db, actor=SYSTEM, records=build_catalogue()[:6])
    citizen = make_user(db, "citizen1", [("citizen", None)])
    detail, _created = service.submit_dossier(
        db, actor=citizen, settings=settings, data=house_request(), uploads=house_uploads(), now=AT
    )
    clerk = make_user(db, "clerk1", [("clerk", "TDM-MOTCUA")])
    service.act(db, actor=clerk, settings=settings, code=detail.code, action="receive", now=AT)
    return detail.code


def _personal_reads(db, username: str) -> int:  # type: ignore[no-untyped-def]
    with db.session() as s:
        actors = s.scalars(select(AuditEntry.actor).where(AuditEntry.action == "dossier.personal_data_read"))
        return sum(1 for actor in actors if actor.endswith(f":{username}"))


def _shows_personal_data(view) -> bool:  # type: ignore[no-untyped-def]
    text = view.model_dump_json()
    return any(value in text for value in (NAME, ID_NUMBER[-3:] + '"', PHONE)) or view.applicant_name == NAME


def test_an_operator_reads_a_dossier_without_personal_data_unless_assigned(db, settings, dossier):
    """This failed before: an operator read every dossier's applicant and e-form (audited, but not needed)."""
    operator = make_user(db, "vanhanh", [("operator", None)])
    head = make_user(db, "head1", [("head", "TDM-QLDT")])

    seen = service.get_dossier(db, actor=operator, settings=settings, code=dossier)
    assert seen.applicant_name == "N***** V** A*" and seen.applicant_id_masked == "************"
    assert seen.form is None and seen.attachments == [] and seen.documents == []
    assert seen.personal_data_withheld  # said, so the page and an API client need not guess from `form`
    assert not _shows_personal_data(seen) and "Nguyễn" not in seen.model_dump_json()
    assert seen.deadline_status and seen.timeline  # what the role needs: state, deadlines, history
    assert _personal_reads(db, "vanhanh") == 0  # nothing personal was read, so nothing to log
    listed = service.list_dossiers(db, actor=operator, settings=settings).items
    assert [d.applicant_name for d in listed] == ["N***** V** A*"]
    with pytest.raises(Forbidden):
        service.document_pdf(db, actor=operator, settings=settings, code=dossier, kind="receipt")
    with pytest.raises(Forbidden):
        service.attachment_content(db, actor=operator, settings=settings, code=dossier, attachment_id=1)

    full = service.get_dossier(db, actor=head, settings=settings, code=dossier)
    assert full.applicant_name == NAME and full.form and full.attachments
    assert not full.personal_data_withheld
    assert _personal_reads(db, "head1") == 1  # the unit's staff read it, and the read is logged
    assert service.list_dossiers(db, actor=head, settings=settings).items[0].applicant_name == NAME

    with db.write_session() as s:  # the dossier given to this operator (the row as an assignment leaves it)
        s.execute(update(Dossier).where(Dossier.code == dossier).values(assignee="vanhanh"))
    assigned = service.get_dossier(db, actor=operator, settings=settings, code=dossier)
    assert assigned.applicant_name == NAME and assigned.form and assigned.attachments
    assert _personal_reads(db, "vanhanh") == 1
    assert (
        service.document_pdf(db, actor=operator, settings=settings, code=dossier, kind="receipt")[:4]
        == b"%PDF"
    )


def test_the_dossier_api_and_the_staff_page_mask_the_applicant_for_operators(client, db, settings, dossier):
    make_user(db, "vanhanh", [("operator", None)])
    token = accounts.login_for_token(
        db, settings=settings, username="vanhanh", password=PASSWORD, client_ip="10.9.9.9"
    ).access_token
    headers = {"Authorization": f"Bearer {token}"}
    answer = client.get(f"/api/v1/dossiers/{dossier}", headers=headers)
    assert answer.status_code == 200
    assert answer.json()["applicant_name"] == "N***** V** A*" and answer.json()["form"] is None
    listed = client.get("/api/v1/dossiers", headers=headers).json()["items"]
    assert [d["applicant_name"] for d in listed] == ["N***** V** A*"]
    receipt = client.get(f"/api/v1/dossiers/{dossier}/documents/receipt.pdf", headers=headers)
    assert receipt.status_code == 403
    assert receipt.headers["content-type"] == "application/problem+json"
    page = client.get(f"/ho-so/{dossier}", headers=headers, follow_redirects=False)
    assert page.status_code == 200 and dossier in page.text and "N***** V** A*" in page.text
    assert NAME not in page.text and "Bạch Đằng" not in page.text  # neither the applicant nor the e-form
    staff_list = client.get("/can-bo/ho-so?queue=false", headers=headers, follow_redirects=False)
    assert staff_list.status_code == 200 and dossier in staff_list.text and NAME not in staff_list.text

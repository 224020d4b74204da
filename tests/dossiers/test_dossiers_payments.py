"""Sandbox payments (signed callbacks; forged, replayed refused and logged), notifications, ratings, stats."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from smartcity.core.errors import Conflict, NotFound
from smartcity.core.kpis import KpiContext
from smartcity.dossiers import kpis, notify, payments, ratings, service, stats
from smartcity.dossiers.models import PaymentCallback
from smartcity.dossiers.payments import SIGNATURE_FIELD
from smartcity.dossiers.schemas import RatingIn
from tests.dossiers.dossier_fixtures import local, submit_house

AT = local(2025, 3, 3, 9, 0)


def _decided(db, settings, people) -> str:
    code = submit_house(db, settings, people, now=AT).code
    service.act(db, actor=people.clerk, settings=settings, code=code, action="receive", now=AT)
    service.act(db, actor=people.head, settings=settings, code=code, action="assign", now=AT)
    service.act(
        db,
        actor=people.specialist,
        settings=settings,
        code=code,
        action="process",
        payload={"result": {"house_number": "7"}},
        now=AT,
    )
    service.act(db, actor=people.head, settings=settings, code=code, action="review", now=AT)
    assert (
        service.act(db, actor=people.leader, settings=settings, code=code, action="decide", now=AT).state == 6
    )
    return code


def _query(url: str) -> dict[str, str]:
    from urllib.parse import parse_qsl, urlsplit

    return dict(parse_qsl(urlsplit(url).query))


def test_sandbox_payment_settles_once_and_refuses_forgeries(db, settings, people):
    code = _decided(db, settings, people)
    url = payments.start_payment(
        db, actor=people.citizen, settings=settings, code=code, return_url="http://x/r"
    )
    request = _query(url)
    assert request["sc_Amount"] == "5000000"  # 50 000 đ × 100
    answer = payments.sandbox_decision(settings, request, approve=True)
    forged = dict(answer, sc_Amount="100")
    assert payments.handle_callback(db, settings=settings, params=forged).verdict == "forged"
    assert service.get_dossier(db, actor=people.citizen, settings=settings, code=code).state == 6
    unsigned = {k: v for k, v in answer.items() if k != SIGNATURE_FIELD}
    assert payments.handle_callback(db, settings=settings, params=unsigned).response_code == "97"
    accepted = payments.handle_callback(db, settings=settings, params=answer)
    assert (accepted.verdict, accepted.response_code) == ("accepted", "00")
    detail = service.get_dossier(db, actor=people.citizen, settings=settings, code=code)
    assert detail.state == 9 and detail.paid_at is not None
    replay = payments.handle_callback(db, settings=settings, params=answer, channel="return")
    assert (replay.verdict, replay.response_code) == ("duplicate", "02")
    with db.session() as s:
        verdicts = [v for v in s.scalars(select(PaymentCallback.verdict).order_by(PaymentCallback.id))]
    assert verdicts == ["forged", "forged", "accepted", "duplicate"]
    with pytest.raises(Conflict):
        payments.start_payment(
            db, actor=people.citizen, settings=settings, code=code, return_url="http://x/r"
        )


def test_the_sandbox_page_writes_the_amount_the_pages_way(client, db, settings, people):
    code = _decided(db, settings, people)
    url = payments.start_payment(
        db, actor=people.citizen, settings=settings, code=code, return_url="http://x/r"
    )
    path = "/thanh-toan/sandbox?" + url.split("?", 1)[1]
    assert '<strong id="amount">50.000 ₫</strong>' in client.get(path).text
    client.cookies.set("lang", "en")
    assert '<strong id="amount">50,000 ₫</strong>' in client.get(path).text


def test_payment_only_by_the_applicant_and_amount_checked(db, settings, people):
    code = _decided(db, settings, people)
    with pytest.raises(NotFound):
        payments.start_payment(
            db, actor=people.other_citizen, settings=settings, code=code, return_url="http://x"
        )
    request = _query(
        payments.start_payment(db, actor=people.citizen, settings=settings, code=code, return_url="http://x")
    )
    tampered = dict(request, sc_Amount="100")
    tampered[SIGNATURE_FIELD] = payments.sign(payments.provider_for(settings).secret, tampered)
    answer = payments.sandbox_decision(settings, tampered, approve=True)
    assert payments.handle_callback(db, settings=settings, params=answer).verdict == "rejected"
    assert service.get_dossier(db, actor=people.citizen, settings=settings, code=code).state == 6


def test_notifications_recorded_for_each_change_once(db, settings, people):
    code = _decided(db, settings, people)
    messages = notify.messages_for(db, code)
    bodies = " ".join(m["body"] for m in messages)
    assert "đã được tiếp nhận" in bodies and "đã có kết quả" in bodies
    assert all(m["to"].endswith("678") and "0912" not in m["to"] for m in messages)
    count = len(messages)
    sent_again = notify.notify(db, code=code, action="receive", event_id="same-event")
    assert sent_again == 1 and notify.notify(db, code=code, action="receive", event_id="same-event") == 0
    assert len(notify.messages_for(db, code)) == count + 1


def test_rating_after_result_and_statistics(db, settings, people):
    code = _decided(db, settings, people)
    with pytest.raises(Conflict):
        ratings.rate(db, actor=people.citizen, code=code, rating=RatingIn(overall=3))
    service.act(db, actor=people.clerk, settings=settings, code=code, action="pay", now=AT)
    ratings.rate(
        db,
        actor=people.citizen,
        code=code,
        rating=RatingIn(overall=3, indicators={"processing_time": 3, "conduct": 2}),
    )
    with pytest.raises(Conflict):
        ratings.rate(db, actor=people.citizen, code=code, rating=RatingIn(overall=1))
    assert ratings.summary(db, by="unit")[0]["key"] == "TDM-QLDT"
    assert ratings.summary(db, by="official")[0]["key"] == "user:clerk1"
    submit_house(db, settings, people, now=AT)  # a second, still waiting for intake
    rows = stats.statistics(db, settings=settings, by="procedure")
    assert rows[0]["received"] == 2 and rows[0]["early"] == 1 and rows[0]["satisfied_share"] == 1.0
    assert rows[0]["online_share"] == 1.0
    workbook = stats.statistics_xlsx(rows, title="t")
    assert workbook[:2] == b"PK"
    context = KpiContext(
        settings=settings, start=AT - timedelta(days=30), end=AT + timedelta(days=60), on=AT.date()
    )
    on_time = next(i for i in kpis.INDICATORS if i.code == "dossiers.on_time_share").compute(db, context)
    city = next(v for v in on_time if v.ward is None)
    assert (city.value, city.numerator, city.denominator) == (100.0, 1.0, 1.0)


def test_every_process_document_and_result_is_an_a4_pdf_with_vietnamese_text(db, settings, people):
    code = _decided(db, settings, people)
    service.act(db, actor=people.clerk, settings=settings, code=code, action="pay", now=AT)
    for kind in ("receipt", "control_sheet", "payment_receipt", "result"):
        pdf = service.document_pdf(db, actor=people.citizen, settings=settings, code=code, kind=kind)
        assert pdf.startswith(b"%PDF") and b"DejaVuSans" in pdf and b"595.2756 841.8898" in pdf
    with pytest.raises(NotFound):
        service.document_pdf(db, actor=people.citizen, settings=settings, code=code, kind="refusal")
    with pytest.raises(NotFound):
        service.document_pdf(db, actor=people.other_citizen, settings=settings, code=code, kind="receipt")

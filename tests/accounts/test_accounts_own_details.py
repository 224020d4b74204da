"""A person's own details: the personal ID number sealed, masked and unique, its reads logged; the page where
a citizen gives it (and their phone and e-mail), with mistakes said in words and nothing half-saved."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from smartcity.accounts import service
from smartcity.accounts.models import User
from smartcity.core.audit import AuditEntry
from smartcity.core.errors import Conflict, ValidationFailed
from tests.accounts.conftest import PASSWORD
from tests.accounts.test_accounts_web import HTML, _csrf, _login

NUMBER = "074190012482"
PAGE = "/cua-toi/thong-tin"


def _stored(db, user_id: int) -> User:
    with db.session() as s:
        user = s.get(User, user_id)
        assert user is not None
        s.expunge(user)
        return user


def test_the_id_number_is_sealed_masked_unique_and_its_reads_are_logged(db, make_user, settings):
    lan = make_user("lan", ("citizen", None), full_name="Đỗ Thị Lan", citizen_id="0741 9001 2482")
    assert lan.citizen_id_masked == "*********482"
    row = _stored(db, lan.id)
    assert row.citizen_id_encrypted and NUMBER not in row.citizen_id_encrypted and row.citizen_id_index
    with pytest.raises(Conflict):
        make_user("lan2", ("citizen", None), citizen_id=NUMBER)  # one number, one account
    with pytest.raises(ValidationFailed):
        make_user("binh", ("citizen", None), citizen_id="07419001248")  # 11 digits
    assert service.get_user_by_username(db, "binh") is None  # nothing half-made
    reader = service.actor_for_user(db, lan.id)
    assert (
        service.get_user_citizen_id(db, actor=reader, user_id=lan.id, secret=settings.personal_keys) == NUMBER
    )
    with db.session() as s:
        reads = s.scalars(select(AuditEntry).where(AuditEntry.action == "user.citizen_id_read")).all()
    assert len(reads) == 1 and NUMBER not in str(reads[0].after or "")
    with db.session() as s:
        created = s.scalars(select(AuditEntry).where(AuditEntry.action == "user.created")).all()
    assert all(NUMBER not in str(entry.after) for entry in created)  # the log keeps it masked


def test_a_citizen_gives_and_changes_their_details_on_their_page(client, db, make_user):
    make_user("lan", ("citizen", None), full_name="Đỗ Thị Lan", phone="0912034517")
    _login(client, "lan", PASSWORD, next_url="/cua-toi")
    page = html.unescape(client.get(PAGE, headers=HTML).text)
    assert "Thông tin cá nhân" in page and "Đỗ Thị Lan" in page and "Chưa khai" in page
    assert 'value="0912034517"' in page  # the person's own phone, to change
    assert '<span class="signed-in">Đỗ Thị Lan</span>' in page  # the header still names who is signed in
    token = _csrf(client, PAGE)
    form = {"phone": "0912034517", "email": "lan.do@example.vn", "citizen_id": NUMBER, "csrf_token": token}
    saved = client.post(PAGE, headers=HTML, data=form, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == f"{PAGE}?da-luu=1"
    after = html.unescape(client.get(saved.headers["location"], headers=HTML).text)
    assert "Đã lưu thông tin của bạn." in after and "*********482" in after and NUMBER not in after
    space = html.unescape(client.get("/cua-toi", headers=HTML).text)
    assert "Thông tin cá nhân" in space and f'href="{PAGE}"' in space
    assert (
        "Đã khai, tận cùng là 482" in space and "Đã khai, tận cùng là 517" in space
    )  # the number, the phone

    wrong = client.post(PAGE, headers=HTML, data=form | {"citizen_id": "12345", "email": "nobody"})
    assert wrong.status_code == 422
    mistakes = re.search(r'<div class="alert-error" role="alert" id="mistakes">(.*?)</div>', wrong.text, re.S)
    assert mistakes and "Thư điện tử chưa đúng" in html.unescape(mistakes.group(1))
    user = service.get_user_by_username(db, "lan")
    assert user is not None and user.citizen_id_masked == "*********482" and user.email == "lan.do@example.vn"

    kept = client.post(PAGE, headers=HTML, data=form | {"citizen_id": ""}, follow_redirects=False)
    assert kept.status_code == 303  # a blank number keeps the one given
    assert service.get_user_by_username(db, "lan").citizen_id_masked == "*********482"  # type: ignore[union-attr]

    english = html.unescape(client.get(PAGE, params={"lang": "en"}, headers=HTML).text)
    assert "Personal details" in english and "Leave empty to keep it." in english


def test_a_number_taken_by_another_account_is_refused_in_words(client, db, make_user):
    make_user("lan", ("citizen", None), citizen_id=NUMBER)
    make_user("binh", ("citizen", None))
    _login(client, "binh", PASSWORD, next_url="/cua-toi")
    token = _csrf(client, PAGE)
    refused = client.post(PAGE, headers=HTML, data={"citizen_id": NUMBER, "csrf_token": token})
    assert refused.status_code == 409
    assert "đã gắn với một tài khoản khác" in html.unescape(refused.text)
    assert service.get_user_by_username(db, "binh").citizen_id_masked is None  # type: ignore[union-attr]


def test_the_page_asks_an_anonymous_visitor_to_sign_in(client):
    answer = client.get(PAGE, headers=HTML, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")

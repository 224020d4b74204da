"""Users and roles through the service: validation, audit rows without secrets, credentials changes."""

from __future__ import annotations

import json
import threading

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from smartcity.accounts import service
from smartcity.accounts.models import User
from smartcity.core.audit import AuditEntry, verify_chain
from smartcity.core.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from tests.accounts.conftest import PASSWORD, SYSTEM


def _audit_rows(db) -> list[AuditEntry]:
    with db.session() as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def _stored_hash(db, user_id: int) -> str:
    with db.session() as s:
        user = s.get(User, user_id)
        assert user is not None and user.password_hash
        return user.password_hash


def test_create_user_hashes_the_password_and_audits_without_it(db, make_user):
    user = make_user("Chuyenvien.A", ("specialist", None), full_name="Nguyễn Văn A")
    assert user.username == "chuyenvien.a"
    assert [(r.role, r.org_unit_code) for r in user.roles] == [("specialist", None)]
    stored = _stored_hash(db, user.id)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    rows = _audit_rows(db)
    assert [r.action for r in rows] == ["user.created", "role.assigned"]
    dumped = json.dumps([[r.before, r.after] for r in rows], ensure_ascii=False)
    assert "argon2" not in dumped and PASSWORD not in dumped and "password_hash" not in dumped
    with db.session() as s:
        assert verify_chain(s, key=db.settings.audit_key).ok


def test_usernames_are_unique_case_insensitively(make_user):
    make_user("clerk1")
    with pytest.raises(Conflict):
        make_user("CLERK1")


@pytest.mark.parametrize(
    ("username", "password", "field"),
    [
        ("ab", PASSWORD, "username"),
        ("has space", PASSWORD, "username"),
        ("ok.user", "short", "password"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(db, username, password, field):
    with pytest.raises(ValidationFailed) as caught:
        service.create_user(db, actor=SYSTEM, username=username, password=password)
    assert caught.value.errors[0]["field"] == field
    assert service.list_users(db).total == 0 and _audit_rows(db) == []


def test_unknown_role_or_unit_rolls_back_the_whole_user(db):
    with pytest.raises(ValidationFailed):
        service.create_user(db, actor=SYSTEM, username="u1", password=PASSWORD, roles=[("mayor", None)])
    with pytest.raises(ValidationFailed):
        service.create_user(db, actor=SYSTEM, username="u1", password=PASSWORD, roles=[("clerk", "NOPE")])
    assert service.get_user_by_username(db, "u1") is None


def test_assign_and_revoke_roles(db, make_user):
    service.upsert_org_units(
        db, actor=SYSTEM, units=[{"code": "UBND-P1", "name": "UBND Phường 1", "kind": "ward_committee"}]
    )
    user = make_user("clerk2")
    assignment = service.assign_role(db, actor=SYSTEM, user_id=user.id, role="clerk", org_unit_code="UBND-P1")
    with pytest.raises(Conflict):
        service.assign_role(db, actor=SYSTEM, user_id=user.id, role="clerk", org_unit_code="UBND-P1")
    actor = service.actor_for_user(db, user.id)
    assert actor.has_role("clerk", "UBND-P1") and not actor.has_role("clerk", "UBND-P2")
    service.revoke_role(db, actor=SYSTEM, user_id=user.id, assignment_id=assignment.id)
    assert not service.actor_for_user(db, user.id).has_role("clerk")
    with pytest.raises(NotFound):
        service.revoke_role(db, actor=SYSTEM, user_id=user.id, assignment_id=assignment.id)
    actions = [r.action for r in _audit_rows(db)]
    assert actions[-2:] == ["role.assigned", "role.revoked"]


def test_phone_is_encrypted_masked_and_its_read_is_audited(db):
    user = service.create_user(
        db, actor=SYSTEM, username="dan", password=PASSWORD, phone="0912 345 678", secret="k" * 32
    )
    assert user.phone_masked == "*******678"
    with db.session() as s:
        stored = s.get(User, user.id)
        assert stored is not None and "0912345678" not in (stored.phone_encrypted or "")
    assert service.get_user_phone(db, actor=SYSTEM, user_id=user.id, secret="k" * 32) == "0912345678"
    assert _audit_rows(db)[-1].action == "user.phone_read"
    assert "0912345678" not in json.dumps([r.after for r in _audit_rows(db)])


def test_deactivation_and_new_password_end_existing_tokens(db, settings, make_user):
    user = make_user("staff1", ("clerk", None))
    token = service.login_for_token(
        db, settings=settings, username="staff1", password=PASSWORD, client_ip="1.1.1.1"
    ).access_token
    assert service.actor_from_token(db, settings=settings, token=token).name == "staff1"
    service.set_password(db, actor=SYSTEM, user_id=user.id, password="another password")
    with pytest.raises(Unauthorized):
        service.actor_from_token(db, settings=settings, token=token)
    token = service.login_for_token(
        db, settings=settings, username="staff1", password="another password", client_ip="1.1.1.1"
    ).access_token
    service.deactivate_user(db, actor=SYSTEM, user_id=user.id)
    with pytest.raises(Unauthorized):
        service.actor_from_token(db, settings=settings, token=token)
    with pytest.raises(Unauthorized):
        service.authenticate(
            db, settings=settings, username="staff1", password="another password", client_ip="1.1.1.1"
        )
    assert "password" not in json.dumps([r.after for r in _audit_rows(db) if r.action != "user.password_set"])


def test_outdated_hash_is_upgraded_on_login(db, settings, make_user, monkeypatch):
    user = make_user("old.hash")
    cheap = _stored_hash(db, user.id)
    monkeypatch.setattr(service, "_hasher", PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1))
    service.authenticate(db, settings=settings, username="old.hash", password=PASSWORD, client_ip="1.1.1.1")
    upgraded = _stored_hash(db, user.id)
    assert upgraded != cheap and "t=2" in upgraded


def test_ensure_admin_creates_once_and_never_changes_the_password(db, settings):
    assert service.ensure_admin(db, password="first password") is True
    assert service.ensure_admin(db, password="second password") is False
    admin = service.authenticate(
        db, settings=settings, username="admin", password="first password", client_ip="1.1.1.1"
    )
    assert admin.actor.has_role("admin")


def test_concurrent_creation_of_one_username_gives_one_user_and_conflicts(db):
    outcomes: list[str] = []

    def create() -> None:
        try:
            service.create_user(
                db, actor=SYSTEM, username="same.name", password=PASSWORD, roles=[("clerk", None)]
            )
            outcomes.append("created")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "created"]
    assert service.list_users(db).total == 1


def test_name_and_email_are_sealed_and_the_audit_keeps_them_masked(db, make_user):
    user = make_user("thu.le", full_name="Lê Hoàng Diệu Thư", email="DieuThu.Le@Example.vn")
    with db.session() as s:
        row = s.get(User, user.id)
        assert row is not None and row.full_name_encrypted and row.email_encrypted
        assert "Diệu" not in row.full_name_encrypted and "example" not in row.email_encrypted.lower()
        assert row.full_name(db.settings.personal_keys) == "Lê Hoàng Diệu Thư"
    assert (user.full_name, user.email) == ("Lê Hoàng Diệu Thư", "DieuThu.Le@Example.vn")
    service.update_user(db, actor=SYSTEM, user_id=user.id, changes={"full_name": "Lê Hoàng Diệu Thơ"})
    created, updated = (
        r for r in _audit_rows(db) if r.entity_type == "user" and r.action.startswith("user.")
    )
    assert (
        created.after["full_name"] == "L* H**** D*** T**"
        and created.after["email"] == "Di*************ple.vn"
    )
    assert updated.after["changed"] == ["full_name"]  # seen although both masks read the same
    dumped = json.dumps([[r.before, r.after] for r in _audit_rows(db)], ensure_ascii=False).lower()
    assert "diệu" not in dumped and "dieuthu" not in dumped
    with db.session() as s:
        assert verify_chain(s, key=db.settings.audit_key).ok


def test_users_are_found_by_the_beginnings_of_the_words_of_their_name_or_a_whole_email(db, make_user):
    make_user("an.nguyen", full_name="Nguyễn Văn An", email="an.nguyen@example.vn")
    make_user("anh.nguyen", full_name="Nguyễn Thị Vân Anh")
    make_user("binh.tran", full_name="Trần Văn Bình")

    def found(query: str) -> list[str]:
        return [u.username for u in service.list_users(db, query=query).items]

    assert found("nguyen van") == ["an.nguyen", "anh.nguyen"]  # "van" begins "Văn" and "Vân"
    assert found("NGUYỄN VĂN AN") == ["an.nguyen", "anh.nguyen"]  # "an" begins "Anh" too
    assert found("ng th") == ["anh.nguyen"]
    assert found("văn b") == []  # a one-letter word matches only a one-letter word
    assert found("tran binh") == ["binh.tran"]
    assert found("uyễn") == []  # inside a word: the blind index keeps beginnings only
    assert found("binh.t") == ["binh.tran"]  # usernames are not personal data: any part
    assert found(" AN.Nguyen@example.vn ") == ["an.nguyen"]
    assert found("an.nguyen@example") == []  # an address is found only whole
    assert service.list_users(db, query="nguyen").total == 2
    service.update_user(
        db,
        actor=SYSTEM,
        user_id=service.list_users(db, query="binh").items[0].id,
        changes={"full_name": "Trần Thanh Bình"},
    )
    assert found("tran van") == [] and found("tran thanh") == ["binh.tran"]


def test_holders_of_a_role_are_sorted_by_their_decrypted_names(db, make_user):
    from smartcity.accounts.service import holders_of

    service.upsert_org_units(
        db, actor=SYSTEM, units=[{"code": "P-X", "name": "Phòng X", "kind": "department"}]
    )
    make_user("z.user", ("specialist", "P-X"), full_name="Đặng Thu")
    make_user("a.user", ("specialist", "P-X"), full_name="Trần An")
    make_user("m.user", ("specialist", "P-X"))
    assert holders_of(db, role="specialist", org_unit_code="P-X") == [
        ("z.user", "Đặng Thu"),
        ("m.user", "m.user"),
        ("a.user", "Trần An"),
    ]
    make_user("c.user", ("specialist", None), full_name="Lê Văn Cường")  # for the whole city
    assert holders_of(db, role="specialist", org_unit_code=None) == [("c.user", "Lê Văn Cường")]
    assert "c.user" not in dict(holders_of(db, role="specialist", org_unit_code="P-X"))

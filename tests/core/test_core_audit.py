"""The audit chain: every change through a unit of work is chained; tampering is found and named."""

from __future__ import annotations

import itertools

from sqlalchemy import delete, select, update
from typer.testing import CliRunner

from smartcity.core.audit import AuditEntry, verify_chain
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork


def _write(db, n: int) -> None:
    for i in range(n):
        with UnitOfWork(db, Actor.system("test")) as uow:
            uow.audit("update", "thing", i, before={"v": i}, after={"v": i + 1, "when": "2026-01-01"})


def test_chain_of_untouched_rows_verifies(db):
    _write(db, 5)
    with db.session() as session:
        report = verify_chain(session)
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert report.ok and report.checked == 5
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert all(r.prev_hash == p.hash for p, r in itertools.pairwise(rows))
    assert rows[0].actor == "system:test"


def test_altered_row_is_named(db):
    _write(db, 4)
    with db.write_session() as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(after={"v": 999}))
    with db.session() as session:
        report = verify_chain(session)
    assert not report.ok and report.first_bad_seq == 3
    assert "hash" in (report.reason or "")


def test_removed_row_is_named(db):
    _write(db, 4)
    with db.write_session() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq == 2))
    with db.session() as session:
        report = verify_chain(session)
    assert report.first_bad_seq == 2 and "missing" in (report.reason or "")


def test_rolled_back_work_leaves_no_audit(db):
    try:
        with UnitOfWork(db, Actor.system("test")) as uow:
            uow.audit("create", "thing", 1, after={})
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with db.session() as session:
        assert verify_chain(session).checked == 0


def test_cli_audit_verify_exit_codes(db, monkeypatch):
    from smartcity.cli import app
    from smartcity.core.config import get_settings

    monkeypatch.setenv(
        "SMARTCITY_DATABASE_URL",
        db.url.render_as_string(hide_password=False) if hasattr(db.url, "render_as_string") else db.url,
    )
    get_settings.cache_clear()
    _write(db, 3)
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "3 rows" in ok.output
    with db.write_session() as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(actor="user:mallory"))
    bad = runner.invoke(app, ["audit", "verify"])
    assert bad.exit_code == 1
    assert "row 2" in bad.output
    get_settings.cache_clear()

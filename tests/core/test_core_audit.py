"""The audit chain: every change through a unit of work is chained; tampering is found and named."""

from __future__ import annotations

import itertools

import pytest
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
        report = verify_chain(session, key=db.settings.audit_key)
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
        report = verify_chain(session, key=db.settings.audit_key)
    assert not report.ok and report.first_bad_seq == 3
    assert "hash" in (report.reason or "")


def test_removed_row_is_named(db):
    _write(db, 4)
    with db.write_session() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq == 2))
    with db.session() as session:
        report = verify_chain(session, key=db.settings.audit_key)
    assert report.first_bad_seq == 2 and "missing" in (report.reason or "")


def test_rolled_back_work_leaves_no_audit(db):
    try:
        with UnitOfWork(db, Actor.system("test")) as uow:
            uow.audit("create", "thing", 1, after={})
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with db.session() as session:
        assert verify_chain(session, key=db.settings.audit_key).checked == 0


def test_cli_audit_verify_exit_codes(db, monkeypatch):
    from smartcity.cli import app
    from smartcity.core.config import get_settings

    monkeypatch.setenv(
        "SMARTCITY_DATABASE_URL",
        db.url.render_as_string(hide_password=False) if hasattr(db.url, "render_as_string") else db.url,
    )
    get_settings.cache_clear()
    # The command must hold the key the rows were written with (a shared PostgreSQL database may carry
    # another test's settings).
    monkeypatch.setenv("SMARTCITY_SECRET_KEY", db.settings.resolved_secret_key)
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


def _plain_sha256_recompute(db) -> None:
    """What someone with database access but without the key can do: rewrite a row and rechain it."""
    import hashlib
    import json

    with db.write_session() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        rows[1].after = {"v": "forged"}
        prev = rows[0].hash
        for row in rows[1:]:
            content = json.dumps(
                [row.seq, row.at.isoformat(), row.actor, row.action, row.entity_type, row.entity_id,
                 row.before, row.after],
                sort_keys=True, ensure_ascii=False, separators=(",", ":"),
            )  # fmt: skip
            row.prev_hash = prev
            row.hash = hashlib.sha256((prev + content).encode()).hexdigest()
            prev = row.hash


def test_a_chain_recomputed_without_the_key_is_found(db):
    _write(db, 4)
    _plain_sha256_recompute(db)
    with db.session() as session:
        report = verify_chain(session, key=db.settings.audit_key)
    assert report.first_bad_seq == 2 and "hash" in (report.reason or "")


def test_the_key_lives_outside_the_database(settings):
    other = settings.model_copy(update={"secret_key": "another-secret"})
    assert settings.audit_key != other.audit_key
    assert len(settings.audit_key) == 32


def test_deleting_the_tail_after_an_anchor_is_found(db, settings):
    from smartcity.core.audit import anchors_file, verify_database, write_anchor

    _write(db, 5)
    with db.session() as session:
        anchor = write_anchor(session, key=settings.audit_key, path=anchors_file(settings.data_dir))
    assert anchor is not None and anchor.seq == 5
    assert verify_database(db).ok
    with db.write_session() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq >= 4))
    report = verify_database(db)
    assert report.first_bad_seq == 4 and "anchored" in (report.reason or "")


def test_a_forged_anchor_file_is_refused(db, settings):
    from smartcity.core.audit import AnchorForged, anchors_file, verify_database, write_anchor

    _write(db, 2)
    path = anchors_file(settings.data_dir)
    with db.session() as session:
        write_anchor(session, key=settings.audit_key, path=path)
    path.write_text(path.read_text().replace('"seq": 2', '"seq": 1'))
    with pytest.raises(AnchorForged):
        verify_database(db)


def test_cli_verifies_and_anchors(db, settings, monkeypatch):
    from smartcity import cli

    _write(db, 3)
    monkeypatch.setattr(cli, "open_database", lambda settings=None: db)
    runner = CliRunner()
    anchored = runner.invoke(cli.app, ["audit", "anchor"])
    assert anchored.exit_code == 0 and "row 3" in anchored.output
    assert runner.invoke(cli.app, ["audit", "verify"]).exit_code == 0
    with db.write_session() as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(actor="someone else"))
    broken = runner.invoke(cli.app, ["audit", "verify"])
    assert broken.exit_code == 1 and "row 2" in broken.output

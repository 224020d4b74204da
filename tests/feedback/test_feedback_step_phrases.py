"""A report's history keeps the platform's own sentences as phrases, so a page says them in its language;
migration 0030 reads the older steps' sentences once."""

from __future__ import annotations

import html
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select

from smartcity.core.db import Database
from smartcity.core.migrate import upgrade
from smartcity.feedback import service
from smartcity.feedback.models import Report, ReportStep
from tests.feedback.conftest import AFTER, CITIZEN, OPERATOR, SECRET


def _steps(db: Database, code: str) -> list[ReportStep]:
    with db.session() as s:
        report_id = s.scalar(select(Report.id).where(Report.code == code))
        return list(
            s.scalars(select(ReportStep).where(ReportStep.report_id == report_id).order_by(ReportStep.id))
        )


def test_the_platforms_sentences_are_kept_as_phrases_and_said_in_english(client, city, report_data):
    code = service.submit_report(city, actor=CITIZEN, data=report_data(), secret=SECRET, at=AFTER).report.code
    service.assign_report(city, actor=OPERATOR, code=code, at=AFTER + timedelta(hours=1))
    service.start_report(city, actor=OPERATOR, code=code, comment="Đội đã ra hiện trường.")
    twin = service.submit_report(city, actor=CITIZEN, data=report_data(), secret=SECRET, at=AFTER).report.code
    service.merge_report(city, actor=OPERATOR, code=twin, into=code)

    submitted, assigned, started = _steps(city, code)
    unit = service.get_report(city, actor=OPERATOR, code=code).unit_name
    assert submitted.comment_phrase == {"template": "Chuyển tới {unit}", "parts": {"unit": unit}}
    assert assigned.comment_phrase == {"template": "Chuyển {unit} xử lý.", "parts": {"unit": unit}}
    assert started.comment_phrase is None  # a person's words stay theirs
    merged = _steps(city, twin)[-1]
    assert merged.comment_phrase == {"template": "Trùng với phản ánh {code}.", "parts": {"code": code}}
    assert merged.public_comment == f"Trùng với phản ánh {code}."  # the text, as before, for the API

    page = html.unescape(client.get(f"/phan-anh/{code}?lang=en").text)
    timeline = page.split('class="timeline"')[1].split("</ol>")[0]
    assert "Sent to People's Committee of" in timeline and "to handle." in timeline
    assert "Chuyển" not in timeline and "Đội đã ra hiện trường." in timeline
    twin_page = html.unescape(client.get(f"/phan-anh/{twin}?lang=en").text)
    assert f"Duplicate of report {code}." in twin_page
    api = client.get(f"/api/v1/feedback/reports/{code}").json()
    assert "comment_phrase" not in str(api)  # for pages only


def _a_row(connection: Any, table: str, **values: Any) -> None:
    """Insert a row giving every NOT NULL column without a default a value of its type."""
    for _cid, name, kind, notnull, default, primary in connection.exec_driver_sql(
        f"PRAGMA table_info({table})"
    ):
        if name not in values and notnull and default is None and not primary:
            kind = kind.upper()
            values[name] = (
                0 if "INT" in kind or "BOOL" in kind else "2025-01-01 00:00:00" if "DATE" in kind else "x"
            )
    names = ", ".join(values)
    connection.execute(sa.text(f"INSERT INTO {table} ({names}) VALUES (:{', :'.join(values)})"), values)


def test_migration_0030_reads_the_older_steps_sentences_once(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(db, "0029")
    comments = [
        "Chuyển tới Ủy ban nhân dân phường Phú Lợi",
        "Chuyển Ủy ban nhân dân phường Phú Lợi xử lý.",
        "Trùng với phản ánh PA-250915-000001.",
        "Đã thu gom rác.",
    ]
    hidden = "Trùng với phản ánh PA-[đã ẩn]."  # the code taken for an ID number before
    with db.engine.begin() as connection:
        _a_row(connection, "feedback_reports", id=1, code="PA-250915-000001", token="a")
        merged = {"merged_into_id": 1, "status_notes": hidden}
        _a_row(connection, "feedback_reports", id=2, code="PA-250915-000002", token="b", **merged)
        for number, comment in enumerate(comments, start=1):
            _a_row(connection, "feedback_report_steps", id=number, report_id=1, public_comment=comment)
        _a_row(connection, "feedback_report_steps", id=9, report_id=2, action="merge", public_comment=hidden)
    upgrade(db, "0030")
    with db.engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT comment_phrase FROM feedback_report_steps ORDER BY id")
        ).all()
    phrases = [None if row[0] is None else json.loads(row[0]) for row in rows]
    assert phrases == [
        {"template": "Chuyển tới {unit}", "parts": {"unit": "Ủy ban nhân dân phường Phú Lợi"}},
        {"template": "Chuyển {unit} xử lý.", "parts": {"unit": "Ủy ban nhân dân phường Phú Lợi"}},
        {"template": "Trùng với phản ánh {code}.", "parts": {"code": "PA-250915-000001"}},
        None,
        {"template": "Trùng với phản ánh {code}.", "parts": {"code": "PA-250915-000001"}},
    ]
    with db.engine.connect() as connection:
        said = connection.execute(sa.text("SELECT public_comment FROM feedback_report_steps WHERE id = 9"))
        notes = connection.execute(sa.text("SELECT status_notes FROM feedback_reports WHERE id = 2"))
        assert said.scalar() == notes.scalar() == "Trùng với phản ánh PA-250915-000001."
    db.dispose()

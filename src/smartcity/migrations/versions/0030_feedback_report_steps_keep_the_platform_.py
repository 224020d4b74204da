"""feedback report steps keep the platform's sentences as phrases

A report's history said the platform's own sentences ("Chuyển tới …", "Chuyển … xử lý.", "Trùng với phản ánh
….") as Vietnamese text only, and the report page parsed that text back to say it in English. The step now
keeps the sentence as a phrase (template and parts) beside the text; the steps written before are read once
here, by the same three patterns the page used.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 07:34:23.804476
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

PLATFORM_SENTENCES = (
    (re.compile(r"Chuyển tới (?P<unit>.+)"), "Chuyển tới {unit}"),
    (re.compile(r"Chuyển (?P<unit>.+) xử lý\."), "Chuyển {unit} xử lý."),
    (re.compile(r"Trùng với phản ánh (?P<code>\S+)\."), "Trùng với phản ánh {code}."),
)
REDACTED = "[đã ẩn]"  # feedback.moderation's marker as it was written
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("feedback_report_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("comment_phrase", JSON, nullable=True))
    _read_the_platforms_sentences()
    _name_the_reports_merged_into()


STEPS = sa.table(
    "feedback_report_steps",
    sa.column("id"),
    sa.column("report_id"),
    sa.column("action"),
    sa.column("public_comment"),
    sa.column("comment_phrase", JSON),
)
REPORTS = sa.table(
    "feedback_reports",
    sa.column("id"),
    sa.column("code"),
    sa.column("merged_into_id"),
    sa.column("status_notes"),
)


def _read_the_platforms_sentences() -> None:
    bind = op.get_bind()
    comment = STEPS.c.public_comment
    platform_like = sa.or_(comment.like("Chuyển %"), comment.like("Trùng với phản ánh %"))
    written = bind.execute(sa.select(STEPS.c.id, comment).where(platform_like)).all()
    for step_id, said in written:
        if phrase := _phrase_of(said):
            bind.execute(sa.update(STEPS).where(STEPS.c.id == step_id).values(comment_phrase=phrase))


def _phrase_of(comment: str) -> dict[str, object] | None:
    """The platform's sentence `comment` as a phrase (template and parts), None for a person's words."""
    for pattern, template in PLATFORM_SENTENCES:
        if found := pattern.fullmatch(comment):
            return {"template": template, "parts": found.groupdict()}
    return None


def _name_the_reports_merged_into() -> None:
    """A merge's sentence had the other report's code hidden as if it were an ID number ("PA-[đã ẩn]"):
    name it again, from the report it was merged into."""
    bind = op.get_bind()
    kept = REPORTS.alias("kept")
    hidden = f"Trùng với phản ánh PA-{REDACTED}."
    merges = bind.execute(
        sa.select(STEPS.c.id, STEPS.c.report_id, kept.c.code)
        .join(REPORTS, REPORTS.c.id == STEPS.c.report_id)
        .join(kept, kept.c.id == REPORTS.c.merged_into_id)
        .where(STEPS.c.action == "merge", STEPS.c.public_comment == hidden)
    ).all()
    for step_id, report_id, code in merges:
        said = {"template": "Trùng với phản ánh {code}.", "parts": {"code": code}}
        text = f"Trùng với phản ánh {code}."
        bind.execute(
            sa.update(STEPS).where(STEPS.c.id == step_id).values(public_comment=text, comment_phrase=said)
        )
        bind.execute(
            sa.update(REPORTS)
            .where(REPORTS.c.id == report_id, REPORTS.c.status_notes == hidden)
            .values(status_notes=text)
        )


def downgrade() -> None:
    with op.batch_alter_table("feedback_report_steps", schema=None) as batch_op:
        batch_op.drop_column("comment_phrase")

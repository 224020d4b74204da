"""users' and school staff's full names and e-mail addresses encrypted at rest

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 23:30:00

`users.full_name`, `users.email`, `education_staff.full_name` and `education_staff.email` are replaced by
ciphertext made with the personal-data key ring (core.crypto), a keyed hash of the e-mail address (lookup;
unique for school staff) and, in a side table per owner, the keyed hashes of the words of the name and of
their prefixes (the blind index of the search by name). Existing rows are encrypted in place before the clear
columns are dropped, and the two tables are rewritten afterwards (core.migrate) so that no clear copy stays in
free pages; downgrade decrypts them back.
"""

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from smartcity.core.config import Settings, get_settings
from smartcity.core.crypto import (
    KeyRing,
    decrypt_optional,
    email_index,
    encrypt_optional,
    encrypt_personal,
    name_term_indexes,
)

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

BATCH = 500
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_USERS = sa.table(
    "users",
    sa.column("id", sa.Integer),
    sa.column("full_name", sa.String),
    sa.column("email", sa.String),
    sa.column("full_name_encrypted", sa.Text),
    sa.column("email_encrypted", sa.Text),
    sa.column("email_index", sa.String),
)
_STAFF = sa.table(
    "education_staff",
    sa.column("id", sa.Integer),
    sa.column("full_name", sa.String),
    sa.column("email", sa.String),
    sa.column("full_name_encrypted", sa.Text),
    sa.column("email_encrypted", sa.Text),
    sa.column("email_index", sa.String),
)
_USER_TERMS = sa.table("user_name_terms", sa.column("user_id", sa.Integer), sa.column("term", sa.String))
_STAFF_TERMS = sa.table(
    "education_staff_name_terms", sa.column("staff_id", sa.Integer), sa.column("term", sa.String)
)
# Rows that point at a school staff member (ON DELETE SET NULL): SQLite rebuilds education_staff, and
# dropping the old table would clear them; they are kept aside and put back.
_STAFF_REFERENCES = (
    ("education_classes", "homeroom_teacher_id"),
    ("education_timetable_slots", "teacher_id"),
)


def _keys() -> KeyRing:
    settings: Settings = context.config.attributes.get("settings") or get_settings()
    return settings.personal_keys


def _batches(
    table: sa.TableClause, columns: Sequence[sa.ColumnClause[Any]]
) -> Iterator[Sequence[sa.Row[Any]]]:
    connection, last = op.get_bind(), 0
    while True:
        rows = connection.execute(
            sa.select(table.c.id, *columns).where(table.c.id > last).order_by(table.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _seal(table: sa.TableClause, owner: str, *, required: bool) -> list[dict[str, Any]]:
    """Encrypt each row's name and address, with the address's keyed hash; returns the rows of the name's
    word hashes (written once the table is in its final form: a SQLite rebuild would cascade into them)."""
    connection = op.get_bind()
    keys: KeyRing | None = None
    hashes: list[dict[str, Any]] = []
    for rows in _batches(table, [table.c.full_name, table.c.email]):
        keys = keys or _keys()  # the key ring is read only when there is something to seal
        for row in rows:
            name, email = (row.full_name or "").strip(), (row.email or "").strip() or None
            connection.execute(
                table.update()
                .where(table.c.id == row.id)
                .values(
                    full_name_encrypted=encrypt_personal(keys, name)
                    if required
                    else encrypt_optional(keys, name),
                    email_encrypted=encrypt_personal(keys, email or "")
                    if required
                    else encrypt_optional(keys, email),
                    email_index=email_index(keys, email) if email else None,
                )
            )
            hashes += [{owner: row.id, "term": term} for term in sorted(name_term_indexes(keys, name))]
    return hashes


def _insert(terms: sa.TableClause, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        op.get_bind().execute(terms.insert(), rows[start : start + BATCH])


def _unseal(table: sa.TableClause) -> None:
    """Decrypt each row's name and address back into the clear columns."""
    connection = op.get_bind()
    keys: KeyRing | None = None
    for rows in _batches(table, [table.c.full_name_encrypted, table.c.email_encrypted]):
        keys = keys or _keys()
        for row in rows:
            connection.execute(
                table.update()
                .where(table.c.id == row.id)
                .values(
                    full_name=decrypt_optional(keys, row.full_name_encrypted) or "",
                    email=decrypt_optional(keys, row.email_encrypted),
                )
            )


def _rebuild_staff(change: Any) -> None:
    """Apply `change(batch_op)` to education_staff, keeping the references to staff members intact (SQLite
    rebuilds the table; PostgreSQL alters it in place)."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        with op.batch_alter_table("education_staff") as batch_op:
            change(batch_op)
        return
    kept = {
        (table, column): bind.exec_driver_sql(
            f'SELECT id, "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL'
        ).all()
        for table, column in _STAFF_REFERENCES
    }
    with op.batch_alter_table("education_staff", recreate="always") as batch_op:
        change(batch_op)
    for (table, column), rows in kept.items():
        ref = sa.table(table, sa.column("id", sa.Integer), sa.column(column, sa.Integer))
        for row_id, staff_id in rows:
            bind.execute(ref.update().where(ref.c.id == row_id).values({column: staff_id}))


def upgrade() -> None:
    op.create_table(
        "user_name_terms",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_name_terms_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "term", name=op.f("pk_user_name_terms")),
    )
    op.create_index(op.f("ix_user_name_terms_term"), "user_name_terms", ["term"], unique=False)
    op.create_table(
        "education_staff_name_terms",
        sa.Column("staff_id", ID, nullable=False),
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["education_staff.id"],
            name=op.f("fk_education_staff_name_terms_staff_id_education_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("staff_id", "term", name=op.f("pk_education_staff_name_terms")),
    )
    op.create_index(
        op.f("ix_education_staff_name_terms_term"), "education_staff_name_terms", ["term"], unique=False
    )
    for table in ("users", "education_staff"):
        op.add_column(table, sa.Column("full_name_encrypted", sa.Text(), nullable=True))
        op.add_column(table, sa.Column("email_encrypted", sa.Text(), nullable=True))
        op.add_column(table, sa.Column("email_index", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_users_email_index"), "users", ["email_index"], unique=False)

    user_terms = _seal(_USERS, "user_id", required=False)
    staff_terms = _seal(_STAFF, "staff_id", required=True)

    op.drop_column("users", "full_name")
    op.drop_column("users", "email")

    def seal_staff(batch_op: Any) -> None:
        batch_op.alter_column("full_name_encrypted", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column("email_encrypted", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column("email_index", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_education_staff_email_index"), ["email_index"])
        batch_op.drop_constraint(batch_op.f("uq_education_staff_email"), type_="unique")
        batch_op.drop_column("full_name")
        batch_op.drop_column("email")

    _rebuild_staff(seal_staff)
    _insert(_USER_TERMS, user_terms)
    _insert(_STAFF_TERMS, staff_terms)
    # The clear values may linger in freed pages: smartcity.core.migrate rewrites the tables after commit.
    context.config.attributes.setdefault("rewrite_tables", set()).update({"users", "education_staff"})


def downgrade() -> None:
    op.add_column("users", sa.Column("full_name", sa.String(length=200), nullable=False, server_default=""))
    op.add_column("users", sa.Column("email", sa.String(length=254), nullable=True))
    op.add_column("education_staff", sa.Column("full_name", sa.String(length=120), nullable=True))
    op.add_column("education_staff", sa.Column("email", sa.String(length=120), nullable=True))
    _unseal(_USERS)
    _unseal(_STAFF)

    def unseal_staff(batch_op: Any) -> None:
        batch_op.alter_column("full_name", existing_type=sa.String(length=120), nullable=False)
        batch_op.alter_column("email", existing_type=sa.String(length=120), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_education_staff_email"), ["email"])
        batch_op.drop_constraint(batch_op.f("uq_education_staff_email_index"), type_="unique")
        batch_op.drop_column("email_index")
        batch_op.drop_column("email_encrypted")
        batch_op.drop_column("full_name_encrypted")

    _rebuild_staff(unseal_staff)
    op.drop_index(op.f("ix_users_email_index"), table_name="users")
    for column in ("email_index", "email_encrypted", "full_name_encrypted"):
        op.drop_column("users", column)
    op.drop_index(op.f("ix_education_staff_name_terms_term"), table_name="education_staff_name_terms")
    op.drop_table("education_staff_name_terms")
    op.drop_index(op.f("ix_user_name_terms_term"), table_name="user_name_terms")
    op.drop_table("user_name_terms")

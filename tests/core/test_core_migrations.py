"""The migrations describe exactly the models: nothing to autogenerate after `upgrade head`."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from smartcity.core.db import Base
from smartcity.core.migrate import rewrite


def test_models_and_migrations_agree(db):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    # PostGIS adds its own tables (spatial_ref_sys...) that are not ours.
    diff = [d for d in diff if not (d[0] == "remove_table" and d[1].name in {"spatial_ref_sys"})]
    described = ", ".join(f"{d[0]} {getattr(d[1], 'name', d[1])}" for d in diff)
    assert diff == [], f"add a migration with scripts/new-migration: {described}"


def test_rewriting_tables_leaves_the_pool_transactional(db):
    """After a rewrite's VACUUM FULL (it needs autocommit), the pooled connection is transactional again."""
    if db.is_sqlite:
        pytest.skip("SQLite's rewrite (VACUUM) does not switch the driver's transaction mode")
    db.engine.pool.dispose()  # so that the connection the rewrite used is the only one in the pool
    rewrite(db, {"city_admin_units"})
    with db.engine.connect() as conn:
        conn.execute(text("CREATE TEMP TABLE kept_until_commit (n int) ON COMMIT DELETE ROWS"))
        conn.execute(text("INSERT INTO kept_until_commit VALUES (1)"))
        assert conn.execute(text("SELECT count(*) FROM kept_until_commit")).scalar() == 1
        conn.rollback()

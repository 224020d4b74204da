"""The migrations describe exactly the models: nothing to autogenerate after `upgrade head`."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from smartcity.core.db import Base


def test_models_and_migrations_agree(db):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    # PostGIS adds its own tables (spatial_ref_sys...) that are not ours.
    diff = [d for d in diff if not (d[0] == "remove_table" and d[1].name in {"spatial_ref_sys"})]
    described = ", ".join(f"{d[0]} {getattr(d[1], 'name', d[1])}" for d in diff)
    assert diff == [], f"add a migration with scripts/new-migration: {described}"

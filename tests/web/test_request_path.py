"""The request path stays lean: connections taken from the pool and statements run per request.

Counted with SQLAlchemy events (pool checkouts, statements sent) around one request after a warm-up; the
numbers are budgets: a change that adds a checkout or a query to these hot reads fails here. Not timed
(speed is measured by bench/http_bench.py against a reference in the same run).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from smartcity.accounts import service as accounts
from smartcity.city.loader import load_city_pack
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.gis import service as gis

PASSWORD = "Request-Path-2026!"


@dataclass
class Tally:
    """Pool checkouts and statements seen while counting (transaction control statements apart)."""

    checkouts: int = 0
    statements: list[str] = field(default_factory=list)
    transactions: int = 0


@contextmanager
def counting(db: Database) -> Iterator[Tally]:
    """Count what reaches the database inside the block."""
    tally = Tally()

    def on_checkout(*_args: Any) -> None:
        tally.checkouts += 1

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.strip().upper().startswith("BEGIN"):
            tally.transactions += 1
        else:
            tally.statements.append(statement)

    def on_begin(conn: Any) -> None:
        # PostgreSQL: a transaction reaches the server unless the connection is in autocommit
        if not conn.connection.dbapi_connection.autocommit:
            tally.transactions += 1

    event.listen(db.engine, "checkout", on_checkout)
    event.listen(db.engine, "before_cursor_execute", on_statement)
    if not db.is_sqlite:
        event.listen(db.engine, "begin", on_begin)
    try:
        yield tally
    finally:
        event.remove(db.engine, "checkout", on_checkout)
        event.remove(db.engine, "before_cursor_execute", on_statement)
        if not db.is_sqlite:
            event.remove(db.engine, "begin", on_begin)


@pytest.fixture
def loaded(db: Database, client: TestClient) -> dict[str, str]:
    """The city, a small parcel layer and an administrator's bearer token; the address of one parcel."""
    actor = Actor.system("test")
    load_city_pack(db, actor=actor)
    gis.load_demo_layers(db, actor=actor, parcels=30)
    accounts.create_user(db, actor=actor, username="pathadmin", password=PASSWORD, roles=[("admin", None)])
    response = client.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": "pathadmin", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    page = client.get("/ogc/collections/land-parcels/items?limit=1").json()
    return {
        "token": response.json()["access_token"],
        "item": f"/ogc/collections/land-parcels/items/{page['features'][0]['id']}",
    }


def _measure(db: Database, client: TestClient, path: str, headers: dict[str, str]) -> Tally:
    assert client.get(path, headers=headers).status_code == 200  # warm-up: caches, compiled statements
    with counting(db) as tally:
        response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return tally


def test_auth_me_takes_one_connection_and_one_query(
    db: Database, client: TestClient, loaded: dict[str, str]
) -> None:
    """The caller (user and roles in one statement) is resolved once and the handler reuses it."""
    tally = _measure(db, client, "/api/v1/auth/me", {"Authorization": f"Bearer {loaded['token']}"})
    assert (tally.checkouts, len(tally.statements)) == (1, 1), tally.statements
    assert tally.transactions == 0


def test_city_units_takes_the_caller_only(db: Database, client: TestClient, loaded: dict[str, str]) -> None:
    """An authenticated list: the caller is read on every request (one statement, no transaction); the units
    come from this process's list, kept since the warm-up."""
    headers = {"Authorization": f"Bearer {loaded['token']}"}
    tally = _measure(db, client, "/api/v1/city/units", headers)
    assert (tally.checkouts, len(tally.statements)) == (1, 1), tally.statements
    assert "city_admin_units" not in tally.statements[0]
    assert tally.transactions == 0
    body = client.get("/api/v1/city/units", headers=headers).json()
    assert body and {"code", "name", "level", "approximate"} <= set(body[0])


def test_ogc_item_reads_its_layer_and_feature_in_one_query(
    db: Database, client: TestClient, loaded: dict[str, str]
) -> None:
    """One OGC feature: the layer and the feature in one statement on one connection."""
    tally = _measure(db, client, loaded["item"], {})
    assert (tally.checkouts, len(tally.statements)) == (1, 1), tally.statements
    assert tally.transactions == 0


def test_ogc_page_is_one_statement(db: Database, client: TestClient, loaded: dict[str, str]) -> None:
    """A page of features: the layer's row (checking the cached layer), the page and the count in one."""
    tally = _measure(db, client, "/ogc/collections/land-parcels/items?limit=10&offset=5", {})
    assert (tally.checkouts, len(tally.statements)) == (1, 1), tally.statements
    assert tally.transactions == 0
    boxed = _measure(
        db, client, "/ogc/collections/land-parcels/items?limit=10&bbox=106.5,10.9,106.8,11.2", {}
    )
    assert (boxed.checkouts, len(boxed.statements)) == (1, 1), boxed.statements


def test_the_shared_connection_goes_back_to_the_pool(
    db: Database, client: TestClient, loaded: dict[str, str]
) -> None:
    """After a request (answered or refused) no connection stays checked out."""
    headers = {"Authorization": f"Bearer {loaded['token']}"}
    assert client.get("/api/v1/city/units", headers=headers).status_code == 200
    assert client.get("/api/v1/auth/me", headers={"Authorization": "Bearer forged"}).status_code == 401
    assert client.get("/ogc/collections/land-parcels/items/999999?f=json").status_code == 404
    pool = db.engine.pool
    assert getattr(pool, "checkedout", lambda: 0)() == 0


def test_a_snapshot_read_streams_in_one_transaction(db: Database, loaded: dict[str, str]) -> None:
    """`session(snapshot=True)` reads in a transaction (server-side cursors, as `yield_per` uses, need it)."""
    from sqlalchemy import select

    from smartcity.gis.models import Feature

    with counting(db) as tally, db.session(snapshot=True) as s:
        keys = [row.key for row in s.scalars(select(Feature).execution_options(yield_per=7))]
    assert len(keys) >= 30
    assert tally.transactions == 1

"""No request does database work on the event loop: an `async def` route or middleware that reads or writes
the database there stalls every other request while it waits (for a connection, a lock, the disk). Under a
burst of browsers this stalled the whole server (bench/burst.py)."""

from __future__ import annotations

import asyncio
import traceback

import pytest
from sqlalchemy import event

from smartcity.city.service import load_city_pack
from smartcity.core.security import Actor

ASYNC_ROUTES_WITH_DATA = (  # (method, path, form or None): each reaches the database
    ("GET", "/ckan/api/3/action/package_show?id=dossiers-monthly", None),
    ("GET", "/ckan/api/action/package_list", None),
    ("POST", "/tra-cuu", {"code": "UBND-00000-HCM-260101-0001", "second_factor": "0901234567"}),
    ("GET", "/api/v1/city/units", None),
)


@pytest.fixture
def on_the_loop(db):  # type: ignore[no-untyped-def]
    """The stacks of every database connection taken while an event loop runs in the taking thread."""
    taken: list[str] = []

    def checkout(*_args: object) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # a worker thread: where database work belongs
        taken.append("".join(traceback.format_stack(limit=25)))

    event.listen(db.engine.pool, "checkout", checkout)
    yield taken
    event.remove(db.engine.pool, "checkout", checkout)


def test_async_routes_take_no_database_connection_on_the_event_loop(db, client, on_the_loop):
    load_city_pack(db, actor=Actor.system("test"))
    for method, path, form in ASYNC_ROUTES_WITH_DATA:
        answer = client.request(method, path, data=form)
        assert answer.status_code < 500, (path, answer.text[:300])
    assert not on_the_loop, on_the_loop[0]

"""Database engine, sessions, declarative base and shared column types (SQLite or PostgreSQL)."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Select,
    create_engine,
    event,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from smartcity.core import clock
from smartcity.core.errors import found_or_404

if TYPE_CHECKING:
    from smartcity.core.config import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table of the platform."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# How long an embedded (SQLite) writer waits for its turn before its request is refused as busy.
SQLITE_BUSY_SECONDS = 10

JSONType = JSON().with_variant(JSONB(), "postgresql")

# The one id type: 64-bit on PostgreSQL, INTEGER on SQLite (where only INTEGER PRIMARY KEY autoincrements).
IdType = BigInteger().with_variant(Integer, "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on both SQLite and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC timestamp is expected")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


utcnow = clock.now  # the one clock's "now", by the name the models and services have long used


class TimestampMixin:
    """created_at / updated_at columns kept by the database layer."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy issue BEGIN itself so that BEGIN IMMEDIATE can serialise writers.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the lock at BEGIN so that two writers never deadlock on lock upgrade; pure reads
        # (read sessions) run without a transaction: each statement sees the last committed state.
        options = conn.get_execution_options()
        if options.get("sqlite_read", False):
            return
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("sqlite_write", False) else "BEGIN")


# Read sessions: autocommit on PostgreSQL; on SQLite the BEGIN listener leaves them out of a transaction.
_READ_OPTIONS: dict[bool, dict[str, Any]] = {
    False: {"isolation_level": "AUTOCOMMIT"},
    True: {"sqlite_read": True},
}
# Reads that need one transaction (one snapshot; server-side cursors): `db.session(snapshot=True)`.
_SNAPSHOT_OPTIONS: dict[bool, dict[str, Any]] = {
    False: {"isolation_level": "REPEATABLE READ"},
    True: {"sqlite_read": False},
}


class SharedReads:
    """One pooled connection lent to every read session of a scope (a web request), taken at the first
    read and given back by `release` (the web layer does that when the response starts), so a request
    holds one connection however many services it reads through."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._connection: Connection | None = None
        self._open = True
        self._lock = threading.Lock()

    def connection(self) -> Connection | None:
        """The shared connection (checked out now if needed), None once released."""
        with self._lock:
            if not self._open:
                return None
            if self._connection is None:
                self._connection = self.db._read_engine.connect()
            return self._connection

    def release(self) -> None:
        """Give the connection back to the pool; later reads of the scope take their own."""
        with self._lock:
            self._open = False
            connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


_shared_reads: ContextVar[SharedReads | None] = ContextVar("smartcity_shared_reads", default=None)


Row = TypeVar("Row")


def get_or_404(session: Session, model: type[Row], key: Any, missing: str) -> Row:
    """The row of `model` with primary key `key` in the session; NotFound(`missing`) when there is none."""
    return found_or_404(session.get(model, key), missing)


class Database:
    """An engine and its session factory for one database URL, and the settings of the process using it."""

    def __init__(
        self, url: str, *, echo: bool = False, dispatch_inline: bool = True, settings: Settings | None = None
    ) -> None:
        self.url = url
        self._settings = settings
        self.dispatch_inline = dispatch_inline
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS}
            # Two connections for each of the server's 40 worker threads (a request may hold a read while it
            # writes or calls another service): a request waits on SQLite's own locks, not for a free
            # connection (5 + 10 ran out under a dozen browsers; 40 still did under 48 clients).
            kwargs.update(pool_size=10, max_overflow=70)
        else:
            # Recycle rather than ping on every checkout (a round trip per request).
            kwargs.update(pool_recycle=1800, pool_size=10, max_overflow=20)
        self.engine = create_engine(url, **kwargs)
        # SQLite lets one writer in at a time and makes the others poll with growing sleeps (its busy
        # handler): under a burst they wake late and out of turn. This process's writers queue here instead
        # (reentrant: a write session opened inside another in the same thread meets SQLite as before).
        self._sqlite_writer = threading.RLock() if self.is_sqlite else None
        self._locks: dict[str, Connection] = {}
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self._read_engine = self.engine.execution_options(**_READ_OPTIONS[self.is_sqlite])
        self._sessions = sessionmaker(self._read_engine, expire_on_commit=False)
        self._shared_sessions = sessionmaker(expire_on_commit=False)
        self._snapshot_sessions = sessionmaker(
            self.engine.execution_options(**_SNAPSHOT_OPTIONS[self.is_sqlite]), expire_on_commit=False
        )
        self._write_sessions = sessionmaker(
            self.engine.execution_options(sqlite_write=True), expire_on_commit=False
        )

    @property
    def settings(self) -> Settings:
        """The settings this database serves (event handlers and tasks read them here), else the process's."""
        if self._settings is None:
            from smartcity.core.config import get_settings

            return get_settings()
        return self._settings

    def bind_settings(self, settings: Settings) -> None:
        """Make `settings` the ones handlers and tasks see for this database (the app does this)."""
        self._settings = settings

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, snapshot: bool = False) -> Iterator[Session]:
        """A read session, without a transaction (no BEGIN/ROLLBACK round trips); use a unit of work to write.

        Each statement sees what was committed when it started (PostgreSQL's READ COMMITTED gives nothing
        more inside a transaction). Inside `shared_reads()` (every web request) it runs on the scope's one
        connection. `snapshot=True`: its own connection and one transaction (one snapshot for every
        statement; server-side cursors such as `yield_per` need it).
        """
        shared = None if snapshot else _shared_reads.get()
        connection = shared.connection() if shared is not None and shared.db is self else None
        if connection is not None:
            session = self._shared_sessions(bind=connection)
        else:
            session = self._snapshot_sessions() if snapshot else self._sessions()
        try:
            yield session
        finally:
            session.close()

    def all(self, query: Select[Row]) -> list[Row]:
        """Every object the query selects, in a read session of its own."""
        with self.session() as s:
            return list(s.scalars(query))

    def get_or_404(self, model: type[Row], key: Any, missing: str) -> Row:
        """The row of `model` with primary key `key` (detached); NotFound(`missing`) when there is none."""
        with self.session() as s:
            return get_or_404(s, model, key, missing)

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A Core connection for plain reads of columns (no ORM objects), without a transaction: about half
        the CPU of a session per statement. Inside `shared_reads()` the scope's one connection, else its own.
        """
        shared = _shared_reads.get()
        connection = shared.connection() if shared is not None and shared.db is self else None
        if connection is not None:
            yield connection
            return
        with self._read_engine.connect() as own:
            yield own

    @contextmanager
    def shared_reads(self) -> Iterator[SharedReads]:
        """Within the block (and the threads it hands work to), read sessions share one connection."""
        scope = SharedReads(self)
        token = _shared_reads.set(scope)
        try:
            yield scope
        finally:
            _shared_reads.reset(token)
            scope.release()

    @contextmanager
    def write_session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error (SQLite: BEGIN IMMEDIATE, after this
        process's other writers)."""
        with self._one_writer():
            session = self._write_sessions()
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

    @contextmanager
    def _one_writer(self) -> Iterator[None]:
        """On SQLite, the process's turn to write, waited for as long as SQLite's busy timeout and refused
        as SQLite refuses ("database is locked") after it; on PostgreSQL, nothing to wait for."""
        writer = self._sqlite_writer
        if writer is None:
            yield
            return
        if not writer.acquire(timeout=SQLITE_BUSY_SECONDS):
            raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))
        try:
            yield
        finally:
            writer.release()

    def ping(self) -> None:
        """Raise if the database cannot be reached."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def hold_lock(self, name: str) -> bool:
        """Whether this process holds the lock `name` among every process on the database, taking it if free.

        PostgreSQL: a session advisory lock on a connection kept for the purpose, so exactly one process of
        a deployment does the work it guards (command publishing, roll-ups...) and another takes over when
        that process or its connection dies. SQLite serves one machine's processes: always True there.
        """
        if self.is_sqlite:
            return True
        held = self._locks.get(name)
        if held is not None:
            try:
                held.execute(text("SELECT 1"))
                return True
            except Exception:  # the connection died, and the lock with it: try to take it again
                self._locks.pop(name, None)
                held.invalidate()
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        if conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": _lock_key(name)}).scalar():
            self._locks[name] = conn
            return True
        conn.close()
        return False

    def release_lock(self, name: str) -> None:
        """Give up the lock `name` if this process holds it."""
        held = self._locks.pop(name, None)
        if held is not None:
            try:
                held.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _lock_key(name)})
            finally:
                held.close()

    def release_locks(self) -> None:
        """Give up every lock taken with `hold_lock`."""
        for name in list(self._locks):
            self.release_lock(name)

    def dispose(self) -> None:
        """Close every pooled connection (and give up held locks)."""
        self.release_locks()
        self.engine.dispose()


def _lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a lock name."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


def open_database(settings: Settings | None = None) -> Database:
    """The database named by the settings (the process's when none are given), for commands and workers.

    Event handlers are registered by the assembly (`smartcity.cli`, the app), not here: core knows no domain.
    """
    if settings is None:
        from smartcity.core.config import get_settings

        settings = get_settings()
    return Database(
        settings.resolved_database_url, dispatch_inline=settings.dispatch_inline, settings=settings
    )

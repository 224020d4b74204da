"""Transactional outbox: events stored with the change that caused them, dispatched after commit."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import CursorResult, Integer, String, Text, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.db import Base, IdType, JSONType, UTCDateTime, utcnow
from smartcity.core.events import Event, event_class
from smartcity.core.metrics import OUTBOX_DISPATCHED

if TYPE_CHECKING:
    from smartcity.core.db import Database

log = logging.getLogger(__name__)

Handler = Callable[[Event, "Database"], None]
Listener = Callable[[Event], None]
CLAIM_LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 10


class OutboxMessage(Base):
    """An event waiting to be (or already) handed to its handlers."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    event_type: Mapped[str] = mapped_column(String(120), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class EventBus:
    """Handlers by event name (they change state, must be idempotent) and listeners (live views)."""

    def __init__(self) -> None:
        self.handlers: dict[str, list[Handler]] = defaultdict(list)
        self.listeners: list[Listener] = []

    def register(self, handlers: dict[str, list[Handler]]) -> None:
        """Add a domain's handler table (`handlers.HANDLERS`)."""
        for name, funcs in handlers.items():
            for func in funcs:
                if func not in self.handlers[name]:
                    self.handlers[name].append(func)

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every dispatched event; returns a function that stops it."""
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    def dispatch_pending(self, db: Database, ids: Iterable[int] | None = None, limit: int = 200) -> int:
        """Claim undispatched messages (all, or just `ids`), run their handlers; returns how many ran."""
        done = 0
        for message_id in self._candidates(db, ids, limit):
            message = self._claim(db, message_id)
            if message is not None:
                done += self._run(db, message)
        return done

    def _candidates(self, db: Database, ids: Iterable[int] | None, limit: int) -> list[int]:
        with db.session() as session:
            query = select(OutboxMessage.id).where(
                OutboxMessage.dispatched_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS
            )
            if ids is not None:
                query = query.where(OutboxMessage.id.in_(list(ids)))
            return list(session.scalars(query.order_by(OutboxMessage.id).limit(limit)))

    def _claim(self, db: Database, message_id: int) -> OutboxMessage | None:
        now = utcnow()
        with db.write_session() as session:
            result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == message_id,
                    OutboxMessage.dispatched_at.is_(None),
                    or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at < now - CLAIM_LEASE),
                )
                .values(claimed_at=now, attempts=OutboxMessage.attempts + 1)
            )
            return session.get(OutboxMessage, message_id) if result.rowcount else None

    def _run(self, db: Database, message: OutboxMessage) -> int:
        event = event_class(message.event_type).from_payload(message.payload)
        try:
            for handler in self.handlers.get(message.event_type, []):
                handler(event, db)
        except Exception as exc:  # a failing handler must not stop the relay; it is retried
            log.exception("handler failed for outbox message %s", message.id)
            self._finish(db, message.id, error=f"{type(exc).__name__}: {exc}")
            return 0
        self._finish(db, message.id, error=None)
        self.dispatched(event)
        return 1

    def has_handlers(self, event_name: str) -> bool:
        """Whether any handler reacts to events of this name (in this process)."""
        return bool(self.handlers.get(event_name))

    def dispatched(self, event: Event) -> None:
        """Count a dispatched event and show it to the listeners (live views)."""
        OUTBOX_DISPATCHED.inc()
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:  # a broken live view must not block dispatch
                log.exception("event listener failed")

    @staticmethod
    def _finish(db: Database, message_id: int, *, error: str | None) -> None:
        with db.write_session() as session:
            values: dict[str, Any] = {"last_error": error}
            values.update({"claimed_at": None} if error else {"dispatched_at": utcnow()})
            session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))


bus = EventBus()

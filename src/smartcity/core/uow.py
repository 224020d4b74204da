"""Unit of work: one transaction in which a service changes state, writes audit rows and events."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from sqlalchemy.orm import Session

from smartcity.core.audit import PendingAudit, append_entries
from smartcity.core.db import Database, utcnow
from smartcity.core.events import Event
from smartcity.core.outbox import OutboxMessage, bus
from smartcity.core.security import Actor


class UnitOfWork:
    """`with UnitOfWork(db, actor) as uow:` change through `uow.session`, then `uow.audit`/`uow.publish`."""

    def __init__(self, db: Database, actor: Actor) -> None:
        self.db = db
        self.actor = actor
        self._audits: list[PendingAudit] = []
        self._events: list[Event] = []
        self._outbox_ids: list[int] = []
        self._session_cm: Any = None
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self._session_cm = self.db.write_session()
        self.session = self._session_cm.__enter__()
        return self

    def audit(
        self, action: str, entity_type: str, entity_id: object, *, before: Any = None, after: Any = None
    ) -> None:
        """Record an audit row for a change made in this unit of work."""
        self._audits.append(
            PendingAudit(
                actor=self.actor.label,
                action=action,
                entity_type=entity_type,
                entity_id=str(entity_id),
                before=before,
                after=after,
            )
        )

    def publish(self, event: Event) -> None:
        """Store an event in the outbox, in this transaction."""
        self._events.append(event)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        quiet: list[Event] = []
        if exc_type is None:
            append_entries(self.session, self._audits, key=self.db.settings.audit_key)
            messages, quiet = self._outbox_messages()
            self.session.add_all(messages)
            self.session.flush()
            self._outbox_ids = [m.id for m in messages if m.dispatched_at is None]
        self._session_cm.__exit__(exc_type, exc, tb)
        if exc_type is None and self.db.dispatch_inline:
            if self._outbox_ids:
                bus.dispatch_pending(self.db, ids=self._outbox_ids)
            for event in quiet:
                bus.dispatched(event)

    def _outbox_messages(self) -> tuple[list[OutboxMessage], list[Event]]:
        """The outbox rows of this unit's events. With inline dispatch, an event no handler reacts to is
        stored as already dispatched: claiming and finishing it would cost two transactions for nothing."""
        now, messages, quiet = utcnow(), [], []
        for event in self._events:
            message = OutboxMessage(event_type=event.name, payload=event.to_payload())
            if self.db.dispatch_inline and not bus.has_handlers(event.name):
                message.dispatched_at, message.attempts = now, 1
                quiet.append(event)
            messages.append(message)
        return messages, quiet

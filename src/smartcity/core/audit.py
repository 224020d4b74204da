"""Append-only audit log whose rows are chained by SHA-256; `verify_chain` finds the first broken row."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, String, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from smartcity.core.db import Base, JSONType, UTCDateTime, utcnow

GENESIS_HASH = "0" * 64
_PG_AUDIT_LOCK = 7_401_718  # advisory lock key serialising appends to the chain on PostgreSQL


class AuditEntry(Base):
    """One change made through a service: who, what, when, before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    entity_type: Mapped[str] = mapped_column(String(100))
    entity_id: Mapped[str] = mapped_column(String(200))
    before: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    after: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


def to_jsonable(value: Any) -> Any:
    """Normalise a value (dates, decimals, sets) to plain JSON so the stored and hashed forms agree."""
    return json.loads(json.dumps(value, default=str, sort_keys=True, ensure_ascii=False))


def entry_digest(
    *,
    prev_hash: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    before: Any,
    after: Any,
) -> str:
    """SHA-256 over the previous hash and the canonical JSON of the row's content."""
    content = json.dumps(
        [seq, at.isoformat(), actor, action, entity_type, entity_id, before, after],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + content).encode()).hexdigest()


@dataclass(frozen=True)
class PendingAudit:
    """An audit row collected by a unit of work, written just before it commits."""

    actor: str
    action: str
    entity_type: str
    entity_id: str
    before: Any
    after: Any


def append_entries(session: Session, pending: list[PendingAudit]) -> None:
    """Append rows to the chain inside the caller's transaction."""
    if not pending:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (last[0], last[1]) if last else (0, GENESIS_HASH)
    for item in pending:
        seq += 1
        at = utcnow()
        before, after = to_jsonable(item.before), to_jsonable(item.after)
        digest = entry_digest(
            prev_hash=prev_hash,
            seq=seq,
            at=at,
            actor=item.actor,
            action=item.action,
            entity_type=item.entity_type,
            entity_id=item.entity_id,
            before=before,
            after=after,
        )
        session.add(
            AuditEntry(
                seq=seq,
                at=at,
                actor=item.actor,
                action=item.action,
                entity_type=item.entity_type,
                entity_id=item.entity_id,
                before=before,
                after=after,
                prev_hash=prev_hash,
                hash=digest,
            )
        )
        prev_hash = digest
    session.flush()


@dataclass(frozen=True)
class ChainReport:
    """Result of checking the chain: rows checked and the first bad row, if any."""

    checked: int
    first_bad_seq: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        """True when every row is intact and none is missing."""
        return self.first_bad_seq is None


def verify_chain(session: Session, *, batch: int = 5000) -> ChainReport:
    """Walk the chain in order and report the first row altered, inserted or removed."""
    prev_hash, expected_seq, checked, after_seq = GENESIS_HASH, 1, 0, 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > after_seq).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            return ChainReport(checked)
        for row in rows:
            if row.seq != expected_seq:
                return ChainReport(checked, expected_seq, f"row {expected_seq} is missing")
            if row.prev_hash != prev_hash:
                return ChainReport(checked, row.seq, "does not follow the previous row's hash")
            digest = entry_digest(
                prev_hash=row.prev_hash,
                seq=row.seq,
                at=row.at,
                actor=row.actor,
                action=row.action,
                entity_type=row.entity_type,
                entity_id=row.entity_id,
                before=row.before,
                after=row.after,
            )
            if digest != row.hash:
                return ChainReport(checked, row.seq, "content does not match its hash")
            prev_hash, expected_seq, checked = row.hash, expected_seq + 1, checked + 1
        after_seq = rows[-1].seq
        session.expunge_all()

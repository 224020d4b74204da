"""Append-only audit log, each row chained to the previous one by HMAC-SHA-256 under a key kept outside the
database; the chain's head is anchored from time to time in a file outside the database as well.

Someone with write access to the database alone can neither recompute the chain (no key) nor delete its
tail unseen (the last anchor names a row that must still be there with that hash). `verify_chain` finds
the first row altered, inserted or removed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, String, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from smartcity.core.db import Base, IdType, JSONType, UTCDateTime, utcnow

GENESIS_HASH = "0" * 64
_PG_AUDIT_LOCK = 7_401_718  # advisory lock key serialising appends to the chain on PostgreSQL
# The fields of a row that its hash covers, in order.
_HASHED = ("seq", "at", "actor", "action", "entity_type", "entity_id", "before", "after")


class AuditEntry(Base):
    """One change made through a service: who, what, when, before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
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
    key: bytes,
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
    """HMAC-SHA-256 (under the audit key) over the previous hash and the canonical JSON of the row."""
    content = json.dumps(
        [seq, at.isoformat(), actor, action, entity_type, entity_id, before, after],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hmac.new(key, (prev_hash + content).encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class PendingAudit:
    """An audit row collected by a unit of work, written just before it commits."""

    actor: str
    action: str
    entity_type: str
    entity_id: str
    before: Any
    after: Any


def append_entries(session: Session, pending: list[PendingAudit], *, key: bytes) -> None:
    """Append rows to the chain inside the caller's transaction, keyed with the audit key."""
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
        row: dict[str, Any] = {"seq": seq, "at": utcnow(), "actor": item.actor, "action": item.action}
        row |= {"entity_type": item.entity_type, "entity_id": item.entity_id}
        row |= {"before": to_jsonable(item.before), "after": to_jsonable(item.after)}
        digest = entry_digest(key=key, prev_hash=prev_hash, **row)
        session.add(AuditEntry(**row, prev_hash=prev_hash, hash=digest))
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


def verify_chain(
    session: Session, *, key: bytes, anchor: Anchor | None = None, batch: int = 5000
) -> ChainReport:
    """Walk the chain in order and report the first row altered, inserted or removed; with `anchor` (the
    last one written outside the database), also a tail removed after it was anchored."""
    prev_hash, expected_seq, checked, after_seq = GENESIS_HASH, 1, 0, 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > after_seq).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            if anchor is not None and checked < anchor.seq:
                return ChainReport(
                    checked, checked + 1, f"rows {checked + 1} to {anchor.seq} were anchored but are gone"
                )
            return ChainReport(checked)
        for row in rows:
            if row.seq != expected_seq:
                return ChainReport(checked, expected_seq, f"row {expected_seq} is missing")
            if row.prev_hash != prev_hash:
                return ChainReport(checked, row.seq, "does not follow the previous row's hash")
            content = {name: getattr(row, name) for name in _HASHED}
            digest = entry_digest(key=key, prev_hash=row.prev_hash, **content)
            if not hmac.compare_digest(digest, row.hash):
                return ChainReport(checked, row.seq, "content does not match its hash")
            if anchor is not None and row.seq == anchor.seq and row.hash != anchor.hash:
                return ChainReport(checked, row.seq, "differs from the hash anchored outside the database")
            prev_hash, expected_seq, checked = row.hash, expected_seq + 1, checked + 1
        after_seq = rows[-1].seq
        session.expunge_all()


# ------------------------------------------------------------------------------------------------ anchors


@dataclass(frozen=True)
class Anchor:
    """The chain's head at one moment (its last row's number and hash), kept outside the database."""

    seq: int
    hash: str
    at: str
    mac: str

    @staticmethod
    def mac_of(key: bytes, seq: int, digest: str, at: str) -> str:
        """The anchor's own HMAC, so that the anchor file cannot be forged without the key."""
        return hmac.new(key, f"anchor|{seq}|{digest}|{at}".encode(), hashlib.sha256).hexdigest()


def anchors_file(data_dir: Path) -> Path:
    """Where the anchors are appended (one JSON line each), outside the database."""
    return data_dir / "audit" / "anchors.jsonl"


def write_anchor(session: Session, *, key: bytes, path: Path) -> Anchor | None:
    """Append the chain's current head to the anchors file (None when the chain is empty)."""
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    if last is None:
        return None
    at = utcnow().isoformat()
    anchor = Anchor(seq=last[0], hash=last[1], at=at, mac=Anchor.mac_of(key, last[0], last[1], at))
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    line = json.dumps({"seq": anchor.seq, "hash": anchor.hash, "at": anchor.at, "mac": anchor.mac})
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    path.chmod(0o600)
    return anchor


class AnchorForged(ValueError):
    """An anchor line whose MAC does not match: the anchors file was tampered with."""


def last_anchor(*, key: bytes, path: Path) -> Anchor | None:
    """The newest anchor in the file, every line's MAC checked (AnchorForged if one fails)."""
    if not path.exists():
        return None
    newest = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        raw = json.loads(line)
        expected = Anchor.mac_of(key, int(raw["seq"]), str(raw["hash"]), str(raw["at"]))
        if not hmac.compare_digest(expected, str(raw["mac"])):
            raise AnchorForged(f"anchor line {number} of {path} does not carry a valid MAC")
        anchor = Anchor(seq=int(raw["seq"]), hash=str(raw["hash"]), at=str(raw["at"]), mac=str(raw["mac"]))
        if newest is None or anchor.seq >= newest.seq:
            newest = anchor
    return newest


def anchor_audit_chain(db: Any) -> int:
    """Periodic task `core.anchor_audit`: write the chain's head outside the database; the anchored row."""
    settings = db.settings
    with db.session() as session:
        anchor = write_anchor(session, key=settings.audit_key, path=anchors_file(settings.data_dir))
    return anchor.seq if anchor else 0


def verify_database(db: Any) -> ChainReport:
    """Check the whole chain of `db` with its settings' key and the last anchor kept outside it."""
    settings = db.settings
    anchor = last_anchor(key=settings.audit_key, path=anchors_file(settings.data_dir))
    with db.session() as session:
        return verify_chain(session, key=settings.audit_key, anchor=anchor)

"""Rotation of the personal-data key ring, without downtime.

    smartcity keys rotate    # a new key becomes the primary one; every sealed value is re-encrypted
    smartcity keys retire    # once nothing is sealed under the old keys, they are dropped from the ring
    smartcity keys status    # how many values each key seals

The ring file is re-read by every process when it changes (`Settings.personal_keys`), so from the moment
`rotate` writes it, new values are sealed with the new key while values under the old keys stay readable.
Each value is replaced only if it is still the one read (compare and swap), so a concurrent write is never
overwritten; passes repeat until none is left under an old key. Sealed columns are the ones whose `info`
carries `SEALED` (core.crypto), in every domain's tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Column, ColumnElement, Table, and_, func, or_, select, update

from smartcity.core.crypto import LEGACY_KEY_ID, KeyRing, decrypt_personal, encrypt_personal, save_key_ring
from smartcity.core.db import Base
from smartcity.core.errors import Conflict

if TYPE_CHECKING:
    from smartcity.core.config import Settings
    from smartcity.core.db import Database

BATCH = 500
MAX_PASSES = 20


@dataclass(frozen=True)
class RotationReport:
    """What a rotation did: the new primary key, how many values it re-encrypted, how many remain."""

    primary: str
    reencrypted: int
    remaining: int


def sealed_columns() -> Iterator[tuple[Table, list[Column[str]]]]:
    """Each table with sealed (encrypted personal-data) columns, and those columns."""
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if c.info.get("sealed")]
        if columns:
            yield table, columns


def _not_under(column: Column[str], key_id: str) -> ColumnElement[bool]:
    return and_(column.is_not(None), column.notlike(f"{key_id}:%"))


def key_usage(db: Database, ring: KeyRing) -> dict[str, int]:
    """How many sealed values each key id of the ring (and "other" for any unknown id) seals."""
    ids = [LEGACY_KEY_ID, *ring.keys]
    usage = dict.fromkeys([*ids, "other"], 0)
    with db.session() as s:
        for table, columns in sealed_columns():
            for column in columns:
                for key_id in ids:
                    usage[key_id] += (
                        s.scalar(select(func.count()).select_from(table).where(column.like(f"{key_id}:%")))
                        or 0
                    )
                known = and_(*(column.notlike(f"{k}:%") for k in ids))
                usage["other"] += (
                    s.scalar(select(func.count()).select_from(table).where(column.is_not(None), known)) or 0
                )
    return usage


def _reencrypt_batch(db: Database, ring: KeyRing, table: Table, columns: list[Column[str]]) -> int:
    """Re-encrypt up to BATCH rows of one table holding a value under an old key; returns values changed."""
    keys = list(table.primary_key.columns)
    changed = 0
    with db.engine.begin() as conn:
        rows = conn.execute(
            select(*keys, *columns).where(or_(*(_not_under(c, ring.primary) for c in columns))).limit(BATCH)
        ).all()
        for row in rows:
            where = [k == row._mapping[k] for k in keys]
            for column in columns:
                old = row._mapping[column]
                if old is None or old.startswith(ring.primary + ":"):
                    continue
                new = encrypt_personal(ring, decrypt_personal(ring, old))
                result = conn.execute(update(table).where(*where, column == old).values({column.name: new}))
                changed += result.rowcount
    return changed if rows else -1


def reencrypt(db: Database, ring: KeyRing) -> int:
    """Re-encrypt every sealed value not under the ring's primary key, batch by batch; returns how many."""
    total = 0
    for _ in range(MAX_PASSES):
        progress = 0
        for table, columns in sealed_columns():
            while (changed := _reencrypt_batch(db, ring, table, columns)) > 0:
                progress += changed
        total += progress
        if progress == 0:
            break
    return total


def _remaining(db: Database, ring: KeyRing) -> int:
    usage = key_usage(db, ring)
    return sum(n for key_id, n in usage.items() if key_id != ring.primary)


def rotate(db: Database, settings: Settings) -> RotationReport:
    """Add a new primary key to the ring (old keys stay readable), then re-encrypt every sealed value."""
    ring = settings.personal_keys.with_new_primary()
    save_key_ring(ring, settings.resolved_personal_keys_file)
    count = reencrypt(db, ring)
    return RotationReport(primary=ring.primary, reencrypted=count, remaining=_remaining(db, ring))


def retire(db: Database, settings: Settings) -> list[str]:
    """Drop every key but the primary from the ring once no value is sealed under them; returns their ids."""
    ring = settings.personal_keys
    if ring.primary == LEGACY_KEY_ID:
        raise Conflict("Nothing to retire: rotate the keys first (smartcity keys rotate).")
    reencrypt(db, ring)  # values written under an old key by a process that had not yet seen the new one
    remaining = _remaining(db, ring)
    if remaining:
        raise Conflict(f"{remaining} values are still sealed under old keys: run `smartcity keys rotate`.")
    retired = ring.retiring_all_but_primary()
    save_key_ring(retired, settings.resolved_personal_keys_file)
    return sorted(retired.retired - ring.retired)

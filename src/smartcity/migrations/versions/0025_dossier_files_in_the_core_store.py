"""dossiers' files move from <data_dir>/dossiers to core's file store (<data_dir>/files/dossiers)

Both are the same content-addressed layout, so each file keeps its relative path; a file already in the
target is left there. The downgrade moves them back. No table changes: rows keep their SHA-256.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 23:20:00
"""

from __future__ import annotations

from pathlib import Path

from alembic import context

from smartcity.core.config import Settings, get_settings

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def _folders() -> tuple[Path, Path]:
    """The old folder and core's store folder of the settings the migration runs for."""
    settings: Settings = context.config.attributes.get("settings") or get_settings()
    return settings.data_dir / "dossiers", settings.data_dir / "files" / "dossiers"


def _move_files(source: Path, target: Path) -> None:
    """Move every file below `source` to the same relative path below `target`, then drop `source`."""
    if not source.is_dir():
        return
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if destination.exists():
            path.unlink()
        else:
            path.replace(destination)
    for folder in sorted((p for p in source.rglob("*") if p.is_dir()), reverse=True):
        folder.rmdir()
    source.rmdir()


def upgrade() -> None:
    old, new = _folders()
    _move_files(old, new)


def downgrade() -> None:
    old, new = _folders()
    _move_files(new, old)

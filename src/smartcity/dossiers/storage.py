"""Where dossier files live: the platform's content-addressed store (core.files), area "dossiers"."""

from __future__ import annotations

from pathlib import Path

from smartcity.core.files import FileStore
from smartcity.core.files import sniff_type as sniff_type


def file_store(data_dir: Path) -> FileStore:
    """The dossier file store of a data directory (kept at <data_dir>/dossiers, as dossiers always were)."""
    return FileStore(data_dir / "dossiers")

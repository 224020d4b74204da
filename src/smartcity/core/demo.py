"""The demo's shared credentials: one generated password for the admin and every demo account."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smartcity.core.config import Settings


def demo_admin_password(data_dir: Path) -> str:
    """The demo admin's password: generated on first run and kept (mode 600) in the data directory."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "demo-admin-password"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(12))
        path.chmod(0o600)
    return path.read_text().strip()


def demo_password(settings: Settings) -> str:
    """The password every demo account shares with the demo admin (printed by `smartcity demo`)."""
    return demo_admin_password(settings.data_dir)

"""Where dossier files live: a content-addressed folder under the data directory; type sniffing."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}


def sniff_type(content: bytes) -> str | None:
    """The media type the bytes really are (PDF, JPEG, PNG), None if none of them."""
    for media_type, prefixes in SIGNATURES.items():
        if content.startswith(prefixes):
            return media_type
    return None


class FileStore:
    """Files stored once by their SHA-256 under a root folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, digest: str) -> Path:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / digest[:2] / digest

    def put(self, content: bytes) -> str:
        """Store the bytes (atomically, once) and return their SHA-256."""
        digest = hashlib.sha256(content).hexdigest()
        path = self._path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_bytes(content)
            temporary.replace(path)
        return digest

    def get(self, digest: str) -> bytes:
        """The bytes stored under this digest; FileNotFoundError if missing."""
        return self._path(digest).read_bytes()


def file_store(data_dir: Path) -> FileStore:
    """The dossier file store of a data directory."""
    return FileStore(data_dir / "dossiers")

"""One file store for every domain: content-addressed (SHA-256), written atomically, size-checked.

    store = file_store(settings, "dossiers")
    stored = await store.save_upload(
        upload, max_bytes=10 << 20, allowed_types={"application/pdf"}, intake=Intake(db, actor, "dossiers")
    )
    store.get(stored.sha256)

Uploads are streamed: reading stops and 413 is raised as soon as the limit is passed, so a large body is
never held in memory whole. An upload (`save_upload`) is screened for malware (core.malware) before it is
kept; bytes received otherwise are screened by their receiver (`core.malware.screen`) before `put`.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import anyio

from smartcity.core.errors import PayloadTooLarge, UnsupportedMediaType
from smartcity.core.malware import Intake, screen

if TYPE_CHECKING:
    from smartcity.core.config import Settings

CHUNK = 64 * 1024
SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/webp": (b"RIFF",),
}


def sniff_type(content: bytes) -> str | None:
    """The media type the bytes really are (PDF, JPEG, PNG, WebP), None if none of them."""
    for media_type, prefixes in SIGNATURES.items():
        if content.startswith(prefixes):
            if media_type == "image/webp" and content[8:12] != b"WEBP":
                continue
            return media_type
    return None


@dataclass(frozen=True)
class StoredFile:
    """A file in the store: its digest, size and the media type its bytes show."""

    sha256: str
    size: int
    media_type: str | None


class AsyncReadable(Protocol):
    """What an upload offers (Starlette's UploadFile)."""

    async def read(self, size: int = -1) -> bytes: ...


class FileStore:
    """Files stored once by their SHA-256 under a root folder (owner-only permissions)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, digest: str) -> Path:
        """Where the file with this digest lives; ValueError for anything but a SHA-256 hex digest."""
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / digest[:2] / digest

    def put(self, content: bytes) -> str:
        """Store the bytes (atomically, once) and return their SHA-256."""
        return self.put_chunks([content]).sha256

    def put_chunks(self, chunks: Iterable[bytes], *, max_bytes: int | None = None) -> StoredFile:
        """Store a stream of chunks; PayloadTooLarge as soon as more than `max_bytes` arrived."""
        writer = _Writer(self, max_bytes)
        try:
            for chunk in chunks:
                writer.write(chunk)
            return writer.finish()
        finally:
            writer.discard()

    async def save_upload(
        self,
        upload: AsyncReadable,
        *,
        max_bytes: int,
        intake: Intake,
        allowed_types: Iterable[str] | None = None,
    ) -> StoredFile:
        """Stream an upload into the store, refusing it (413, malware 422, 415) before anything is kept."""
        writer = _Writer(self, max_bytes)
        try:
            while chunk := await upload.read(CHUNK):
                writer.write(chunk)
            await anyio.to_thread.run_sync(writer.screen, intake)
            stored = writer.finish(allowed_types=allowed_types)
            return stored
        finally:
            writer.discard()

    def get(self, digest: str) -> bytes:
        """The bytes stored under this digest; FileNotFoundError if missing."""
        return self.path(digest).read_bytes()

    def exists(self, digest: str) -> bool:
        """Whether a file with this digest is stored."""
        return self.path(digest).exists()


class _Writer:
    """A temporary file that becomes a stored file when finished, and is removed otherwise."""

    def __init__(self, store: FileStore, max_bytes: int | None) -> None:
        store.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.store = store
        self.max_bytes = max_bytes
        self.size = 0
        self.head = b""
        self.digest = hashlib.sha256()
        handle, name = tempfile.mkstemp(dir=store.root, suffix=".part")
        self.file = os.fdopen(handle, "wb")
        self.temporary: Path | None = Path(name)

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.max_bytes is not None and self.size > self.max_bytes:
            raise PayloadTooLarge(f"The file is larger than {self.max_bytes:,} bytes.")
        if len(self.head) < 16:
            self.head += chunk[: 16 - len(self.head)]
        self.digest.update(chunk)
        self.file.write(chunk)

    def screen(self, intake: Intake) -> None:
        """Scan what was written so far (malware 422, scanner down 503)."""
        self.file.flush()
        assert self.temporary is not None
        with self.temporary.open("rb") as written:
            screen(intake, iter(lambda: written.read(CHUNK), b""))

    def finish(self, *, allowed_types: Iterable[str] | None = None) -> StoredFile:
        media_type = sniff_type(self.head)
        if allowed_types is not None and media_type not in set(allowed_types):
            raise UnsupportedMediaType(
                "The file is not of an accepted type (" + ", ".join(allowed_types) + ")."
            )
        self.file.close()
        digest = self.digest.hexdigest()
        target = self.store.path(digest)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            assert self.temporary is not None
            self.temporary.chmod(0o600)
            self.temporary.replace(target)
            self.temporary = None
        return StoredFile(sha256=digest, size=self.size, media_type=media_type)

    def discard(self) -> None:
        if not self.file.closed:
            self.file.close()
        if self.temporary is not None:
            self.temporary.unlink(missing_ok=True)
            self.temporary = None


def file_store(settings: Settings, area: str) -> FileStore:
    """The store of one domain's files (`area`, e.g. "dossiers") under the data directory."""
    return FileStore(settings.data_dir / "files" / area)

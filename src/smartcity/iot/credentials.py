"""Device credentials: random passwords, a fast hash for HTTP checks, a Mosquitto password-file hash."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

MOSQUITTO_ITERATIONS = 20_000


def new_password() -> str:
    """A random device password (192 bits)."""
    return secrets.token_urlsafe(24)


def hash_password(password: str) -> str:
    """SHA-256 of a high-entropy random password (a slow hash adds nothing for 192 random bits)."""
    return "sha256$" + hashlib.sha256(password.encode()).hexdigest()


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches the stored hash (constant-time)."""
    return hmac.compare_digest(hash_password(password), stored)


def mosquitto_hash(password: str, *, iterations: int = MOSQUITTO_ITERATIONS) -> str:
    """The password in Mosquitto 2's password-file format ($7$: PBKDF2-SHA512)."""
    salt = os.urandom(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def write_private(path: Path, text: str) -> None:
    """Write a secret file readable by its owner only (0600 from creation, also when it existed)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)

"""Personal-data protection: AES-GCM encryption at rest, keyed hashes for lookup, masking."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = b"v1"


def _derive(secret: str, purpose: bytes) -> bytes:
    return hmac.new(secret.encode(), b"smartcity:" + purpose, hashlib.sha256).digest()


def encrypt_personal(secret: str, plaintext: str) -> str:
    """Encrypt a personal value; the result is printable and carries its own nonce."""
    nonce = os.urandom(12)
    sealed = AESGCM(_derive(secret, b"personal-data")).encrypt(nonce, plaintext.encode(), _VERSION)
    return _VERSION.decode() + ":" + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt_personal(secret: str, token: str) -> str:
    """Decrypt a value made by `encrypt_personal`; raises if it was altered."""
    version, _, body = token.partition(":")
    if version.encode() != _VERSION:
        raise ValueError("unknown personal-data encryption version")
    raw = base64.urlsafe_b64decode(body)
    return AESGCM(_derive(secret, b"personal-data")).decrypt(raw[:12], raw[12:], _VERSION).decode()


def blind_index(secret: str, value: str) -> str:
    """A keyed hash of a normalised value, to find records by it without storing it in clear."""
    normalised = "".join(value.split()).upper()
    return hmac.new(_derive(secret, b"blind-index"), normalised.encode(), hashlib.sha256).hexdigest()


def mask(value: str, *, keep_start: int = 0, keep_end: int = 3) -> str:
    """Replace all but the first/last characters with '*' (e.g. a citizen ID in a list)."""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[len(value) - keep_end :]

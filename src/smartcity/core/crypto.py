"""Personal-data protection: AES-GCM encryption at rest, keyed hashes for lookup, masking.

Every ciphertext starts with the id of the key that sealed it ("v1:…", "k2:…"). Key "v1" is derived
from the platform's secret key; later keys come from a key-ring file outside the database (written by
`smartcity keys rotate`), so that old and new ciphertexts are both readable while data is re-encrypted.
Blind indexes (keyed hashes for exact lookup) stay keyed by the secret key: they are one-way and a key
rotation does not change them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Select, func, select
from sqlalchemy.orm import InstrumentedAttribute

from smartcity.core.secret_files import read_secret_file
from smartcity.core.text import search_terms

LEGACY_KEY_ID = "v1"
SEALED = {"sealed": True}  # `info` of a column holding `encrypt_personal` values (re-encrypted on rotation)


def _derive(secret: str, purpose: bytes) -> bytes:
    return hmac.new(secret.encode(), b"smartcity:" + purpose, hashlib.sha256).digest()


@dataclass(frozen=True)
class KeyRing:
    """The keys that seal personal data: the secret (blind indexes, key "v1") and the ring's own keys."""

    secret: str
    primary: str = LEGACY_KEY_ID
    keys: dict[str, bytes] = field(default_factory=dict)
    retired: frozenset[str] = frozenset()

    def key(self, key_id: str) -> bytes:
        """The AES key of `key_id`; raises if the ring does not hold it (any more)."""
        if key_id in self.retired:
            raise ValueError(f"personal-data key {key_id} is retired")
        if key_id == LEGACY_KEY_ID:
            return _derive(self.secret, b"personal-data")
        if key_id not in self.keys:
            raise ValueError(f"unknown personal-data key {key_id}")
        return self.keys[key_id]

    def with_new_primary(self) -> KeyRing:
        """A copy of the ring with a fresh random key (the next id) as the primary one."""
        numbers = [int(k[1:]) for k in self.keys if k[1:].isdigit()]
        key_id = f"k{max([1, *numbers]) + 1}"
        return KeyRing(self.secret, key_id, {**self.keys, key_id: AESGCM.generate_key(256)}, self.retired)

    def retiring_all_but_primary(self) -> KeyRing:
        """A copy of the ring that keeps only the primary key (after every value was re-encrypted)."""
        old = {LEGACY_KEY_ID, *self.keys} - {self.primary}
        return KeyRing(self.secret, self.primary, {self.primary: self.keys[self.primary]}, frozenset(old))


Keys = str | KeyRing


def _ring(keys: Keys) -> KeyRing:
    return keys if isinstance(keys, KeyRing) else KeyRing(keys)


def key_id_of(token: str) -> str:
    """The id of the key that sealed a value made by `encrypt_personal`."""
    return token.partition(":")[0]


def encrypt_personal(keys: Keys, plaintext: str) -> str:
    """Encrypt a personal value with the ring's primary key; printable, carries its key id and nonce."""
    ring = _ring(keys)
    nonce = os.urandom(12)
    sealed = AESGCM(ring.key(ring.primary)).encrypt(nonce, plaintext.encode(), ring.primary.encode())
    return ring.primary + ":" + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt_personal(keys: Keys, token: str) -> str:
    """Decrypt a value made by `encrypt_personal` under any key of the ring; raises if it was altered."""
    key_id, _, body = token.partition(":")
    raw = base64.urlsafe_b64decode(body)
    return AESGCM(_ring(keys).key(key_id)).decrypt(raw[:12], raw[12:], key_id.encode()).decode()


def decrypt_optional(keys: Keys, token: str | None) -> str | None:
    """`decrypt_personal` of a nullable column (None stays None)."""
    return decrypt_personal(keys, token) if token else None


def encrypt_optional(keys: Keys, value: str | None) -> str | None:
    """`encrypt_personal` of an optional value (None or "" stays None)."""
    return encrypt_personal(keys, value) if value else None


def blind_index(keys: Keys, value: str) -> str:
    """A keyed hash of a normalised value, to find records by it without storing it in clear."""
    normalised = "".join(value.split()).upper()
    index_key = _derive(_ring(keys).secret, b"blind-index")
    return hmac.new(index_key, normalised.encode(), hashlib.sha256).hexdigest()


def email_index(keys: Keys, email: str) -> str:
    """The keyed hash of an e-mail address (trimmed, lower case): lookup and uniqueness, never in clear."""
    return blind_index(keys, email.strip().lower())


MIN_PREFIX = 2  # the shortest word prefix a name search can use (one-letter words match whole)


def _term_hash(key: bytes, term: str) -> str:
    return hmac.new(key, term.encode(), hashlib.sha256).hexdigest()


def name_term_indexes(keys: Keys, name: str) -> set[str]:
    """Keyed hashes of each word of a name (lower case, diacritics folded) and of its prefixes of two
    letters or more: the blind index by which staff find "Nguyễn Văn An" with "nguyen va" (as CipherSweet)."""
    key = _derive(_ring(keys).secret, b"name-term")
    terms = {word[:length] for word in search_terms(name) for length in range(MIN_PREFIX, len(word) + 1)}
    terms |= set(search_terms(name))
    return {_term_hash(key, term) for term in terms}


def query_term_indexes(keys: Keys, query: str) -> set[str]:
    """The keyed hashes a name search looks for: one per word of the query (every one must match a word's
    beginning; a one-letter word only a one-letter word)."""
    key = _derive(_ring(keys).secret, b"name-term")
    return {_term_hash(key, word) for word in search_terms(query)}


def owners_named(
    keys: Keys, query: str, *, owner: InstrumentedAttribute[int], term: InstrumentedAttribute[str]
) -> Select[int] | None:
    """The owners (e.g. users) whose name has, for every word of the query, a word beginning with it, from a
    table of `name_term_indexes` rows (owner, term); None when the query has no word."""
    terms = query_term_indexes(keys, query)
    if not terms:
        return None
    return select(owner).where(term.in_(sorted(terms))).group_by(owner).having(func.count(term) == len(terms))


def mask_name(value: str) -> str:
    """A name masked word by word, keeping first letters ("Đỗ Thị Lan" → "Đ* T** L**")."""
    return " ".join(mask(word, keep_start=1, keep_end=0) for word in value.split())


def mask_email(value: str) -> str:
    """An e-mail address masked but for its first two and last six characters."""
    return mask(value, keep_start=2, keep_end=6)


def load_key_ring(secret: str, path: Path) -> KeyRing:
    """The key ring kept in `path` (JSON), or only the secret-derived key when there is no such file."""
    if not path.exists():
        return KeyRing(secret)
    data = json.loads(read_secret_file(path, "the personal-data key ring (SMARTCITY_PERSONAL_KEYS_FILE)"))
    keys = {k: base64.urlsafe_b64decode(v) for k, v in data.get("keys", {}).items()}
    return KeyRing(secret, data["primary"], keys, frozenset(data.get("retired", [])))


def save_key_ring(ring: KeyRing, path: Path) -> None:
    """Write the ring's keys (never the secret) to `path`, owner-only, replacing it in one step."""
    body = {
        "primary": ring.primary,
        "keys": {k: base64.urlsafe_b64encode(v).decode() for k, v in ring.keys.items()},
        "retired": sorted(ring.retired),
    }
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(path.name + ".new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(body, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def mask(value: str, *, keep_start: int = 0, keep_end: int = 3) -> str:
    """Replace all but the first/last characters with '*' (e.g. a citizen ID in a list)."""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[len(value) - keep_end :]

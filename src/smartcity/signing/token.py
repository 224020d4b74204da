"""A PKCS#11 token (python-pkcs11): sessions, RSA key pairs held on the token, certificates written to it.

The module, token label and user PIN come from SigningSettings (SMARTCITY_PKCS11_*). The PIN is passed to
the token and nowhere else: errors name the token and the key label, never the PIN. Every session is
closed when its `with` block ends. Private keys are generated sensitive and not extractable.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from smartcity.core.errors import Conflict
from smartcity.signing.config import SigningSettings
from smartcity.signing.errors import TokenKeyMissing, TokenUnavailable

if TYPE_CHECKING:
    from pkcs11 import Session

log = logging.getLogger(__name__)
LOCK_TIMEOUT_SECONDS = 30
_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


@dataclass(frozen=True)
class TokenKey:
    """An RSA key pair on a token: where it is and its public half."""

    token_label: str
    key_label: str
    public_key: rsa.RSAPublicKey


def _library(settings: SigningSettings) -> Any:
    if settings.pkcs11_module is None:
        raise TokenUnavailable("No PKCS#11 module is configured (SMARTCITY_PKCS11_MODULE)")
    try:
        import pkcs11
    except ImportError as exc:
        raise TokenUnavailable("python-pkcs11 is not installed (pip install 'smartcity[pkcs11]')") from exc
    try:
        return pkcs11.lib(str(settings.pkcs11_module))
    except (OSError, RuntimeError, pkcs11.PKCS11Error) as exc:
        raise TokenUnavailable(f"The PKCS#11 module {settings.pkcs11_module} cannot be loaded") from exc


def token_label_of(settings: SigningSettings, token_label: str | None) -> str:
    """The label asked for, else the configured one (SMARTCITY_PKCS11_TOKEN_LABEL)."""
    label = token_label or settings.pkcs11_token_label
    if not label:
        raise TokenUnavailable("No token label is given or configured (SMARTCITY_PKCS11_TOKEN_LABEL)")
    return label


def _token_lock(module: str, label: str) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault((module, label), threading.Lock())


@contextmanager
def open_session(
    settings: SigningSettings, token_label: str | None = None, *, read_write: bool = False
) -> Iterator[Session]:
    """A logged-in session on the token, closed on exit; token errors become TokenUnavailable.

    One session per token at a time in this process: PKCS#11 login state belongs to the process, so a
    second login fails and closing any session logs all of them out.
    """
    lib = _library(settings)
    import pkcs11

    label = token_label_of(settings, token_label)
    if settings.pkcs11_user_pin is None:
        raise TokenUnavailable("No PIN is configured for the token (SMARTCITY_PKCS11_USER_PIN)")
    lock = _token_lock(str(settings.pkcs11_module), label)
    if not lock.acquire(timeout=LOCK_TIMEOUT_SECONDS):
        raise TokenUnavailable(f"The token {label!r} stayed busy for {LOCK_TIMEOUT_SECONDS} seconds")
    try:
        try:
            session = lib.get_token(token_label=label).open(rw=read_write, user_pin=settings.pkcs11_user_pin)
        except pkcs11.NoSuchToken as exc:
            raise TokenUnavailable(f"No token labelled {label!r} is present") from exc
        except (pkcs11.PinIncorrect, pkcs11.PinLenRange, pkcs11.PinInvalid) as exc:
            raise TokenUnavailable(f"The token {label!r} refused the configured PIN") from exc
        except pkcs11.PinLocked as exc:
            raise TokenUnavailable(f"The PIN of token {label!r} is locked") from exc
        except pkcs11.PKCS11Error as exc:
            raise TokenUnavailable(f"The token {label!r} cannot be opened ({type(exc).__name__})") from exc
        try:
            yield session
        except pkcs11.PKCS11Error as exc:
            raise TokenUnavailable(f"The token {label!r} failed ({type(exc).__name__})") from exc
        finally:
            _close(session, label)
    finally:
        lock.release()


def _close(session: Session, label: str) -> None:
    """Close (and log out); a token that fails here must not hide the outcome of the work done."""
    import pkcs11

    try:
        session.close()
    except pkcs11.PKCS11Error as exc:
        log.warning("closing the session on token %r failed: %s", label, type(exc).__name__)


def _find(session: Session, object_class: Any, key_label: str) -> Any | None:
    import pkcs11

    try:
        return session.get_key(object_class=object_class, key_type=pkcs11.KeyType.RSA, label=key_label)
    except pkcs11.NoSuchKey:
        return None
    except pkcs11.MultipleObjectsReturned as exc:
        raise Conflict(f"More than one RSA key is labelled {key_label!r} on the token") from exc


def _public_key(public: Any) -> rsa.RSAPublicKey:
    from pkcs11 import Attribute

    return rsa.RSAPublicNumbers(
        int.from_bytes(public[Attribute.PUBLIC_EXPONENT], "big"),
        int.from_bytes(public[Attribute.MODULUS], "big"),
    ).public_key()


def generate_key(session: Session, *, token_label: str, key_label: str, bits: int) -> TokenKey:
    """Generate an RSA key pair on the token: the private half sensitive, not extractable, sign only."""
    from pkcs11 import Attribute, KeyType, ObjectClass

    if _find(session, ObjectClass.PRIVATE_KEY, key_label) is not None:
        raise Conflict(f"A key labelled {key_label!r} is already on the token: use it or choose another")
    public, _private = session.generate_keypair(
        KeyType.RSA,
        bits,
        id=os.urandom(16),
        label=key_label,
        store=True,
        public_template={Attribute.VERIFY: True, Attribute.ENCRYPT: False, Attribute.WRAP: False},
        private_template={
            Attribute.SENSITIVE: True,
            Attribute.EXTRACTABLE: False,
            Attribute.SIGN: True,
            Attribute.DECRYPT: False,
            Attribute.UNWRAP: False,
            Attribute.PRIVATE: True,
        },
    )
    return TokenKey(token_label=token_label, key_label=key_label, public_key=_public_key(public))


def find_key(session: Session, *, token_label: str, key_label: str) -> TokenKey:
    """An existing key pair on the token by label (both halves must be there)."""
    from pkcs11 import ObjectClass

    private = _find(session, ObjectClass.PRIVATE_KEY, key_label)
    public = _find(session, ObjectClass.PUBLIC_KEY, key_label)
    if private is None or public is None:
        raise TokenKeyMissing(f"No RSA key pair labelled {key_label!r} is on token {token_label!r}")
    return TokenKey(token_label=token_label, key_label=key_label, public_key=_public_key(public))


def write_certificate(session: Session, cert: x509.Certificate, *, key_label: str) -> None:
    """Store the certificate on the token beside its key (same label and CKA_ID)."""
    from pkcs11 import Attribute, ObjectClass
    from pkcs11.util.x509 import decode_x509_certificate

    private = _find(session, ObjectClass.PRIVATE_KEY, key_label)
    attributes = decode_x509_certificate(cert.public_bytes(serialization.Encoding.DER))
    attributes.update({Attribute.TOKEN: True, Attribute.LABEL: key_label})
    if private is not None:
        attributes[Attribute.ID] = private.id
    session.create_object(attributes)

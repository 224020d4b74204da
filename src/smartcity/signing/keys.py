"""Private keys: sealed at rest with AES-GCM, and the signer providers that use them (software, PKCS#11).

A software key is stored as PKCS#8 DER encrypted with AES-256-GCM under a key derived from the platform
secret (SMARTCITY_SECRET_KEY); the associated data binds it to its public-key hash, so a sealed blob cannot
be swapped between rows. Keys never leave this module in clear except to sign in memory.

A hardware token is used through PKCS#11 (python-pkcs11, as pyHanko does): set SMARTCITY_PKCS11_MODULE
(e.g. /usr/lib/softhsm/libsofthsm2.so), SMARTCITY_PKCS11_TOKEN_LABEL and SMARTCITY_PKCS11_USER_PIN,
install the `pkcs11` extra, and issue the official's certificate for a key on the token
(`smartcity pki issue --user U --pkcs11 --generate`, see signing.token): the row then has provider
"pkcs11", the token and key labels and no sealed blob. Tests sign with such keys on a SoftHSM2 token.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from smartcity.core.errors import Conflict
from smartcity.signing import token
from smartcity.signing.config import SigningSettings
from smartcity.signing.errors import TokenKeyMissing
from smartcity.signing.models import StoredKey
from smartcity.signing.pki import public_key_sha256

_VERSION = b"k1"


def _sealing_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"smartcity:signing-private-keys", hashlib.sha256).digest()


def seal_private_key(secret: str, key: rsa.RSAPrivateKey, public_hash: str) -> bytes:
    """PKCS#8 DER of `key`, encrypted with AES-GCM; the result carries version and nonce."""
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    nonce = os.urandom(12)
    return _VERSION + nonce + AESGCM(_sealing_key(secret)).encrypt(nonce, der, public_hash.encode())


def unseal_private_key(secret: str, sealed: bytes, public_hash: str) -> rsa.RSAPrivateKey:
    """The key sealed by `seal_private_key`; raises if the blob was altered or the secret differs."""
    if sealed[:2] != _VERSION:
        raise ValueError("unknown sealed-key version")
    der = AESGCM(_sealing_key(secret)).decrypt(sealed[2:14], sealed[14:], public_hash.encode())
    # AES-GCM has just proved these are the bytes this module sealed from a key it made, so the RSA
    # consistency check (about 35 ms a key, on every signature, CRL and time-stamp) would prove nothing more.
    key = serialization.load_der_private_key(der, password=None, unsafe_skip_rsa_key_validation=True)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("only RSA keys are supported")
    return key


def software_key(stored: StoredKey, secret: str) -> rsa.RSAPrivateKey:
    """Unseal a software key row."""
    if stored.provider != "software" or stored.sealed is None:
        raise Conflict("This key is not held in software")
    return unseal_private_key(secret, stored.sealed, stored.public_key_sha256)


def to_asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    """The same certificate as an asn1crypto object (pyHanko's currency)."""
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def to_asn1_key(key: rsa.RSAPrivateKey) -> asn1_keys.PrivateKeyInfo:
    """The private key as an asn1crypto PrivateKeyInfo, for pyHanko's in-memory signer."""
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return asn1_keys.PrivateKeyInfo.load(der)


class SignerProvider(Protocol):
    """Lends a pyHanko Signer for a certificate whose key this provider holds, for one signature."""

    def signing(
        self, stored: StoredKey, cert: x509.Certificate, chain: list[x509.Certificate]
    ) -> AbstractContextManager[signers.Signer]:
        """A pyHanko signer using the key of `stored`, usable inside the `with` block only."""
        ...


class SoftwareSignerProvider:
    """Keys sealed in the database, unsealed in memory for the duration of one signature."""

    def __init__(self, secret: str) -> None:
        self._secret = secret

    def signer_for(
        self, stored: StoredKey, cert: x509.Certificate, chain: list[x509.Certificate]
    ) -> signers.Signer:
        """An in-memory pyHanko signer."""
        key = software_key(stored, self._secret)
        return signers.SimpleSigner(
            signing_cert=to_asn1_cert(cert),
            signing_key=to_asn1_key(key),
            cert_registry=SimpleCertificateStore.from_certs([to_asn1_cert(c) for c in chain]),
        )

    @contextmanager
    def signing(
        self, stored: StoredKey, cert: x509.Certificate, chain: list[x509.Certificate]
    ) -> Iterator[signers.Signer]:
        """The in-memory signer (nothing to close)."""
        yield self.signer_for(stored, cert, chain)


class Pkcs11SignerProvider:
    """Keys on a PKCS#11 token (python-pkcs11), configured by SigningSettings; one session per signature."""

    def __init__(self, settings: SigningSettings) -> None:
        self._settings = settings

    @contextmanager
    def signing(
        self, stored: StoredKey, cert: x509.Certificate, chain: list[x509.Certificate]
    ) -> Iterator[signers.Signer]:
        """A pyHanko PKCS11Signer on a session of the key's token, closed when the block ends.

        The key pair on the token must be the certificate's: a key replaced under the same label is
        refused here rather than producing signatures that do not verify.
        """
        from pyhanko.sign import pkcs11

        if stored.provider != "pkcs11" or not stored.key_label:
            raise Conflict("This key is not held on a PKCS#11 token")
        with token.open_session(self._settings, stored.token_label) as session:
            label = token.token_label_of(self._settings, stored.token_label)
            held = token.find_key(session, token_label=label, key_label=stored.key_label)
            if public_key_sha256(held.public_key) != stored.public_key_sha256:
                raise TokenKeyMissing(
                    f"The key labelled {stored.key_label!r} on the token is not the certificate's key"
                )
            yield pkcs11.PKCS11Signer(
                session,
                key_label=stored.key_label,
                signing_cert=to_asn1_cert(cert),
                other_certs_to_pull=(),
                ca_chain=[to_asn1_cert(c) for c in chain],
            )


def provider_for(stored: StoredKey, *, secret: str, settings: SigningSettings) -> SignerProvider:
    """The provider that holds this key."""
    if stored.provider == "pkcs11":
        return Pkcs11SignerProvider(settings)
    return SoftwareSignerProvider(secret)

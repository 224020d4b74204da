"""Certificate, CRL and OCSP building blocks on `cryptography`; no database, no state."""

from __future__ import annotations

import hashlib
import ipaddress
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from smartcity.core.db import utcnow

CLOCK_SKEW = timedelta(minutes=5)
CRL_LIFETIME = timedelta(days=7)
OCSP_LIFETIME = timedelta(hours=12)

REASONS = {
    "unspecified": x509.ReasonFlags.unspecified,
    "key_compromise": x509.ReasonFlags.key_compromise,
    "ca_compromise": x509.ReasonFlags.ca_compromise,
    "affiliation_changed": x509.ReasonFlags.affiliation_changed,
    "superseded": x509.ReasonFlags.superseded,
    "cessation_of_operation": x509.ReasonFlags.cessation_of_operation,
    "certificate_hold": x509.ReasonFlags.certificate_hold,
    "privilege_withdrawn": x509.ReasonFlags.privilege_withdrawn,
}


@dataclass(frozen=True)
class Endpoints:
    """Public URLs written into certificates issued by one CA."""

    ocsp_url: str
    crl_url: str
    ca_issuers_url: str

    @classmethod
    def for_ca(cls, base_url: str, ca_slug: str) -> Endpoints:
        """The URLs under /api/v1/signing for the CA named `ca_slug`."""
        root = base_url.rstrip("/") + "/api/v1/signing"
        return cls(
            ocsp_url=f"{root}/ocsp",
            crl_url=f"{root}/crl/{ca_slug}.crl",
            ca_issuers_url=f"{root}/ca/{ca_slug}.crt",
        )


@dataclass(frozen=True)
class SubjectInfo:
    """What goes into a certificate subject."""

    common_name: str
    organisation: str
    locality: str
    org_unit: str | None = None
    user_id: str | None = None
    serial_number: str | None = None

    def to_name(self) -> x509.Name:
        """The X.509 name (UTF-8 strings, country VN; each value cut to the 64 characters X.520 allows)."""
        values = [
            (NameOID.COUNTRY_NAME, "VN"),
            (NameOID.LOCALITY_NAME, self.locality),
            (NameOID.ORGANIZATION_NAME, self.organisation),
            (NameOID.ORGANIZATIONAL_UNIT_NAME, self.org_unit),
            (NameOID.USER_ID, self.user_id),
            (NameOID.SERIAL_NUMBER, self.serial_number),
            (NameOID.COMMON_NAME, self.common_name),
        ]
        return x509.Name([x509.NameAttribute(oid, value[:64]) for oid, value in values if value])


def new_rsa_key(bits: int) -> rsa.RSAPrivateKey:
    """A fresh RSA key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def server_alt_names(dns_names: list[str], ip_addresses: list[str]) -> list[x509.GeneralName]:
    """SubjectAltName entries of a TLS server: DNS names and IP addresses (ValueError on a bad address)."""
    names: list[x509.GeneralName] = [x509.DNSName(name) for name in dns_names]
    return names + [x509.IPAddress(ipaddress.ip_address(address)) for address in ip_addresses]


def private_key_pem(key: rsa.RSAPrivateKey) -> bytes:
    """The key as unencrypted PKCS#8 PEM, for a file only its service reads."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def new_serial() -> int:
    """A random 159-bit positive serial number (RFC 5280 allows up to 20 octets)."""
    return int.from_bytes(os.urandom(20), "big") >> 1


def serial_hex(serial: int) -> str:
    """The canonical text form of a serial: lower-case hex without leading zeros."""
    return format(serial, "x")


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 fingerprint in hex."""
    return cert.fingerprint(hashes.SHA256()).hex()


def public_key_sha256(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> str:
    """SHA-256 over the DER SubjectPublicKeyInfo, identifying a key without revealing it."""
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def _key_usage(*, ca: bool, signing: bool, encipherment: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=signing,
        key_encipherment=encipherment,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _profile_extensions(kind: str) -> list[tuple[x509.ExtensionType, bool]]:
    if kind in ("root-ca", "issuing-ca"):
        path_length = None if kind == "root-ca" else 0
        return [
            (x509.BasicConstraints(ca=True, path_length=path_length), True),
            (_key_usage(ca=True, signing=False), True),
        ]
    extensions: list[tuple[x509.ExtensionType, bool]] = [
        (x509.BasicConstraints(ca=False, path_length=None), True)
    ]
    if kind == "tsa":
        extensions.append((_key_usage(ca=False, signing=False), True))
        extensions.append((x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True))
    elif kind == "device":
        extensions.append((_key_usage(ca=False, signing=False), True))
        extensions.append((x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False))
    elif kind == "server":  # a TLS server (the MQTT broker): RSA key exchange needs keyEncipherment
        extensions.append((_key_usage(ca=False, signing=False, encipherment=True), True))
        extensions.append((x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False))
    else:  # official, organisation: document signing
        extensions.append((_key_usage(ca=False, signing=True), True))
        extensions.append(
            (
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.EMAIL_PROTECTION, x509.ObjectIdentifier("1.3.6.1.4.1.311.10.3.12")]
                ),
                False,
            )
        )
    return extensions


def _endpoint_extensions(endpoints: Endpoints) -> list[tuple[x509.ExtensionType, bool]]:
    aia = x509.AuthorityInformationAccess(
        [
            x509.AccessDescription(
                x509.oid.AuthorityInformationAccessOID.OCSP,
                x509.UniformResourceIdentifier(endpoints.ocsp_url),
            ),
            x509.AccessDescription(
                x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier(endpoints.ca_issuers_url),
            ),
        ]
    )
    crldp = x509.CRLDistributionPoints(
        [
            x509.DistributionPoint(
                full_name=[x509.UniformResourceIdentifier(endpoints.crl_url)],
                relative_name=None,
                reasons=None,
                crl_issuer=None,
            )
        ]
    )
    return [(aia, False), (crldp, False)]


def build_certificate(
    *,
    kind: str,
    subject: SubjectInfo,
    public_key: rsa.RSAPublicKey,
    issuer: x509.Certificate | None,
    issuer_key: rsa.RSAPrivateKey,
    lifetime: timedelta,
    endpoints: Endpoints | None = None,
    now: datetime | None = None,
    alt_names: list[x509.GeneralName] | None = None,
) -> x509.Certificate:
    """Issue a certificate of `kind` (self-signed when `issuer` is None), signed with SHA-256."""
    now = now or utcnow()
    name = subject.to_name()
    not_after = now + lifetime
    if issuer is not None:
        not_after = min(not_after, issuer.not_valid_after_utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer is not None else name)
        .public_key(public_key)
        .serial_number(new_serial())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    authority_public = issuer_key.public_key()
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(authority_public), critical=False
    )
    extensions = _profile_extensions(kind)
    if endpoints is not None:
        extensions += _endpoint_extensions(endpoints)
    if alt_names:
        extensions.append((x509.SubjectAlternativeName(alt_names), False))
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass(frozen=True)
class RevokedEntry:
    """A revoked certificate as listed in a CRL or answered by OCSP."""

    serial: int
    revoked_at: datetime
    reason: str | None


def build_crl(
    *,
    ca_cert: x509.Certificate,
    ca_key: rsa.RSAPrivateKey,
    revoked: list[RevokedEntry],
    crl_number: int,
    now: datetime | None = None,
) -> x509.CertificateRevocationList:
    """A CRL of the CA, valid for CRL_LIFETIME."""
    now = now or utcnow()
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(now)
        .next_update(now + CRL_LIFETIME)
        .add_extension(x509.CRLNumber(crl_number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    )
    for entry in revoked:
        item = x509.RevokedCertificateBuilder().serial_number(entry.serial).revocation_date(entry.revoked_at)
        if entry.reason and entry.reason != "unspecified":
            item = item.add_extension(x509.CRLReason(REASONS[entry.reason]), critical=False)
        builder = builder.add_revoked_certificate(item.build())
    return builder.sign(ca_key, hashes.SHA256())


def issuer_key_hash(ca_cert: x509.Certificate, algorithm: hashes.HashAlgorithm) -> bytes:
    """The hash of the CA's public key bits as OCSP CertIDs carry it."""
    spki = ca_cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    from asn1crypto import keys as asn1_keys

    bits = asn1_keys.PublicKeyInfo.load(spki)["public_key"].contents[1:]  # drop the unused-bits octet
    digest = hashes.Hash(algorithm)
    digest.update(bits)
    return digest.finalize()


@dataclass(frozen=True)
class OcspAnswer:
    """What the responder knows about one serial: its certificate and, if revoked, when and why."""

    cert: x509.Certificate
    revoked: RevokedEntry | None


OcspLookup = Callable[[x509.Certificate, int], OcspAnswer | None]


def build_ocsp_response(
    request_der: bytes,
    cas: list[tuple[x509.Certificate, rsa.RSAPrivateKey]],
    lookup: OcspLookup,
    now: datetime | None = None,
) -> bytes:
    """Answer a DER OCSP request (RFC 6960): good/revoked/unknown, signed by the issuing CA itself."""
    try:
        request = ocsp.load_der_ocsp_request(request_der)
        algorithm = request.hash_algorithm
        key_hash = request.issuer_key_hash
        serial = request.serial_number
    except Exception:  # any parse failure is a malformed request, answered as such
        return _ocsp_error(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
    for ca_cert, ca_key in cas:
        if issuer_key_hash(ca_cert, algorithm) == key_hash:
            return _ocsp_answer(request, ca_cert, ca_key, lookup(ca_cert, serial), now or utcnow())
    return _ocsp_error(ocsp.OCSPResponseStatus.UNAUTHORIZED)


def _ocsp_error(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(serialization.Encoding.DER)


def _ocsp_answer(
    request: ocsp.OCSPRequest,
    ca_cert: x509.Certificate,
    ca_key: rsa.RSAPrivateKey,
    answer: OcspAnswer | None,
    now: datetime,
) -> bytes:
    builder = ocsp.OCSPResponseBuilder()
    if answer is None:
        builder = builder.add_response_by_hash(
            issuer_name_hash=request.issuer_name_hash,
            issuer_key_hash=request.issuer_key_hash,
            serial_number=request.serial_number,
            algorithm=request.hash_algorithm,
            cert_status=ocsp.OCSPCertStatus.UNKNOWN,
            this_update=now,
            next_update=now + OCSP_LIFETIME,
            revocation_time=None,
            revocation_reason=None,
        )
    else:
        revoked = answer.revoked
        builder = builder.add_response(
            cert=answer.cert,
            issuer=ca_cert,
            algorithm=request.hash_algorithm,
            cert_status=ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD,
            this_update=now,
            next_update=now + OCSP_LIFETIME,
            revocation_time=revoked.revoked_at if revoked else None,
            revocation_reason=REASONS.get(revoked.reason or "") if revoked and revoked.reason else None,
        )
    builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, ca_cert).certificates([ca_cert])
    for extension in request.extensions:
        if isinstance(extension.value, x509.OCSPNonce):
            builder = builder.add_extension(extension.value, critical=False)
    return builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def ocsp_request_for(cert: x509.Certificate, issuer: x509.Certificate) -> bytes:
    """A DER OCSP request for `cert` (SHA-1 CertID, as most clients send)."""
    builder = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1())  # noqa: S303
    return builder.build().public_bytes(serialization.Encoding.DER)

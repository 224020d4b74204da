"""Errors of the signing domain, each a problem type of its own."""

from __future__ import annotations

from smartcity.core.errors import Conflict, ServiceUnavailable, UnsupportedMediaType, ValidationFailed


class NotAPdf(UnsupportedMediaType):
    """The upload is not a PDF file."""

    slug, title = "not-a-pdf", "Not a PDF"


class EncryptedPdf(ValidationFailed):
    """The PDF is encrypted; it cannot be signed or checked without its password."""

    slug, title = "encrypted-pdf", "Encrypted PDF"


class PkiNotInitialised(Conflict):
    """The city CAs do not exist yet (`smartcity pki init`)."""

    slug, title = "pki-not-initialised", "PKI not initialised"


class CertificateNotUsable(Conflict):
    """The certificate is revoked or expired: it cannot sign."""

    slug, title = "certificate-not-usable", "Certificate cannot sign"


class DocumentNotSignable(Conflict):
    """The document's state forbids another signature (e.g. a certification that locks it)."""

    slug, title = "document-not-signable", "Document cannot be signed"


class TokenUnavailable(ServiceUnavailable):
    """The PKCS#11 token cannot be used: not configured, not present, or it refused the PIN."""

    slug, title = "signing-token-unavailable", "Signing token unavailable"


class TokenKeyMissing(Conflict):
    """The key a certificate names is not on the token (or is not the certificate's key)."""

    slug, title = "token-key-missing", "Key not on the token"

"""The provider's inbound TLS certificates and the TLSA data they give (RFC 7671 ``3 1 1``):
pure functions; registering keys and rolling them over is ``domains.inbound_keys``."""

from __future__ import annotations

import hashlib

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


class InvalidCertificate(ValueError):
    """The PEM text is not one X.509 certificate."""


def spki_sha256(certificate: x509.Certificate) -> str:
    """SHA-256 of the certificate's SubjectPublicKeyInfo (TLSA selector 1, matching type 1)."""
    spki = certificate.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest()


def parse_certificate(pem: str) -> x509.Certificate:
    """The certificate of a PEM text, or InvalidCertificate."""
    try:
        return x509.load_pem_x509_certificate(pem.encode())
    except ValueError as exc:
        raise InvalidCertificate(f"Not a PEM certificate: {exc}") from exc

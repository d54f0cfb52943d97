"""Certificates made at test time: CAs, intermediates and leaves with RSA, ECDSA or Ed25519 keys."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
    CertificatePublicKeyTypes,
)
from cryptography.x509.oid import NameOID

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
"""The time every verification in these tests runs at."""

VECTORS = Path(__file__).parent / "vectors"

KeyKind = Literal["ec", "rsa", "ed25519"]


def load_vector(name: str) -> Any:
    """A JSON vector file copied from the shared reference."""
    return json.loads((VECTORS / name).read_text())


def new_key(kind: KeyKind = "ec") -> CertificateIssuerPrivateKeyTypes:
    """A fresh private key."""
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1())


@dataclass(frozen=True)
class Issued:
    """A certificate and its private key."""

    certificate: x509.Certificate
    key: CertificateIssuerPrivateKeyTypes


def issue(
    common_name: str | None,
    *,
    issuer: Issued | None = None,
    key: CertificateIssuerPrivateKeyTypes | None = None,
    public_key: CertificatePublicKeyTypes | None = None,
    dns_names: tuple[str, ...] = (),
    ca: bool | None = False,
    path_length: int | None = None,
    cert_sign: bool = True,
    not_before: datetime = NOW - timedelta(days=30),
    not_after: datetime = NOW + timedelta(days=60),
    permitted_dns: tuple[str, ...] = (),
    unknown_critical_extension: bool = False,
) -> Issued:
    """A certificate for ``key`` (a new ECDSA key by default), self-signed without ``issuer``.

    ``public_key`` puts another subject key in the certificate (``key`` still signs it).
    ``ca=None`` leaves out basic constraints; ``cert_sign=False`` gives a CA a key usage
    without keyCertSign; ``permitted_dns`` adds DNS name constraints.
    """
    key = key or new_key()
    subject = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, common_name)] if common_name else []
    )
    signing_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer else subject)
        .public_key(public_key or key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if ca is not None:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), critical=True
        )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=cert_sign,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    if dns_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(name) for name in dns_names]),
            critical=False,
        )
    if permitted_dns:
        builder = builder.add_extension(
            x509.NameConstraints(
                permitted_subtrees=[x509.DNSName(name) for name in permitted_dns],
                excluded_subtrees=None,
            ),
            critical=True,
        )
    if unknown_critical_extension:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x05\x00"),
            critical=True,
        )
    hash_algorithm = None if isinstance(signing_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return Issued(builder.sign(signing_key, hash_algorithm), key)


def ca(common_name: str, **options: Any) -> Issued:
    """A CA certificate (self-signed unless ``issuer`` is given)."""
    return issue(common_name, ca=True, **options)


def leaf(issuer: Issued | None, *dns_names: str, **options: Any) -> Issued:
    """A server certificate naming ``dns_names`` (CN = the first of them)."""
    common_name = options.pop("common_name", dns_names[0] if dns_names else "server")
    return issue(common_name, issuer=issuer, dns_names=dns_names, **options)


@dataclass(frozen=True)
class Pki:
    """A root CA (RSA), an intermediate CA it issued (ECDSA), and a leaf for the MX host."""

    root: Issued
    intermediate: Issued
    leaf: Issued

    @property
    def chain(self) -> list[x509.Certificate]:
        """The chain as a well-behaved server sends it."""
        return [self.leaf.certificate, self.intermediate.certificate, self.root.certificate]


@cache
def standard_pki(mx_host: str = "mx1.example.com") -> Pki:
    """The usual three-level PKI, made once per test run."""
    root = ca("DANE Test Root", key=new_key("rsa"))
    intermediate = ca("DANE Test Intermediate", issuer=root, path_length=0)
    return Pki(root, intermediate, leaf(intermediate, mx_host))


@dataclass(frozen=True)
class MoxPki:
    """mox's DANE test PKI: a P-256 CA with path length 1 and leaves for ``localhost``."""

    ca: Issued
    leaf: Issued
    expired_leaf: Issued


@cache
def mox_pki() -> MoxPki:
    """The PKI of mox's DANE dialer test, made once per test run."""
    fake_ca = ca("fake ca", path_length=1)
    return MoxPki(
        fake_ca,
        leaf(fake_ca, "localhost"),
        leaf(fake_ca, "localhost", not_after=NOW - timedelta(days=1)),
    )

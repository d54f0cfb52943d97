"""Test data shared by the integration tests: verified domains, command URLs, inbound keys."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from dnsops.choices import InboundKeyState
from dnsops.models import InboundKey
from domains import migration, services
from domains.audit import Actor
from domains.inbound_keys import register_certificate
from domains.models import AcceptedDomain, Tenant
from domains.operators import provision_operator


def inbound_addresses(version: int) -> list[str]:
    """The provider's inbound addresses of one IP version (what an MX host's A/AAAA hold; the
    test stack's stack.env names one of each)."""
    addresses = [a for a in settings.DANE_INBOUND_ADDRESSES if (":" in a) == (version == 6)]
    assert addresses, f"DANE_INBOUND_ADDRESSES names no IPv{version} address"
    return addresses


def make_operator(username: str | None = None) -> tuple[User, str]:
    """An operator (staff, with the operator permission) and its password, made as
    ``manage.py createoperator`` makes one."""
    return provision_operator(username or f"operator-{uuid.uuid4().hex[:8]}", actor=Actor.cli())


def make_verified_domain(tenant: Tenant) -> str:
    """A fresh verified domain of ``tenant`` (test set-up: verification itself is tested
    against real DNS in tests/test_verification.py)."""
    name = f"d{uuid.uuid4().hex[:10]}.example"
    domain = services.add_domain(tenant, name, actor=Actor.cli())
    AcceptedDomain.objects.filter(pk=domain.pk).update(verified_at=timezone.now())
    migration.refresh_steps([domain.pk])  # as verification stores the step
    return name


def enable_url(name: str, feature: str, action: str = "enable") -> str:
    """``/api/v1/domains/<name>/<feature>/<action>/``."""
    return f"/api/v1/domains/{name}/{feature}/{action}/"


def self_signed_pem(common_name: str) -> str:
    """A new ECDSA P-256 self-signed certificate, PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=90))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def register_inbound_key(state: str) -> InboundKey:
    """Register a new inbound certificate in ``state``."""
    return register_certificate(
        self_signed_pem("mx.provider.test"),
        name=f"inbound-{uuid.uuid4().hex[:6]}",
        state=InboundKeyState(state),
        actor=Actor.cli(),
    )

"""The provider's inbound TLS keys and the TLSA records they give (RFC 7671 ``3 1 1``)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db import transaction

from dnsops.backends.base import DnsBackend, RRset
from dnsops.choices import PUBLISHED_KEY_STATES, InboundKeyState
from dnsops.models import InboundKey, Partition
from dnsops.provisioning import audit_partition_change, push_names, set_desired_rrsets
from domains.audit import Actor, record_audit_event
from domains.choices import AuditAction


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


def register_certificate(
    pem: str, *, name: str, state: InboundKeyState, actor: Actor, is_issuer: bool = False
) -> InboundKey:
    """Record an inbound certificate (or update the state of one already known).

    Domains with SMTP DANE enabled get the new TLSA set with ``republish_tlsa_records``.
    """
    certificate = parse_certificate(pem)
    with transaction.atomic():
        key, _ = InboundKey.objects.update_or_create(
            name=name,
            defaults={
                "certificate_pem": pem,
                "spki_sha256": spki_sha256(certificate),
                "is_issuer": is_issuer,
                "state": state,
                "not_after": certificate.not_valid_after_utc,
            },
        )
        record_audit_event(
            AuditAction.INBOUND_KEY_CHANGED,
            actor=actor,
            tenant=None,
            target_type="inbound_key",
            target_id=name,
            data={"state": state, "tlsa": key.tlsa_record},
        )
    return key


def register_certificates_from_settings() -> list[InboundKey]:
    """Import the PEM files of ``DANE_INBOUND_CERTS`` not yet known: the first becomes
    ``current`` when no key is, the others ``next``."""
    keys = []
    for path in settings.DANE_INBOUND_CERTS:
        if InboundKey.objects.filter(name=path).exists():
            continue
        state = (
            InboundKeyState.NEXT
            if InboundKey.objects.filter(state=InboundKeyState.CURRENT).exists()
            else InboundKeyState.CURRENT
        )
        pem = Path(path).read_text()
        keys.append(register_certificate(pem, name=path, state=state, actor=Actor.system()))
    return keys


def published_tlsa_records() -> tuple[str, ...]:
    """TLSA data for every key that is current or next (sorted, no duplicates)."""
    if not InboundKey.objects.exists():
        register_certificates_from_settings()
    return tuple(
        sorted(
            {key.tlsa_record for key in InboundKey.objects.filter(state__in=PUBLISHED_KEY_STATES)}
        )
    )


def _lock_dane_owners(partition: Partition) -> list[str]:
    """``_25._tcp.<MX host>`` of the partition's domains whose SMTP DANE is on or being
    turned on, their rows locked: a Disable that committed first is seen, one that comes
    later waits for this transaction (commands lock the same rows)."""
    from domains.choices import DaneState
    from domains.models import AcceptedDomain

    domains = (
        AcceptedDomain.objects.select_for_update()
        .filter(partition=partition, dane_state__in=(DaneState.ENABLED, DaneState.ENABLING))
        .order_by("pk")
        .only("mx_token")
    )
    return [f"_25._tcp.{domain.mx_token}.{partition.zone}" for domain in domains]


def republish_tlsa_records(backend: DnsBackend | None = None) -> int:
    """After a key change: give every domain with SMTP DANE on (or being turned on) the
    current TLSA set, partition by partition: desired state and an audit event in one
    transaction, then the servers. Returns how many RRsets were set."""
    records = published_tlsa_records()
    changed = 0
    for partition in Partition.objects.order_by("pk"):
        with transaction.atomic():
            owners = _lock_dane_owners(partition)
            if not owners:
                continue
            rrsets = [RRset(owner, "TLSA", settings.DANE_RECORD_TTL, records) for owner in owners]
            set_desired_rrsets(partition, rrsets)
            audit_partition_change(
                AuditAction.TLSA_REPUBLISHED,
                partition,
                {"hosts": len(owners), "records": records},
            )
        push_names(partition, owners, backend)
        changed += len(owners)
    return changed

"""The provider's inbound keys as the product keeps them: registration (audited), the
rollover that republishes every DANE domain's TLSA set, and the RFC 7671 §8 checks of that
set. The certificate arithmetic and the checks themselves are in ``dnsops.inbound``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography import x509
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dnsops.backends import get_backend
from dnsops.backends.base import DnsBackend
from dnsops.choices import PUBLISHED_KEY_STATES, InboundKeyState
from dnsops.dane.tlsa import TlsaRecord
from dnsops.events import PartitionEvent, report_partition_change
from dnsops.inbound.keys import parse_certificate, spki_sha256
from dnsops.inbound.publisher import check_published_rrset, overall_status
from dnsops.inbound.visibility import wait_for_tlsa_set
from dnsops.models import InboundKey, Partition
from dnsops.provisioning import push_names, set_desired_rrsets
from domains import publishing
from domains.audit import Actor, record_audit_event
from domains.choices import AuditAction, DaneState
from domains.models import AcceptedDomain


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


def ensure_keys_registered() -> None:
    """Before a write that publishes TLSA records: when no key is known yet, import those of
    ``DANE_INBOUND_CERTS`` (a write, with its audit events; reads never do this)."""
    if not InboundKey.objects.exists():
        register_certificates_from_settings()


def published_tlsa_records() -> tuple[str, ...]:
    """TLSA data for every key that is current or next (sorted, no duplicates); a read."""
    return tuple(
        sorted(
            {key.tlsa_record for key in InboundKey.objects.filter(state__in=PUBLISHED_KEY_STATES)}
        )
    )


def publisher_checks(mx_host: str) -> dict[str, Any]:
    """The RFC 7671 §8 checks of the TLSA set the registered keys give (current and next;
    retired keys are not published) for ``mx_host``: against the chain the servers present now
    (the ``current`` keys) and the one they present after the rollover (the ``next`` keys).
    ``{"Status": Passed|Warning|Failed, "Findings": [{code, severity, message, records}]}``;
    a read."""
    keys = list(InboundKey.objects.filter(state__in=PUBLISHED_KEY_STATES))
    records = [TlsaRecord.from_text(text) for text in sorted({key.tlsa_record for key in keys})]
    findings = check_published_rrset(
        records,
        current_chain=_served_chain(keys, InboundKeyState.CURRENT),
        next_chain=_served_chain(keys, InboundKeyState.NEXT),
        mx_host=mx_host,
        now=timezone.now(),
    )
    return {
        "Status": overall_status(findings).value,
        "Findings": [finding.to_dict() for finding in findings],
    }


def _served_chain(keys: Sequence[InboundKey], state: InboundKeyState) -> list[x509.Certificate]:
    """The chain the servers present with the server keys in ``state``: those certificates
    (newest first, the first being the leaf), then the published issuing CAs; empty when no
    server key is in ``state``."""
    leaves = [key for key in keys if key.state == state and not key.is_issuer]
    issuers = [key for key in keys if key.is_issuer] if leaves else []
    return [parse_certificate(key.certificate_pem) for key in (*leaves, *issuers)]


def _lock_dane_owners(partition: Partition) -> list[str]:
    """The TLSA owners of the partition's domains whose SMTP DANE is on or being turned on,
    their rows locked: a Disable that committed first is seen, one that comes later waits for
    this transaction (commands lock the same rows)."""
    domains = (
        AcceptedDomain.objects.select_for_update()
        .filter(partition=partition, dane_state__in=(DaneState.ENABLED, DaneState.ENABLING))
        .order_by("pk")
        .only("mx_token")
    )
    owners = []
    for domain in domains:
        domain.partition = partition
        owners.append(publishing.tlsa_owner(domain))
    return owners


def republish_tlsa_records(backend: DnsBackend | None = None) -> int:
    """After a key change: give every domain with SMTP DANE on (or being turned on) the
    current TLSA set, partition by partition: desired state and an audit event in one
    transaction, then the servers, then the wait until every server shows the set (the
    moment the rollover gate counts from: ``dnsops.TlsaSetVisibility``). Returns how many
    RRsets were set."""
    ensure_keys_registered()
    backend = backend or get_backend()
    records = published_tlsa_records()
    changed = 0
    for partition in Partition.objects.order_by("pk"):
        with transaction.atomic():
            owners = _lock_dane_owners(partition)
            if not owners:
                continue
            rrsets = [publishing.tlsa_rrset_at(owner, records) for owner in owners]
            set_desired_rrsets(partition, rrsets)
            report_partition_change(
                PartitionEvent.TLSA_REPUBLISHED,
                partition,
                {"hosts": len(owners), "records": records},
            )
        push_names(partition, owners, backend)
        wait_for_tlsa_set(partition, owners, records, backend)
        changed += len(owners)
    return changed

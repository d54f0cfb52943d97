"""The inbound key lifecycle with a visibility gate (RFC 7671 §8.1-8.2): the one service the
management commands, the operator API, the operator page and the beat probe call.

1. **Pre-publish**: a key registered as ``next`` is published beside the current one
   (``domains.inbound_keys``); per partition, ``dnsops.TlsaSetVisibility`` keeps when the new
   TLSA set was first seen on every authoritative server.
2. **Gate**: ``promote`` refuses until that set has been visible for 2 x ``DANE_RECORD_TTL`` +
   ``DANE_ROLLOVER_MARGIN_SECONDS`` in every partition holding DANE domains (``force`` with a
   reason overrides it, audited as such).
3. **Switch check**: ``retire`` probes every inbound address first and refuses while one of
   them serves a chain that the TLSA set without the key would not authenticate; then the
   key's TLSA is withdrawn, and its record is deleted one gate later (``purge_retired_keys``).
4. **Monitoring**: ``probe_inbound_servers`` (beat) records what each address serves;
   ``served_status`` judges it (codes ``EK0xx``: mismatch, expired, expiring, issuer problems).

The clock is the ``now`` argument of each function (``timezone.now()`` by default), so tests
step past the gate without sleeping.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dnsops.backends import get_backend
from dnsops.backends.base import DnsBackend
from dnsops.checks.findings import Finding
from dnsops.choices import PUBLISHED_KEY_STATES, InboundKeyState
from dnsops.dane.tlsa import TlsaRecord
from dnsops.dane.verify import verify_chain
from dnsops.inbound.probe import probe_addresses
from dnsops.inbound.served import KeyInfo, issuer_findings, judge_served_chain
from dnsops.inbound.visibility import normalised_set, observe_tlsa_set
from dnsops.models import InboundKey, Partition, ServedCertificate, TlsaSetVisibility, ZoneRRset
from domains import publishing
from domains.audit import Actor, record_audit_event
from domains.choices import AuditAction, DaneState
from domains.errors import InboundKeyNotFound, InvalidRequest, RolloverRefused
from domains.inbound_keys import published_tlsa_records, republish_tlsa_records
from domains.models import AcceptedDomain
from domains.notifications import events as notifications

DANE_STATES = (DaneState.ENABLED, DaneState.ENABLING)
#: Owners asked per partition when observing its TLSA set (the visibility wait samples too).
OBSERVED_OWNERS = 32


def gate_seconds() -> int:
    """How long a new TLSA set must have been visible everywhere before promotion:
    2 x ``DANE_RECORD_TTL`` + ``DANE_ROLLOVER_MARGIN_SECONDS``."""
    return 2 * settings.DANE_RECORD_TTL + settings.DANE_ROLLOVER_MARGIN_SECONDS


# --- reads ---------------------------------------------------------------------------------


def dane_partitions() -> list[Partition]:
    """The partitions holding domains whose SMTP DANE is on or being turned on."""
    ids = AcceptedDomain.objects.filter(dane_state__in=DANE_STATES).values("partition_id")
    return list(Partition.objects.filter(pk__in=ids).order_by("pk"))


@dataclass(frozen=True)
class PartitionReadiness:
    """Whether a partition lets the rollover proceed, and from when."""

    zone: str
    first_seen_everywhere_at: datetime | None
    allowed_at: datetime | None
    ready: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``inbound_key_status``."""
        return {
            "Zone": self.zone,
            "FirstSeenEverywhereAt": _iso(self.first_seen_everywhere_at),
            "PromotionAllowedAt": _iso(self.allowed_at),
            "Ready": self.ready,
            "Detail": self.detail,
        }


def partition_readiness(key: InboundKey, *, now: datetime) -> list[PartitionReadiness]:
    """For each DANE partition: has the published set (with ``key``'s record) been visible on
    every server for the whole gate?"""
    expected = normalised_set(published_tlsa_records())
    gate = timedelta(seconds=gate_seconds())
    seen = {
        row.partition_id: row
        for row in TlsaSetVisibility.objects.filter(partition__in=dane_partitions())
    }
    readiness = []
    for partition in dane_partitions():
        row = seen.get(partition.pk)
        if row is None or row.records != expected or row.first_seen_everywhere_at is None:
            readiness.append(
                PartitionReadiness(
                    partition.zone,
                    None,
                    None,
                    False,
                    f"{partition.zone}: the TLSA set with {key.name} is not yet served by every "
                    "authoritative server.",
                )
            )
            continue
        allowed = row.first_seen_everywhere_at + gate
        ready = key.tlsa_record in row.records and allowed <= now
        detail = (
            f"{partition.zone}: seen on every server since {_iso(row.first_seen_everywhere_at)}; "
            + ("ready." if ready else f"not before {_iso(allowed)}.")
        )
        readiness.append(
            PartitionReadiness(partition.zone, row.first_seen_everywhere_at, allowed, ready, detail)
        )
    return readiness


def served_status(*, now: datetime | None = None) -> list[dict[str, Any]]:
    """What every inbound address served at its last probe, judged against the keys and the
    published TLSA set: ``{Address, ProbedAt, ServedKey, Matches, NotAfter, Findings}``."""
    now = now or timezone.now()
    published = published_tlsa_records()
    keys = _key_infos()
    host = _reference_host()
    entries = []
    for row in ServedCertificate.objects.order_by("address"):
        chain = x509.load_pem_x509_certificates(row.chain_pem.encode()) if row.chain_pem else []
        judged = judge_served_chain(
            row.address,
            chain,
            detail=row.detail,
            published=published,
            keys=keys,
            mx_host=host,
            now=now,
            warning_days=settings.DANE_INBOUND_EXPIRY_WARNING_DAYS,
        )
        entries.append(
            {
                "Address": row.address,
                "Port": row.port,
                "ProbedAt": _iso(row.probed_at),
                "ServedKey": judged.served_key,
                "Matches": judged.matches,
                "NotAfter": _iso(judged.not_after),
                "Findings": [_finding_dict(item) for item in judged.findings],
            }
        )
    return entries


def key_status(*, now: datetime | None = None) -> dict[str, Any]:
    """``inbound_key_status``: every key (state, role in the rollover, expiry, how many DANE
    domains publish its TLSA, which addresses serve it, when promotion is allowed), the
    partitions' observations, and what each inbound address serves."""
    now = now or timezone.now()
    served = served_status(now=now)
    published_counts = _published_counts()
    newest_current = _newest_current()
    gate = timedelta(seconds=gate_seconds())
    keys = []
    for key in InboundKey.objects.order_by("state", "-created_at"):
        entry: dict[str, Any] = {
            "Name": key.name,
            "State": key.state,
            "Role": _role(key, newest_current),
            "IsIssuer": key.is_issuer,
            "TlsaRecord": key.tlsa_record,
            "NotAfter": _iso(key.not_after),
            "SecondsToExpiry": int((key.not_after - now).total_seconds()),
            "PromotedAt": _iso(key.promoted_at),
            "RetiredAt": _iso(key.retired_at),
            "DeletedAfter": _iso(key.retired_at + gate) if key.retired_at else None,
            "DaneDomainsPublishing": published_counts.get(key.tlsa_record, 0),
            "ServedBy": [entry["Address"] for entry in served if entry["ServedKey"] == key.name],
            "Promotion": None,
        }
        if key.state == InboundKeyState.NEXT:
            readiness = partition_readiness(key, now=now)
            waits = [item.allowed_at for item in readiness if item.allowed_at is not None]
            settled = len(waits) == len(readiness)
            entry["Promotion"] = {
                "Allowed": all(item.ready for item in readiness),
                "AllowedAt": _iso(max(waits, default=now)) if settled else None,
                "Partitions": [item.as_dict() for item in readiness],
            }
        keys.append(entry)
    return {
        "Now": _iso(now),
        "GateSeconds": gate_seconds(),
        "Rollover": rollover_state(),
        "Keys": keys,
        "InboundAddresses": served,
        "Findings": current_findings(served, now=now),
    }


def current_findings(
    served: list[dict[str, Any]] | None = None, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Every finding now: those of each address's last probe (``served``, as
    ``served_status`` gives it), then the issuing CAs' expiry warnings."""
    now = now or timezone.now()
    served = served_status(now=now) if served is None else served
    findings = [finding for entry in served for finding in entry["Findings"]]
    return findings + [_finding_dict(item) for item in issuer_findings(_key_infos(), now=now)]


def rollover_state() -> dict[str, Any]:
    """Which keys are published and whether a rollover is in progress: ``Phase`` is ``stable``
    (one current key), ``pre-published`` (a next key published beside the current one, waiting
    for the gate and the promotion) or ``switching`` (promoted; the old key still published
    until it is retired)."""
    published = list(InboundKey.objects.filter(state__in=PUBLISHED_KEY_STATES).order_by("name"))
    servers = [key for key in published if not key.is_issuer]
    has_next = any(key.state == InboundKeyState.NEXT for key in published)
    currents = [key for key in servers if key.state == InboundKeyState.CURRENT]
    phase = "pre-published" if has_next else "switching" if len(currents) > 1 else "stable"
    return {
        "InProgress": phase != "stable",
        "Phase": phase,
        "PublishedKeys": [
            {"Name": key.name, "State": key.state, "TlsaRecord": key.tlsa_record}
            for key in published
        ],
    }


# --- observing -----------------------------------------------------------------------------


def observe_partitions(
    *, now: datetime | None = None, backend: DnsBackend | None = None
) -> list[TlsaSetVisibility]:
    """Ask every server about each DANE partition's TLSA set where the observation is not
    settled (a new set, or one not yet seen everywhere): the gate's starting points."""
    now = now or timezone.now()
    expected = normalised_set(published_tlsa_records())
    rows = []
    for partition in dane_partitions():
        row = TlsaSetVisibility.objects.filter(partition=partition).first()
        if row is not None and row.records == expected and row.first_seen_everywhere_at:
            rows.append(row)
            continue
        backend = backend or get_backend()
        rows.append(
            observe_tlsa_set(partition, _sample_owners(partition), expected, backend, now=now)
        )
    return rows


def probe_inbound_servers(*, now: datetime | None = None) -> list[ServedCertificate]:
    """Open a STARTTLS session with every ``DANE_INBOUND_ADDRESSES`` address on
    ``DANE_INBOUND_SMTP_PORT`` and keep what each one served (addresses no longer configured
    are forgotten). An observation, like a check run: no audit event; an address that stops
    matching the published TLSA set (or matches nothing at its first probe) writes a
    ``domain.tlsa_mismatch`` event for every SMTP DANE inbound domain."""
    now = now or timezone.now()
    addresses = list(settings.DANE_INBOUND_ADDRESSES)
    matched_before = {entry["Address"]: entry["Matches"] for entry in served_status(now=now)}
    results = probe_addresses(
        addresses,
        settings.DANE_INBOUND_SMTP_PORT,
        host=settings.DANE_MX_SUFFIX,
        ehlo_name=settings.DANE_VALIDATION_EHLO_NAME,
        timeout=settings.DANE_INBOUND_PROBE_TIMEOUT,
    )
    with transaction.atomic():
        ServedCertificate.objects.exclude(address__in=addresses).delete()
        rows = [
            ServedCertificate.objects.update_or_create(
                address=result.address,
                defaults={
                    "port": result.port,
                    "probed_at": now,
                    "chain_pem": result.chain_pem,
                    "detail": result.detail[:500],
                },
            )[0]
            for result in results
        ]
        stopped_matching = [
            entry
            for entry in served_status(now=now)
            if not entry["Matches"] and matched_before.get(entry["Address"], True)
        ]
        notifications.record_tlsa_mismatches(stopped_matching)
    return rows


def run_probe_round(*, now: datetime | None = None) -> dict[str, int]:
    """The beat task's work: probe the inbound servers, settle the partitions' observations,
    delete retired keys whose gate has passed."""
    now = now or timezone.now()
    probed = probe_inbound_servers(now=now)
    observed = observe_partitions(now=now)
    deleted = purge_retired_keys(now=now)
    return {"probed": len(probed), "observed": len(observed), "deleted": deleted}


# --- writes --------------------------------------------------------------------------------


def promote(
    name: str,
    *,
    actor: Actor,
    force: bool = False,
    reason: str = "",
    now: datetime | None = None,
    backend: DnsBackend | None = None,
) -> InboundKey:
    """Make the ``next`` key ``name`` current (the moment the operator may deploy it on the
    MTAs). Refused (``RolloverRefused``, nothing changed) until its TLSA set has been visible
    on every server of every DANE partition for the gate; ``force`` needs a ``reason`` and is
    audited as a forced promotion."""
    now = now or timezone.now()
    if force and not reason.strip():
        raise InvalidRequest("A forced promotion needs a reason (--reason).")
    _get(name)
    observe_partitions(now=now, backend=backend)
    with transaction.atomic():
        key = _get(name, lock=True)
        if key.state != InboundKeyState.NEXT:
            raise RolloverRefused(
                f"{name} is {key.state}: only a next key can be promoted.", key=name
            )
        readiness = partition_readiness(key, now=now)
        waiting = [item for item in readiness if not item.ready]
        if waiting and not force:
            raise RolloverRefused(
                f"Promotion of {name} refused: its TLSA set has not been visible on every "
                f"server for {gate_seconds()} s (2 x TTL + margin) in "
                + "; ".join(item.detail for item in waiting),
                key=name,
                partitions=[item.as_dict() for item in waiting],
            )
        key.state, key.promoted_at = InboundKeyState.CURRENT, now
        key.save(update_fields=["state", "promoted_at", "updated_at"])
        forced = force and bool(waiting)
        action = (
            AuditAction.INBOUND_KEY_PROMOTION_FORCED if forced else AuditAction.INBOUND_KEY_PROMOTED
        )
        record_audit_event(
            action,
            actor=actor,
            tenant=None,
            target_type="inbound_key",
            target_id=name,
            data={
                "tlsa": key.tlsa_record,
                "forced": forced,
                "reason": reason.strip() if force else "",
                "not_ready": [item.as_dict() for item in waiting],
            },
        )
    return key


def retire(
    name: str,
    *,
    actor: Actor,
    now: datetime | None = None,
    backend: DnsBackend | None = None,
) -> InboundKey:
    """Withdraw ``name``'s TLSA. The inbound servers are probed first: refused while an
    address is unreachable or serves a chain that the TLSA set without this key would not
    authenticate, or when the key is the only current server key. The record itself is
    deleted one gate later (``purge_retired_keys``)."""
    now = now or timezone.now()
    key = _get(name)
    if key.state == InboundKeyState.RETIRED:
        raise RolloverRefused(f"{name} is already retired.", key=name)
    others = InboundKey.objects.filter(state=InboundKeyState.CURRENT, is_issuer=False).exclude(
        pk=key.pk
    )
    if key.state == InboundKeyState.CURRENT and not key.is_issuer and not others.exists():
        raise RolloverRefused(
            f"{name} is the only current key: promote its successor first.", key=name
        )
    if not settings.DANE_INBOUND_ADDRESSES:
        raise RolloverRefused(
            f"Retirement of {name} refused: no inbound address is configured "
            "(DANE_INBOUND_ADDRESSES), so the probe cannot confirm that no server serves it.",
            key=name,
        )
    probe_inbound_servers(now=now)
    remaining = [
        TlsaRecord.from_text(record)
        for record in published_tlsa_records()
        if record != key.tlsa_record
    ]
    blocking = _blocking_addresses(remaining, now=now)
    if blocking:
        raise RolloverRefused(
            f"Retirement of {name} refused: without its TLSA record, DANE senders would fail at "
            + "; ".join(f"{address} ({why})" for address, why in blocking),
            key=name,
            addresses=[address for address, _ in blocking],
        )
    with transaction.atomic():
        key = _get(name, lock=True)
        previous = key.state
        key.state, key.retired_at = InboundKeyState.RETIRED, now
        key.save(update_fields=["state", "retired_at", "updated_at"])
        record_audit_event(
            AuditAction.INBOUND_KEY_RETIRED,
            actor=actor,
            tenant=None,
            target_type="inbound_key",
            target_id=name,
            data={"tlsa": key.tlsa_record, "previous_state": previous},
        )
    republish_tlsa_records(backend)
    return key


def purge_retired_keys(*, now: datetime | None = None) -> int:
    """Delete the keys retired more than one gate ago (their TLSA has left every cache);
    how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=gate_seconds())
    deleted = 0
    with transaction.atomic():
        for key in InboundKey.objects.select_for_update().filter(
            state=InboundKeyState.RETIRED, retired_at__lte=cutoff
        ):
            record_audit_event(
                AuditAction.INBOUND_KEY_DELETED,
                actor=Actor.system(),
                tenant=None,
                target_type="inbound_key",
                target_id=key.name,
                data={"tlsa": key.tlsa_record, "retired_at": _iso(key.retired_at)},
            )
            key.delete()
            deleted += 1
    return deleted


# --- helpers -------------------------------------------------------------------------------


def _get(name: str, *, lock: bool = False) -> InboundKey:
    keys = InboundKey.objects.select_for_update() if lock else InboundKey.objects
    key = keys.filter(name=name).first()
    if key is None:
        raise InboundKeyNotFound(f"No inbound key is named {name}.", key=name)
    return key


def _blocking_addresses(remaining: Sequence[TlsaRecord], *, now: datetime) -> list[tuple[str, str]]:
    """The addresses whose served chain (just probed) ``remaining`` would not authenticate."""
    host = _reference_host()
    blocking = []
    for row in ServedCertificate.objects.order_by("address"):
        if not row.chain_pem:
            blocking.append((row.address, f"no certificate read: {row.detail}"))
            continue
        chain = x509.load_pem_x509_certificates(row.chain_pem.encode())
        if not verify_chain(chain, remaining, reference_identifiers=(host,), now=now).authenticated:
            blocking.append((row.address, "it still serves a chain only this key's TLSA matches"))
    return blocking


def _sample_owners(partition: Partition) -> list[str]:
    """Up to ``OBSERVED_OWNERS`` TLSA owners of the partition's DANE domains, spread over it."""
    domains = list(
        AcceptedDomain.objects.filter(partition=partition, dane_state__in=DANE_STATES)
        .order_by("pk")
        .only("mx_token")
    )
    step = max(1, len(domains) // OBSERVED_OWNERS)
    owners = []
    for domain in domains[::step][:OBSERVED_OWNERS]:
        domain.partition = partition
        owners.append(publishing.tlsa_owner(domain))
    return owners


def _reference_host() -> str:
    """A DANE MX host, the name a DANE-TA (``2 1 1``) chain must carry; the suffix if none."""
    domain = (
        AcceptedDomain.objects.filter(dane_state__in=DANE_STATES)
        .select_related("partition")
        .order_by("pk")
        .first()
    )
    return publishing.mx_host(domain) if domain is not None else settings.DANE_MX_SUFFIX


def _key_infos() -> list[KeyInfo]:
    """The published keys (next and current), as ``dnsops.inbound.served`` takes them."""
    return [
        KeyInfo(key.name, key.spki_sha256, key.is_issuer, key.not_after)
        for key in InboundKey.objects.filter(state__in=PUBLISHED_KEY_STATES)
    ]


def _published_counts() -> Counter[str]:
    """How many TLSA RRsets the partition zones are to publish with each record."""
    counts: Counter[str] = Counter()
    for rdatas in ZoneRRset.objects.filter(rdtype="TLSA").values_list("rdatas", flat=True):
        counts.update(record.lower() for record in rdatas)
    return counts


def _newest_current() -> datetime | None:
    """When the newest current server key was promoted (or registered)."""
    currents = InboundKey.objects.filter(state=InboundKeyState.CURRENT, is_issuer=False)
    return max((key.promoted_at or key.created_at for key in currents), default=None)


def _role(key: InboundKey, newest_current: datetime | None) -> str:
    """``next``, ``current``, ``outgoing`` (current, but an older one than the newest
    promotion: waiting to be retired) or ``retired``."""
    if key.state != InboundKeyState.CURRENT or key.is_issuer:
        return str(key.state)
    moment = key.promoted_at or key.created_at
    return "current" if newest_current is None or moment >= newest_current else "outgoing"


def _finding_dict(item: Finding) -> dict[str, Any]:
    return {
        "code": item.code,
        "severity": item.severity.value,
        "message": item.message,
        "action": item.action,
        "params": dict(item.params),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None

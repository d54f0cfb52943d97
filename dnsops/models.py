"""Partition zones and what the database says each must publish (the desired state)."""

from __future__ import annotations

from django.db import models

from dnsops.choices import InboundKeyState, PartitionStatus


class Partition(models.Model):
    """One DNSSEC-signed zone holding MX host names: ``<label>.<DANE_MX_SUFFIX>``."""

    label = models.CharField(max_length=63, unique=True, help_text="e.g. o-v1")
    zone = models.CharField(max_length=253, unique=True, help_text="e.g. o-v1.mx.provider.test")
    capacity = models.PositiveIntegerField(default=10_000, help_text="Domains it may hold.")
    # Raised and lowered by one conditional UPDATE each (dnsops.partitions), never above
    # capacity: placements count on it instead of counting the domains under a row lock.
    placed = models.PositiveIntegerField(
        default=0, editable=False, help_text="Domains placed on it (holding an MX token)."
    )
    status = models.CharField(
        max_length=16, choices=PartitionStatus.choices, default=PartitionStatus.ACTIVE
    )
    ds_records = models.JSONField(default=list, blank=True, help_text="DS for the parent zone.")
    provisioned_at = models.DateTimeField(null=True, blank=True)
    last_drift_check_at = models.DateTimeField(null=True, blank=True)
    # The zone's SOA serial and a digest of its desired rows at its last comparison that found
    # no drift: while both are unchanged, drift repair skips reading the zone from the server.
    drift_clean_serial = models.BigIntegerField(null=True, blank=True)
    drift_clean_digest = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("label",)

    def __str__(self) -> str:
        return self.zone


class ZoneRRset(models.Model):
    """An RRset the control plane wants published in a partition zone.

    Written in the same transaction as the domain state change that needs it; the DNS driver
    makes the server match these rows, and drift repair puts the server back in line with them.
    """

    partition = models.ForeignKey(Partition, on_delete=models.PROTECT, related_name="rrsets")
    name = models.CharField(max_length=253, help_text="Absolute owner name, no final dot.")
    rdtype = models.CharField(max_length=16)
    ttl = models.PositiveIntegerField()
    rdatas = models.JSONField(help_text="Records in presentation format, sorted.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name", "rdtype")
        constraints = [
            models.UniqueConstraint(
                fields=("partition", "name", "rdtype"), name="zone_rrset_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.rdtype}"


class InboundKey(models.Model):
    """One of the provider's inbound TLS certificates; the source of the TLSA records.

    ``next`` and ``current`` keys are published (``3 1 1``), so a rollover publishes the next
    key before the servers switch to it; ``retired`` keys are not. An issuing CA registered
    with ``is_issuer`` adds a ``2 1 1`` record while it is not retired.
    """

    name = models.CharField(max_length=200, unique=True)
    certificate_pem = models.TextField()
    spki_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the SubjectPublicKeyInfo.")
    is_issuer = models.BooleanField(default=False)
    state = models.CharField(max_length=16, choices=InboundKeyState.choices)
    not_after = models.DateTimeField()
    # The rollover (domains.rollover): when it became current, when it was retired (its
    # record is deleted once the TLSA gate has passed after that).
    promoted_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.name} ({self.state})"

    @property
    def tlsa_record(self) -> str:
        """The TLSA record data: ``3 1 1 <digest>`` (``2 1 1`` for an issuing CA)."""
        usage = 2 if self.is_issuer else 3
        return f"{usage} 1 1 {self.spki_sha256}"


class TlsaSetVisibility(models.Model):
    """When a partition's TLSA set was first seen on every authoritative server.

    An observation of the DNS servers (``dnsops.inbound.visibility``), one row per partition:
    the set its DANE MX hosts publish and the moment every server first answered with it
    (null while some server does not yet). The rollover gate (``domains.rollover``) counts
    2 x TTL + margin from that moment.
    """

    partition = models.OneToOneField(
        Partition, on_delete=models.CASCADE, related_name="tlsa_visibility"
    )
    records = models.JSONField(default=list, help_text="The TLSA set, sorted, lower-case.")
    first_seen_everywhere_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.partition_id}: {len(self.records)} TLSA"


class ServedCertificate(models.Model):
    """What one of the provider's inbound addresses served at the last probe (STARTTLS):
    the chain (PEM, leaf first), or why there was none. Written by the beat probe
    (``domains.rollover.probe_inbound_servers``); the findings are derived on read."""

    address = models.CharField(max_length=64, unique=True)
    port = models.PositiveIntegerField()
    probed_at = models.DateTimeField()
    chain_pem = models.TextField(blank=True, default="")
    detail = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ("address",)

    def __str__(self) -> str:
        return self.address


from dnsops.builtin_models import BuiltinRRset, BuiltinZone  # noqa: E402,F401

"""Partition zones and what the database says each must publish (the desired state)."""

from __future__ import annotations

from django.db import models

from dnsops.choices import PartitionStatus


class Partition(models.Model):
    """One DNSSEC-signed zone holding MX host names: ``<label>.<DANE_MX_SUFFIX>``."""

    label = models.CharField(max_length=63, unique=True, help_text="e.g. o-v1")
    zone = models.CharField(max_length=253, unique=True, help_text="e.g. o-v1.mx.provider.test")
    capacity = models.PositiveIntegerField(default=10_000, help_text="Domains it may hold.")
    status = models.CharField(
        max_length=16, choices=PartitionStatus.choices, default=PartitionStatus.ACTIVE
    )
    ds_records = models.JSONField(default=list, blank=True, help_text="DS for the parent zone.")
    provisioned_at = models.DateTimeField(null=True, blank=True)
    last_drift_check_at = models.DateTimeField(null=True, blank=True)
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

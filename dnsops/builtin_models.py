"""Storage of the ``builtin`` DNS driver: its zones and their signed RRsets.

Every RRset of a zone is one row with its RRSIG, so a change re-signs only the rows it
touches. NSEC records are rows too (one per owner name). ``canonical_key`` encodes the owner
name so that byte order is the canonical DNS name order (RFC 4034 §6.1): the NSEC predecessor
and successor of a name are indexed range queries. Private keys are never stored here.
"""

from __future__ import annotations

from django.db import models


class BuiltinZone(models.Model):
    """A zone the builtin driver hosts: its SOA serial and the public half of its CSK."""

    name = models.CharField(max_length=253, unique=True, help_text="Absolute, no final dot.")
    serial = models.PositiveBigIntegerField(default=0, help_text="Current SOA serial.")
    key_tag = models.PositiveIntegerField(null=True, blank=True, help_text="Tag of the CSK.")
    dnskey = models.TextField(blank=True, help_text="The CSK's DNSKEY rdata (public).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class BuiltinRRset(models.Model):
    """One RRset of a builtin zone (NSEC included) and its signature."""

    zone = models.ForeignKey(BuiltinZone, on_delete=models.CASCADE, related_name="rrsets")
    owner = models.CharField(max_length=253, help_text="Absolute owner name, no final dot.")
    canonical_key = models.BinaryField(
        max_length=512, help_text="Owner name encoded so byte order is canonical DNS order."
    )
    rdtype = models.CharField(max_length=16)
    ttl = models.PositiveIntegerField()
    rdatas = models.JSONField(help_text="Records in presentation format, sorted.")
    rrsig = models.TextField(blank=True, help_text="RRSIG rdata; empty when not signed.")
    expires_at = models.DateTimeField(null=True, blank=True, help_text="RRSIG expiration.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("zone", "canonical_key", "rdtype"), name="builtin_rrset_unique"
            )
        ]
        indexes = [models.Index(fields=("zone", "expires_at"), name="builtin_rrset_expiry")]

    def __str__(self) -> str:
        return f"{self.owner} {self.rdtype}"

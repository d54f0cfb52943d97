"""A partition zone as its servers serve it, read through DNS from the real Knot: serials,
signatures, the DS at the parent, and drift behind the control plane's back."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from django.utils import timezone

from dnsops.backends.rfc2136 import Rfc2136Backend
from dnsops.models import Partition, ZoneRRset
from dnsops.provisioning import ensure_partition, push_names, repair_drift
from dnsops.zone_health.assess import ZoneProblem
from dnsops.zone_health.probe import partitions_health
from domains.choices import AuditAction
from domains.models import AuditEvent
from tests.dnsnet import DnsTestNetwork

pytestmark = [pytest.mark.django_db, pytest.mark.dns]


def test_a_zone_changed_behind_the_product_shows_drift_until_repaired(
    dnsnet: DnsTestNetwork,
) -> None:
    backend = Rfc2136Backend.from_settings()
    label = f"h-{uuid.uuid4().hex[:8]}"
    partition = Partition.objects.create(label=label, zone=f"{label}.{settings.DANE_MX_SUFFIX}")
    partition = ensure_partition(partition, backend)
    host = f"contoso-com.{partition.zone}"
    ZoneRRset.objects.create(
        partition=partition, name=host, rdtype="A", ttl=300, rdatas=["192.0.2.25"]
    )
    push_names(partition, [host], backend)
    assert not repair_drift(partition, backend)  # a clean comparison: its serial remembered
    partition.refresh_from_db()

    health = partitions_health([partition])[partition.pk]
    assert health.problems == ()
    [served] = health.observation.serials
    assert served.serial == partition.drift_clean_serial
    assert health.ds_matches
    first = health.earliest_signature
    assert first is not None
    assert first.expiration - timezone.now() > health.margin
    assert {(seen.owner, seen.rdtype) for seen in health.observation.signatures} >= {
        (partition.zone, "SOA"),
        (partition.zone, "DNSKEY"),
        (host, "A"),
    }

    rogue = f"rogue.{partition.zone}"
    dnsnet.update(("add", rogue, "A", 300, "203.0.113.1"), zone=partition.zone)
    health = partitions_health([partition])[partition.pk]
    assert health.problems == (ZoneProblem.DRIFT,)

    assert repair_drift(partition, backend).unexpected
    event = AuditEvent.objects.get(action=AuditAction.PARTITION_DRIFT_REPAIRED)
    assert (event.target_id, event.data["unexpected"], event.data["names"]) == (
        partition.zone,
        1,
        [f"{rogue} A"],
    )
    assert not repair_drift(partition, backend)  # compared again: the new serial is clean
    partition.refresh_from_db()
    assert partitions_health([partition])[partition.pk].problems == ()

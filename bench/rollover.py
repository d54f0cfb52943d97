"""Benchmark: pre-publishing a next inbound key for N DANE domains over P partitions (Knot,
rfc2136 driver): from ``republish_tlsa_records()`` to the new TLSA set being visible on every
authoritative server (the rollover gate's starting point, ``dnsops.TlsaSetVisibility``),
against the raw batched UPDATE rate of the same Knot in the same run: the same TLSA RRsets
replaced by UPDATE messages of 400 names sent directly, until the last one is served signed.

    python3 deploy/stack.py up && set -a && . var/stack/stack.env && set +a
    SECRET_KEY=bench .venv/bin/python manage.py migrate
    SECRET_KEY=bench .venv/bin/python bench/rollover.py --domains 10000 --partitions 4
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dane_admin.settings")

import django

django.setup()

import dns.query  # noqa: E402
import dns.update  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.provision_rfc2136 import new_partition, served_signed, timed  # noqa: E402
from dnsops.backends.rfc2136 import Rfc2136Backend  # noqa: E402
from dnsops.choices import InboundKeyState  # noqa: E402
from dnsops.models import InboundKey, Partition, TlsaSetVisibility  # noqa: E402
from domains import publishing, services  # noqa: E402
from domains.audit import Actor  # noqa: E402
from domains.inbound_keys import register_certificate, republish_tlsa_records  # noqa: E402
from domains.models import AcceptedDomain  # noqa: E402
from tests.dane_io.servers import self_signed  # noqa: E402

NAMES_PER_UPDATE = 400


def pem() -> str:
    """A new self-signed inbound certificate, as PEM text."""
    certificate = self_signed("mx.provider.test").certificate
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def build(n: int, partitions: int, backend: Rfc2136Backend) -> dict[Partition, list[str]]:
    """``n`` DANE-enabled domains spread over ``partitions`` fresh zones, their current TLSA
    published; the TLSA owners of each partition."""
    InboundKey.objects.update(state=InboundKeyState.RETIRED)  # this run's keys only
    # Earlier runs' domains leave DANE: the republication covers this run's fleet only.
    AcceptedDomain.objects.filter(tenant__slug__startswith="rollover-").update(
        dane_state="disabled"
    )
    register_certificate(
        pem(),
        name=f"bench-current-{uuid.uuid4().hex[:6]}",
        state=InboundKeyState.CURRENT,
        actor=Actor.cli(),
    )
    run = uuid.uuid4().hex[:6]
    tenant = services.create_tenant(f"rollover-{run}", actor=Actor.cli())
    zones = [new_partition(backend, f"r{index}") for index in range(partitions)]
    rows = [
        AcceptedDomain(
            tenant=tenant,
            name=f"d{i:06d}-{run}.example",
            display_name=f"d{i:06d}-{run}.example",
            verified_at=timezone.now(),
            dnssec_state="enabled",
            dane_state="enabled",
            partition=zones[i % partitions],
            mx_token=f"d{i:06d}-{run}",
        )
        for i in range(n)
    ]
    AcceptedDomain.objects.bulk_create(rows, batch_size=2000)
    republish_tlsa_records(backend)  # the current key everywhere (not timed)
    owners: dict[Partition, list[str]] = {zone: [] for zone in zones}
    for zone in zones:
        for domain in AcceptedDomain.objects.filter(partition=zone).only("mx_token"):
            domain.partition = zone
            owners[zone].append(publishing.tlsa_owner(domain))
    return owners


def raw_updates(backend: Rfc2136Backend, owners: dict[Partition, list[str]], rdata: str) -> None:
    """Replace every owner's TLSA RRset with two records by UPDATEs of 400 names, then wait
    until the last owner of each zone is served signed with it."""
    for partition, names in owners.items():
        for first in range(0, len(names), NAMES_PER_UPDATE):
            message = dns.update.UpdateMessage(
                partition.zone + ".",
                keyring=backend.tsig.key,
                keyname=backend.tsig.key.name,
                keyalgorithm=backend.tsig.key.algorithm,
            )
            for name in names[first : first + NAMES_PER_UPDATE]:
                message.replace(name + ".", 300, "TLSA", rdata)
                message.add(name + ".", 300, "TLSA", rdata.replace("3 1 1 0", "3 1 1 f"))
            response = dns.query.tcp(
                message, backend.primary[0], port=backend.primary[1], timeout=60
            )
            assert response.rcode() == 0, response.rcode()
    for names in owners.values():
        while not served_signed(backend, names[-1], "TLSA"):
            time.sleep(0.01)


def main() -> None:
    """Build the fleet, time the product's pre-publication and the raw ceiling."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=10_000)
    parser.add_argument("--partitions", type=int, default=4)
    args = parser.parse_args()
    backend = Rfc2136Backend.from_settings()
    owners = build(args.domains, args.partitions, backend)

    register_certificate(
        pem(),
        name=f"bench-next-{uuid.uuid4().hex[:6]}",
        state=InboundKeyState.NEXT,
        actor=Actor.cli(),
    )
    product_s = timed(lambda: republish_tlsa_records(backend))
    seen = TlsaSetVisibility.objects.filter(partition__in=list(owners))
    assert all(row.first_seen_everywhere_at for row in seen), "not visible within the timeout"
    raw_s = timed(lambda: raw_updates(backend, owners, "3 1 1 " + "0123456789abcdef" * 4))

    n = args.domains
    print(f"{'how':52} {'hosts':>6} {'seconds':>8} {'hosts/s':>8}")
    print(
        f"{'republish next key, until visible on every server':52} {n:6d} {product_s:8.2f} "
        f"{n / product_s:8.0f}"
    )
    print(
        f"{'raw UPDATE, 400 names/message, until served':52} {n:6d} {raw_s:8.2f} {n / raw_s:8.0f}"
    )
    print(f"product / raw = {raw_s / product_s:.2f} (target >= 0.5)")


if __name__ == "__main__":
    main()

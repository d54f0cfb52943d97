"""Ask the servers how a partition zone is served, through the one DNS client.

Every authoritative server of ``DANE_DNS_SERVERS`` is asked directly and concurrently, each
query bounded by ``DANE_DNS_TIMEOUT``: the SOA serial; the RRSIGs of the apex SOA, DNSKEY and
NS, of the apex NSEC, and of a sample of the owners the control plane publishes (the
earliest of them is the zone's earliest expiry as served: a full zone transfer per page view
would cost as much as a drift repair); and the DS of the zone at the parent (the same servers
when they host the parent, ``DANE_MX_PARENT_MANAGED``; the validating resolver otherwise).
With no server listed (the builtin driver writes zone files), the signatures and the DS are
read through the validating resolver and no serial is shown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import cast

import dns.rdatatype
from django.conf import settings
from django.utils import timezone

from dnsops.addresses import parse_server, parse_servers
from dnsops.backends.base import SIGNATURE_REFRESH_MARGIN
from dnsops.dns.client import ResolverClient
from dnsops.dns.types import DS, RRSIG, SOA, Answer, LookupStatus, Signature
from dnsops.models import Partition, ZoneRRset
from dnsops.provisioning import desired_digest
from dnsops.zone_health.assess import (
    DriftBaseline,
    ServerSerial,
    SignatureSeen,
    ZoneHealth,
    ZoneObservation,
    assess,
)

#: Owners of the control plane's own records whose signatures are read besides the apex.
OWNER_SAMPLE = 20
APEX_TYPES = ("SOA", "DNSKEY", "NS", "NSEC")


def _server_name(address: tuple[str, int]) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def _ask_server(
    address: tuple[str, int], zone: str, owners: Sequence[tuple[str, str]], timeout: float
) -> tuple[ServerSerial, list[SignatureSeen]]:
    """The serial and the signatures one server serves for ``owners`` (name, type)."""
    async with ResolverClient(address, timeout=timeout, sockets=1) as client:
        soa, *answers = await asyncio.gather(
            client.query(zone, SOA),
            *(client.query(name, dns.rdatatype.from_text(rdtype)) for name, rdtype in owners),
        )
    serials = soa.records(SOA)
    if serials:
        serial = ServerSerial(_server_name(address), int(serials[0]))
    else:
        serial = ServerSerial(_server_name(address), None, _why(soa))
    seen = [
        SignatureSeen(name, rdtype, signature.expiration)
        for (name, rdtype), answer in zip(owners, answers, strict=True)
        for signature in _signatures_of(answer, rdtype)
    ]
    return serial, seen


def _signatures_of(answer: Answer, rdtype: str) -> list[Signature]:
    """The RRSIGs of the answer covering ``rdtype``; for NODATA, the denial's (NSEC)."""
    wanted = dns.rdatatype.from_text(rdtype)
    covering = [
        cast(Signature, record.data)
        for record in answer.answer
        if record.rdtype == RRSIG and cast(Signature, record.data).covered == wanted
    ]
    return covering or answer.signatures()


def _why(answer: Answer) -> str:
    return answer.detail or answer.status.value


async def _ask_ds(addresses: Sequence[tuple[str, int]], zone: str, timeout: float) -> Answer:
    """The DS of ``zone`` from the first of ``addresses`` that answers it."""
    answer = Answer(LookupStatus.ERROR, detail="no server to ask")
    for address in addresses:
        async with ResolverClient(address, timeout=timeout, sockets=1) as client:
            answer = await client.query(zone, DS)
        if answer.status in (LookupStatus.OK, LookupStatus.NODATA):
            return answer
    return answer


async def observe_zone(
    zone: str,
    owners: Sequence[tuple[str, str]],
    servers: Sequence[tuple[str, int]],
    ds_sources: Sequence[tuple[str, int]],
    *,
    timeout: float,
    serials: bool = True,
) -> ZoneObservation:
    """Ask every server in ``servers`` at once (and ``ds_sources`` for the DS); without
    ``serials`` (``servers`` is the validating resolver, whose SOA may come from its cache)
    only the signatures are kept."""
    asked = [(zone, rdtype) for rdtype in APEX_TYPES] + list(owners)
    per_server, ds = await asyncio.gather(
        asyncio.gather(*(_ask_server(address, zone, asked, timeout) for address in servers)),
        _ask_ds(ds_sources, zone, timeout),
    )
    ds_served = tuple(
        sorted(
            f"{key_tag} {algorithm} {digest_type} {digest}"
            for key_tag, algorithm, digest_type, digest in ds.records(DS)
        )
    )
    ds_error = "" if ds.status in (LookupStatus.OK, LookupStatus.NODATA) else _why(ds)
    return ZoneObservation(
        zone=zone,
        serials=tuple(serial for serial, _ in per_server) if serials else (),
        signatures=tuple(seen for _, signatures in per_server for seen in signatures),
        ds_served=ds_served,
        ds_error=ds_error,
        owners_sampled=len(owners),
    )


def sample_owners(partition: Partition, limit: int = OWNER_SAMPLE) -> list[tuple[str, str]]:
    """Owners and types the control plane publishes in the zone: the most recently changed
    ones (signed last by an incremental signer) and the oldest (signed first)."""
    rows = ZoneRRset.objects.filter(partition=partition)
    newest = list(rows.order_by("-updated_at").values_list("name", "rdtype")[: limit // 2])
    oldest = list(rows.order_by("updated_at").values_list("name", "rdtype")[: limit - len(newest)])
    return list(dict.fromkeys([*newest, *oldest]))


def partitions_health(
    partitions: Sequence[Partition], *, now: datetime | None = None
) -> dict[int, ZoneHealth]:
    """Observe every partition's zone on its servers at once and judge each, by partition id."""
    servers = parse_servers(settings.DANE_DNS_SERVERS)
    resolver = parse_server(settings.DANE_RESOLVER)
    ds_sources = servers if settings.DANE_MX_PARENT_MANAGED and servers else [resolver]

    async def observe_all() -> list[ZoneObservation]:
        return await asyncio.gather(
            *(
                observe_zone(
                    partition.zone,
                    owners,
                    servers or [resolver],
                    ds_sources,
                    timeout=settings.DANE_DNS_TIMEOUT,
                    serials=bool(servers),
                )
                for partition, owners in zip(partitions, samples, strict=True)
            )
        )

    samples = [sample_owners(partition) for partition in partitions]
    observations = asyncio.run(observe_all())
    moment = now or timezone.now()
    return {
        partition.pk: assess(
            observation,
            expected_ds=partition.ds_records,
            baseline=DriftBaseline(
                clean_serial=partition.drift_clean_serial,
                desired_unchanged=partition.drift_clean_digest == desired_digest(partition),
            ),
            now=moment,
            margin=SIGNATURE_REFRESH_MARGIN,
        )
        for partition, observation in zip(partitions, observations, strict=True)
    }

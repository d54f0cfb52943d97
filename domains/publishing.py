"""What a domain publishes in its partition zone, in one place: its MX host name, the host's
A/AAAA records, the TLSA owner ``_25._tcp.<MX host>`` and the TLSA set.

The commands, the worker, key rollover and the inbound status all ask here.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings

from dnsops.backends.base import RRset, RRsetKey
from dnsops.provisioning import TLSA_PREFIX
from domains.models import AcceptedDomain


def mx_host(domain: AcceptedDomain) -> str:
    """The domain's DNSSEC MX host (``<token>.<partition zone>``); the domain is placed."""
    host = domain.dnssec_mx_value
    assert host is not None, f"{domain.name} is not placed on a partition"
    return host


def tlsa_owner_of(host: str) -> str:
    """``_25._tcp.<host>``: where the TLSA records of an MX host live."""
    return f"{TLSA_PREFIX}{host}"


def tlsa_owner(domain: AcceptedDomain) -> str:
    """``_25._tcp.<MX host>`` of a placed domain."""
    return tlsa_owner_of(mx_host(domain))


def host_rrsets(domain: AcceptedDomain) -> list[RRset]:
    """The A and AAAA records of the domain's DNSSEC MX host (``DANE_INBOUND_ADDRESSES``)."""
    host = mx_host(domain)
    v4 = tuple(a for a in settings.DANE_INBOUND_ADDRESSES if ":" not in a)
    v6 = tuple(a for a in settings.DANE_INBOUND_ADDRESSES if ":" in a)
    ttl = settings.DANE_RECORD_TTL
    return [
        RRset(host, rdtype, ttl, rdatas) for rdtype, rdatas in (("A", v4), ("AAAA", v6)) if rdatas
    ]


def host_keys(domain: AcceptedDomain) -> list[RRsetKey]:
    """The keys of every RRset the MX host has: A, AAAA (whether or not configured now)."""
    host = mx_host(domain)
    return [RRsetKey(host, "A"), RRsetKey(host, "AAAA")]


def tlsa_rrset_at(owner: str, records: Sequence[str]) -> RRset:
    """The TLSA RRset at ``owner`` holding ``records`` (the provider's published keys)."""
    return RRset(owner, "TLSA", settings.DANE_RECORD_TTL, tuple(records))


def tlsa_key(domain: AcceptedDomain) -> RRsetKey:
    """The key of the domain's TLSA RRset."""
    return RRsetKey(tlsa_owner(domain), "TLSA")


def owned_names(domain: AcceptedDomain, feature: str) -> list[str]:
    """The owner names a command of ``feature`` (``dnssec`` or ``dane``) changes."""
    if feature == "dnssec":
        return [mx_host(domain), tlsa_owner(domain)]
    return [tlsa_owner(domain)]

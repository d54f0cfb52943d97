"""The MX decision table (EX codes) and the MX part of the DNS section (ED001-ED003), SPEC §5.

E is the expected host (the domain's DnssecMxValue, None while DNSSEC is not enabled
here) and p its preference; when E appears in several MX records its lowest preference
counts. Host names compare case-insensitively, without the trailing root dot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dnsops.checks.catalogue import finding
from dnsops.checks.findings import Finding, SectionResult
from dnsops.dns.types import (
    RESOLVER_FAILURES,
    AddressLookup,
    LookupStatus,
    MxLookup,
    is_below,
    normalize_host,
)


@dataclass(frozen=True)
class ProviderNamespace:
    """The provider's MX host names (``DANE_MX_SUFFIX``, ``DANE_LEGACY_MX_SUFFIXES``)."""

    dnssec_mx_suffix: str
    legacy_mx_suffixes: tuple[str, ...]

    def is_dnssec_host(self, host: str) -> bool:
        """True for a host under the DNSSEC MX suffix (any partition, any token)."""
        return is_below(host, self.dnssec_mx_suffix)

    def is_legacy_host(self, host: str) -> bool:
        """True for a pre-DNSSEC MX host ``<token>.<legacy suffix>``."""
        return any(is_below(host, suffix) for suffix in self.legacy_mx_suffixes)


def expected_host_phrase(domain: str, expected_host: str | None) -> str:
    """E for the messages, or what stands for it while DNSSEC is not enabled."""
    if expected_host is None:
        return (
            "the DnssecMxValue that Enable-DnssecForVerifiedDomain returns for "
            f"{domain} (DNSSEC is not enabled for it here yet)"
        )
    return normalize_host(expected_host)


def evaluate_mx_section(
    domain: str, mx: MxLookup, expected_host: str | None, provider: ProviderNamespace
) -> SectionResult:
    """The MX section: the first row of the decision table that applies, or Passed.

    When the DNS section reports the lookup failure (ED001, ED002) there is nothing to
    judge and the section is NotApplicable.
    """
    if mx.status in RESOLVER_FAILURES or mx.status is LookupStatus.NXDOMAIN:
        return SectionResult.from_findings([], evaluated=False)
    verdict = mx_table_finding(domain, mx, expected_host, provider)
    return SectionResult.from_findings([] if verdict is None else [verdict])


def mx_table_finding(
    domain: str, mx: MxLookup, expected_host: str | None, provider: ProviderNamespace
) -> Finding | None:
    """SPEC §5's table in its order: EX012, EX013, EX010, EX002, EX007, EX003, EX006, EX009,
    EX004, EX008, EX005; None when E is the only MX, at preference 0 (Passed).

    Lookup failures that ED001/ED002 cover reach EX010 here; callers use
    :func:`evaluate_mx_section` to leave them to the DNS section.
    """
    target = expected_host_phrase(domain, expected_host)
    if mx.status is LookupStatus.NODATA or (mx.status is LookupStatus.OK and not mx.records):
        return finding("EX012", domain=domain, expected_host=target)
    if mx.status is LookupStatus.UNREADABLE:
        problem = "returned MX data that cannot be read as MX records"
        return finding("EX013", domain=domain, problem=problem, expected_host=target)
    if any(record.is_null for record in mx.records):
        problem = 'publishes the null MX ("0 ."), which says it accepts no mail'
        return finding("EX013", domain=domain, problem=problem, expected_host=target)
    if mx.status is not LookupStatus.OK:
        return finding("EX010", domain=domain, reason=mx.describe_failure())

    records = sorted({(record.preference, normalize_host(record.host)) for record in mx.records})
    expected = None if expected_host is None else normalize_host(expected_host)
    expected_preferences = [preference for preference, host in records if host == expected]
    others = [(preference, host) for preference, host in records if host != expected]
    if not expected_preferences:
        misdirected = sorted({host for _, host in records if provider.is_dnssec_host(host)})
        if misdirected:
            return finding(
                "EX002",
                domain=domain,
                found_hosts=", ".join(misdirected),
                expected_host=target,
                dnssec_mx_suffix=normalize_host(provider.dnssec_mx_suffix),
            )
        return finding("EX007", domain=domain, expected_host=target)

    preference = min(expected_preferences)
    params = {"domain": domain, "expected_host": target, "preference": preference}
    if not others:
        return None if preference == 0 else finding("EX003", **params)
    more_preferred = [(pref, host) for pref, host in others if pref < preference]
    legacy_first = [(pref, host) for pref, host in more_preferred if provider.is_legacy_host(host)]
    if legacy_first:
        return finding("EX006", other_hosts=_hosts_with_preferences(legacy_first), **params)
    if more_preferred:
        return finding("EX009", other_hosts=_hosts_with_preferences(more_preferred), **params)
    same_preference = [(pref, host) for pref, host in others if pref == preference]
    if same_preference:
        return finding("EX004", other_hosts=_hosts_with_preferences(same_preference), **params)
    if preference != 0:
        return finding("EX008", other_hosts=_hosts_with_preferences(others), **params)
    return finding("EX005", other_hosts=_hosts_with_preferences(others), **params)


def dns_mx_findings(
    domain: str,
    mx: MxLookup,
    host_addresses: Mapping[str, Iterable[AddressLookup]],
    expected_host: str | None,
) -> list[Finding]:
    """ED001 (lookup failed), ED002 (NXDOMAIN) or ED003 (no authentic MX with authentic
    A/AAAA); empty when some MX passes, or when the lookup failed in a way only EX010 covers.

    ``host_addresses`` maps each MX host (as in the MX record) to its A and AAAA lookups.
    """
    if mx.status in RESOLVER_FAILURES:
        return [finding("ED001", domain=domain, reason=mx.describe_failure())]
    if mx.status is LookupStatus.NXDOMAIN:
        return [finding("ED002", domain=domain)]
    if mx.status is LookupStatus.ERROR:
        return []
    reason = _authentic_mx_problem(mx, host_addresses)
    if reason is None:
        return []
    target = expected_host_phrase(domain, expected_host)
    return [finding("ED003", domain=domain, reason=reason, expected_host=target)]


def _authentic_mx_problem(
    mx: MxLookup, host_addresses: Mapping[str, Iterable[AddressLookup]]
) -> str | None:
    """Why no MX is DNSSEC-authentic with DNSSEC-authentic A/AAAA; None if one is."""
    if mx.status is LookupStatus.UNREADABLE:
        return "the MX answer could not be read"
    hosts = sorted(
        {
            (record.preference, normalize_host(record.host))
            for record in mx.records
            if not record.is_null
        }
    )
    if not hosts:
        return "there is no MX record" if not mx.records else 'the only MX is the null MX ("0 .")'
    if not mx.authenticated:
        return "the MX records are not DNSSEC-authentic (the answer was not validated as secure)"
    lookups = {normalize_host(host): tuple(found) for host, found in host_addresses.items()}
    for _, host in hosts:
        if any(_is_authentic_address(lookup) for lookup in lookups.get(host, ())):
            return None
    names = ", ".join(dict.fromkeys(host for _, host in hosts))
    return f"no MX host has DNSSEC-authentic A/AAAA records ({names})"


def _is_authentic_address(lookup: AddressLookup) -> bool:
    """An A or AAAA answer with addresses and the AD bit."""
    return lookup.status is LookupStatus.OK and lookup.authenticated and bool(lookup.addresses)


def _hosts_with_preferences(records: Iterable[tuple[int, str]]) -> str:
    """``a.example (preference 10), b.example (preference 20)``."""
    return ", ".join(f"{host} (preference {preference})" for preference, host in records)

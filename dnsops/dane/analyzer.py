"""The outbound DANE "connectivity analyzer": one destination domain, from MX lookup to verdict.

:func:`validate` feeds :mod:`dnsops.dane.lookups` and :mod:`dnsops.dane.smtp` into the pure
decisions of :mod:`dnsops.dane.policy` in the order RFC 7672 gives: MX; then per host, by
preference, A/AAAA, TLSA and a session with each address (STARTTLS with SNI, the presented
chain matched by :func:`dnsops.dane.verify.verify_chain`), until one delivers. Every step is
recorded with its timing, and the whole run stays within the configured time limit. It is all
asyncio: :func:`validate_many` runs many destinations at once over one DNS client.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from dnsops.addresses import is_public_address
from dnsops.dane.lookups import DaneResolver
from dnsops.dane.names import certificate_names
from dnsops.dane.policy import (
    Destination,
    DestinationDecision,
    DestinationMx,
    Disposition,
    HostOutcome,
    HostPlan,
    Requirement,
    SessionOutcome,
    decide_destination,
    host_outcome,
    plan_host,
    resolve_destination,
    tlsa_base_candidates,
)
from dnsops.dane.retry import expires_at, next_attempt, status_code_for
from dnsops.dane.smtp import SessionResult, SmtpLimits, smtp_session
from dnsops.dane.tlsa import Selector, Usage, selected_content
from dnsops.dane.trace import Deadline, Step, Trace
from dnsops.dane.verify import ChainVerification, verify_chain
from dnsops.dns.client import ResolverClient
from dnsops.dns.types import LookupSecurity, MxRecord


@dataclass(frozen=True)
class AnalyzerConfig:
    """Where to resolve and connect, and the limits of one validation.

    ``port`` replaces 25 for the TCP connection only (tests); ``allow_private_addresses``
    permits connecting to loopback, private and other non-public addresses; ``max_hosts`` and
    ``max_addresses`` (per host) bound the sessions one destination can cause;
    ``every_address`` tries each address of a host even after one delivers (a server pool
    where one member serves a stale certificate).
    """

    resolver: tuple[str, int]
    ehlo_name: str
    port: int = 25
    dns_timeout: float = 3.0
    total_timeout: float = 30.0
    smtp: SmtpLimits = field(default_factory=SmtpLimits)
    allow_private_addresses: bool = False
    max_hosts: int = 10
    max_addresses: int = 4
    every_address: bool = False


@dataclass(frozen=True)
class SessionReport:
    """One address of a host: its session, the chain verification (DANE only), the outcome."""

    address: str
    session: SessionResult
    verification: ChainVerification | None
    outcome: HostOutcome


@dataclass(frozen=True)
class HostReport:
    """One MX host: its plan and, unless skipped, a session per address tried."""

    plan: HostPlan
    addresses: tuple[str, ...]
    outcomes: tuple[HostOutcome, ...]
    sessions: tuple[SessionReport, ...] = ()


@dataclass(frozen=True)
class ValidationReport:
    """The whole validation of one destination."""

    domain: str
    port: int
    mx: DestinationMx
    destination: Destination
    hosts: tuple[HostReport, ...]
    decision: DestinationDecision
    steps: tuple[Step, ...]
    started_at: datetime
    finished_at: datetime
    milliseconds: float

    @property
    def status_code(self) -> str | None:
        """The enhanced status code of the first attempt (4.x.x while retried, else 5.x.x)."""
        return status_code_for(self.decision.verdict, self.started_at, self.started_at)

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON: verdict and codes, the hosts and sessions, every step."""
        verdict = self.decision.verdict
        retried = self.decision.disposition is Disposition.DEFERRED
        return {
            "domain": self.domain,
            "port": self.port,
            "verdict": verdict.value,
            "disposition": self.decision.disposition.value,
            "status_code": self.status_code,
            "permanent_status_code": verdict.info.permanent_code,
            "tlsrpt_result_type": verdict.info.tlsrpt_result_type,
            "summary": verdict.info.summary,
            "reason": self.decision.reason,
            "match": self._match(),
            "mx": {
                "security": self.mx.security.value,
                "implicit_mx": self.destination.implicit_mx,
                "canonical_name": self.destination.canonical_name,
                "hosts": list(self.destination.hosts),
                "reason": self.destination.reason,
            },
            "hosts": [_host_dict(host) for host in self.hosts],
            "retry": {
                "next_attempt_at": _iso(next_attempt(self.started_at, self.started_at)),
                "expires_at": _iso(expires_at(self.started_at)),
            }
            if retried
            else None,
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "milliseconds": self.milliseconds,
            "steps": [step.as_dict() for step in self.steps],
        }

    def _match(self) -> dict[str, Any] | None:
        """Which TLSA record matched which certificate, for the host the decision names."""
        outcome = self.decision.host_outcome
        if outcome is None or outcome.match is None:
            return None
        verification = next(
            (
                session.verification
                for host in self.hosts
                for session in host.sessions
                if session.outcome is outcome
            ),
            None,
        )
        record = outcome.match.record
        return {
            "host": outcome.host,
            "address": outcome.address,
            "record": record.to_text(),
            "usage": Usage(record.usage).name.replace("_", "-"),
            "depth": outcome.match.depth,
            "presented_index": outcome.match.presented_index,
            "matched_name": verification.matched_name if verification else None,
        }


@contextlib.asynccontextmanager
async def _dns_client(
    config: AnalyzerConfig, client: ResolverClient | None
) -> AsyncIterator[ResolverClient]:
    """``client``, or a client of one socket opened for one validation."""
    if client is not None:
        yield client
        return
    async with ResolverClient(config.resolver, timeout=config.dns_timeout, sockets=1) as own:
        yield own


async def validate(
    domain: str, config: AnalyzerConfig, *, client: ResolverClient | None = None
) -> ValidationReport:
    """Validate outbound DANE for ``domain`` (an A-label name) within ``config.total_timeout``,
    asking through ``client`` (an open one; by default, one of its own)."""
    started_at, started = datetime.now(UTC), time.perf_counter()
    trace = Trace()
    deadline = Deadline(config.total_timeout)
    async with _dns_client(config, client) as dns_client:
        resolver = DaneResolver(
            dns_client, timeout=config.dns_timeout, deadline=deadline, trace=trace
        )
        mx = await resolver.mx(domain)
        destination = resolve_destination(domain, mx)
        trace.add("destination", destination.verdict or "hosts", destination.reason)
        return await _deliver(
            mx, destination, resolver, config, deadline, trace, started_at, started
        )


async def validate_host(host: str, config: AnalyzerConfig) -> ValidationReport:
    """Validate one mail server name as if a DNSSEC-signed MX record named it: its addresses,
    its TLSA records and the certificate each address serves (the provider's own MX hosts,
    for Get-SmtpDaneInboundStatus)."""
    started_at, started = datetime.now(UTC), time.perf_counter()
    trace = Trace()
    deadline = Deadline(config.total_timeout)
    mx = DestinationMx(LookupSecurity.SECURE, (MxRecord(0, host),))
    destination = Destination(
        host, f"{host} is checked as a signed MX record's host.", hosts=(host,), mx_secure=True
    )
    trace.add("destination", "hosts", destination.reason)
    async with _dns_client(config, None) as dns_client:
        resolver = DaneResolver(
            dns_client, timeout=config.dns_timeout, deadline=deadline, trace=trace
        )
        return await _deliver(
            mx, destination, resolver, config, deadline, trace, started_at, started
        )


async def _deliver(
    mx: DestinationMx,
    destination: Destination,
    resolver: DaneResolver,
    config: AnalyzerConfig,
    deadline: Deadline,
    trace: Trace,
    started_at: datetime,
    started: float,
) -> ValidationReport:
    """Try the destination's hosts in order until one delivers, then decide."""
    hosts: list[HostReport] = []
    outcomes: list[HostOutcome] = []
    for index, host in enumerate(destination.hosts):
        if index == config.max_hosts:
            left = len(destination.hosts) - index
            trace.add("limit", "stopped", f"only {index} MX hosts are tried; {left} not tried")
            break
        if outcomes and deadline.expired:
            trace.add("limit", "stopped", _time_limit_text(deadline, destination.hosts[index:]))
            break
        report = await _host(destination, host, resolver, config, deadline, trace)
        hosts.append(report)
        outcomes.extend(report.outcomes)
        if any(outcome.delivers for outcome in report.outcomes):
            break
    decision = decide_destination(destination, outcomes)
    trace.add("decision", decision.verdict, f"{decision.disposition}: {decision.reason}")
    return ValidationReport(
        domain=destination.domain,
        port=config.port,
        mx=mx,
        destination=destination,
        hosts=tuple(hosts),
        decision=decision,
        steps=tuple(trace.steps),
        started_at=started_at,
        finished_at=datetime.now(UTC),
        milliseconds=round((time.perf_counter() - started) * 1000, 1),
    )


async def validate_many(
    domains: Iterable[str], config: AnalyzerConfig, *, concurrency: int = 50
) -> list[ValidationReport]:
    """Validate many destinations at once, at most ``concurrency`` at a time, in input order,
    over one DNS client."""
    slots = asyncio.Semaphore(concurrency)
    async with ResolverClient(config.resolver, timeout=config.dns_timeout) as client:

        async def one(domain: str) -> ValidationReport:
            async with slots:
                return await validate(domain, config, client=client)

        return list(await asyncio.gather(*(one(domain) for domain in domains)))


async def _host(
    destination: Destination,
    host: str,
    resolver: DaneResolver,
    config: AnalyzerConfig,
    deadline: Deadline,
    trace: Trace,
) -> HostReport:
    """Look up one host, plan its session, and try its addresses until one delivers."""
    addresses = await resolver.addresses(host)
    candidates = tlsa_base_candidates(destination, host, addresses)
    selection = await resolver.tlsa_selection(candidates, host=host) if candidates else None
    plan = plan_host(destination, host, addresses, selection)
    trace.add("plan", plan.requirement, plan.reason, host=host)
    if plan.requirement is Requirement.SKIP:
        outcome = host_outcome(plan)
        trace.add("outcome", outcome.verdict, outcome.reason, host=host)
        return HostReport(plan, addresses.addresses, (outcome,))
    sessions: list[SessionReport] = []
    for address in addresses.addresses[: config.max_addresses]:
        if sessions and deadline.expired:
            trace.add("limit", "stopped", _time_limit_text(deadline, [address]), host=host)
            break
        session = await _session(plan, address, config, deadline, trace)
        sessions.append(session)
        if session.outcome.delivers and not config.every_address:
            break
    else:
        left = len(addresses.addresses) - config.max_addresses
        if left > 0:
            detail = f"only {config.max_addresses} addresses of {host} are tried; {left} not tried"
            trace.add("limit", "stopped", detail, host=host)
    return HostReport(
        plan,
        addresses.addresses,
        tuple(session.outcome for session in sessions),
        tuple(sessions),
    )


async def _session(
    plan: HostPlan, address: str, config: AnalyzerConfig, deadline: Deadline, trace: Trace
) -> SessionReport:
    """The SMTP session with one address of a host, the chain check, and the outcome."""
    if config.allow_private_addresses or is_public_address(address):
        session = await smtp_session(
            address,
            config.port,
            host=plan.host,
            sni=plan.tlsa_base or plan.host,
            ehlo_name=config.ehlo_name,
            limits=config.smtp,
            deadline=deadline,
            trace=trace,
        )
    else:
        detail = f"{address} is not a public address; this service does not connect to it"
        trace.add("connect", "not-allowed", detail, host=plan.host, address=address)
        session = SessionResult(SessionOutcome.CONNECTION_FAILED, detail)
    verification = None
    if plan.requirement is Requirement.DANE and session.outcome is SessionOutcome.TLS_ESTABLISHED:
        started = time.perf_counter()
        verification = verify_chain(
            session.chain,
            plan.records,
            reference_identifiers=plan.reference_identifiers,
            now=datetime.now(UTC),
        )
        trace.add(
            "verify",
            verification.verdict,
            verification.reason,
            started=started,
            host=plan.host,
            address=address,
        )
    failed = session.outcome is not SessionOutcome.TLS_ESTABLISHED
    outcome = host_outcome(
        plan,
        session.outcome,
        verification,
        address=address,
        session_detail=session.detail if failed else None,
    )
    trace.add("outcome", outcome.verdict, outcome.reason, host=plan.host, address=address)
    return SessionReport(address, session, verification, outcome)


def _time_limit_text(deadline: Deadline, not_tried: Iterable[str]) -> str:
    """Why the rest is not tried."""
    return (
        f"the validation's time limit of {deadline.seconds:g} s is reached; not tried: "
        f"{', '.join(not_tried)}"
    )


def _host_dict(host: HostReport) -> dict[str, Any]:
    """One host of the report as JSON."""
    plan = host.plan
    return {
        "host": plan.host,
        "requirement": plan.requirement.value,
        "reason": plan.reason,
        "addresses": list(host.addresses),
        "tlsa_base": plan.tlsa_base,
        "tlsa_records": [record.to_text() for record in plan.records],
        "reference_identifiers": list(plan.reference_identifiers),
        "verdict": host.outcomes[-1].verdict.value,
        "sessions": [
            {
                "address": session.address,
                "session": session.session.outcome.value,
                "detail": session.session.detail,
                "tls_version": session.session.tls_version,
                "cipher": session.session.cipher,
                "chain": [_certificate_dict(certificate) for certificate in session.session.chain],
                "verdict": session.outcome.verdict.value,
                "reason": session.outcome.reason,
            }
            for session in host.sessions
        ],
    }


def _certificate_dict(certificate: x509.Certificate) -> dict[str, Any]:
    """A presented certificate as an administrator needs it to write TLSA records."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    return {
        "subject": certificate.subject.rfc4514_string(),
        "issuer": certificate.issuer.rfc4514_string(),
        "names": _names(certificate),
        "not_before": _iso(certificate.not_valid_before_utc),
        "not_after": _iso(certificate.not_valid_after_utc),
        "sha256": hashlib.sha256(der).hexdigest(),
        "spki_sha256": _spki_sha256(certificate),
    }


def _names(certificate: x509.Certificate) -> list[str]:
    """The DNS names of a certificate; none when its extensions cannot be read."""
    try:
        return list(certificate_names(certificate))
    except ValueError:
        return []


def _spki_sha256(certificate: x509.Certificate) -> str | None:
    """SHA-256 of the SubjectPublicKeyInfo (the ``3 1 1`` data), if the key can be read."""
    try:
        return hashlib.sha256(selected_content(certificate, Selector.SPKI)).hexdigest()
    except (UnsupportedAlgorithm, ValueError):
        return None


def _iso(moment: datetime | None) -> str | None:
    """A time as ISO 8601."""
    return moment.isoformat() if moment else None

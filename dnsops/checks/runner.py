"""The I/O side of Get-DnssecStatusForVerifiedDomain: gather what :func:`evaluate` needs.

For each domain the runner asks the validating resolver (:mod:`dnsops.dns.client`), in as few
round trips as it can:

1. at once: MX, ``_mta-sts`` TXT and ``_smtp._tls`` TXT at the domain, and A/AAAA of the
   expected host (usually one of the MX hosts);
2. A/AAAA of every other MX host (at most :data:`MAX_MX_HOSTS`); the zone's DNSKEY and DS,
   at the apex named by the MX answer's RRSIG signer or SOA (an SOA query first when the
   answer does not say); after a SERVFAIL, the MX again with CD set, to tell bogus data from
   unreachable servers, and DNSKEY with CD; meanwhile, when ``_mta-sts`` holds a valid
   record, the policy is fetched over HTTPS from ``mta-sts.<domain>``
   (:mod:`dnsops.checks.mta_sts_fetch`, the policy host resolved through the same client).

Every step has a time limit, and a whole check is bounded by ``check_timeout``.

The resolver is ours, not the customer's: when the domain's MX lookup gets no answer
(time-out, SERVFAIL, REFUSED), the runner asks the resolver for a name known to resolve
(``probe_name``, the provider's own DNSSEC MX suffix; one probe shared by the checks of a few
seconds). When that fails too, the check is a :class:`CheckFailure` with
``resolver_unavailable`` set, not findings that blame the customer's DNS.

:meth:`Checker.check_all` checks many domains with at most ``concurrency`` in flight and
yields each result as soon as it is ready; :func:`check_stream` does the same from
synchronous code (Django, Celery) with the event loop in a helper thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from dnsops.addresses import parse_server
from dnsops.checks.dnssec import ZoneDnssecEvidence
from dnsops.checks.mta_sts import POLICY_SIZE_LIMIT, PolicyFetch, read_sts_txt
from dnsops.checks.mta_sts_fetch import PolicyFetcher, TrustStoreUnavailable
from dnsops.checks.mx import ProviderNamespace
from dnsops.checks.status import DomainGate, Observations, StatusResult, evaluate
from dnsops.dns.client import ResolverClient, address_lookup, mx_lookup, txt_lookup
from dnsops.dns.types import (
    AAAA,
    DNSKEY,
    DS,
    MX,
    SOA,
    TXT,
    A,
    Answer,
    LookupStatus,
    answers_without_validation,
    normalize_host,
)

logger = logging.getLogger(__name__)

#: MX hosts whose addresses are looked up (a hostile MX RRset cannot make a check explode).
MAX_MX_HOSTS = 16

_ABSENT = (LookupStatus.NODATA, LookupStatus.NXDOMAIN)
#: MX answers after which the runner makes sure its own resolver still answers.
_NO_ANSWER = (LookupStatus.TIMEOUT, LookupStatus.SERVFAIL, LookupStatus.REFUSED)
#: Answers to the probe that show a working resolver (it resolved the name, or denied it).
_ANSWERED = (LookupStatus.OK, LookupStatus.NODATA, LookupStatus.NXDOMAIN)
#: Seconds one probe of the resolver stands for the checks that follow it.
PROBE_REUSE = 5.0
_NO_ZONE_EVIDENCE = (
    LookupStatus.NXDOMAIN,
    LookupStatus.TIMEOUT,
    LookupStatus.REFUSED,
    LookupStatus.ERROR,
)


@dataclass(frozen=True)
class RunnerConfig:
    """Where to look and how long to wait."""

    resolver: tuple[str, int]
    provider: ProviderNamespace
    dns_timeout: float = 3.0
    policy_port: int = 443
    policy_ca_bundle: str | None = None
    policy_timeout: float = 10.0
    policy_size_limit: int = POLICY_SIZE_LIMIT
    policy_private_addresses: bool = False
    check_timeout: float = 20.0
    probe_name: str | None = None  # None: the provider's DNSSEC MX suffix
    concurrency: int = 1000
    sockets: int = 8
    max_in_flight: int = 128

    @classmethod
    def from_settings(cls, **overrides: Any) -> RunnerConfig:
        """The configuration from Django settings (``DANE_*``), with ``overrides``."""
        from django.conf import settings

        values: dict[str, Any] = {
            "resolver": parse_server(settings.DANE_RESOLVER),
            "provider": ProviderNamespace(
                dnssec_mx_suffix=settings.DANE_MX_SUFFIX,
                legacy_mx_suffixes=tuple(settings.DANE_LEGACY_MX_SUFFIXES),
            ),
            "dns_timeout": settings.DANE_DNS_TIMEOUT,
            "policy_port": settings.DANE_MTA_STS_PORT,
            "policy_ca_bundle": settings.DANE_MTA_STS_CA_BUNDLE,
            "policy_timeout": settings.DANE_MTA_STS_TIMEOUT,
            "policy_private_addresses": settings.DANE_MTA_STS_ALLOW_PRIVATE_ADDRESSES,
            "check_timeout": settings.DANE_CHECK_TIMEOUT,
            "probe_name": settings.DANE_RESOLVER_PROBE_NAME or None,
            "max_in_flight": settings.DANE_CHECK_MAX_IN_FLIGHT,
        }
        return cls(**{**values, **overrides})


@dataclass(frozen=True)
class CheckTarget:
    """One verified domain to check, as plain data; ``key`` is the caller's (a row id)."""

    key: int
    domain: str
    dnssec_state: str
    expected_host: str | None
    tlsrpt_rua: str | None = None  # the provider's report URI for the domain, for ET001/ET002


@dataclass(frozen=True)
class CheckOutcome:
    """The status of one domain and how the check went."""

    target: CheckTarget
    result: StatusResult
    started_at: datetime
    finished_at: datetime
    duration: float
    dns_queries: int


class FailureKind(StrEnum):
    """Why a check produced no result: none of them is the customer's doing."""

    TIMED_OUT = "timed_out"  # the check's time limit ran out
    RESOLVER_UNAVAILABLE = (
        "resolver_unavailable"  # our resolver answers nothing, not even the probe
    )
    MISCONFIGURED = "misconfigured"  # the service's own set-up (its CA bundle cannot be loaded)
    ERROR = "error"  # a bug


@dataclass(frozen=True)
class CheckFailure:
    """A check that produced no result, and why."""

    target: CheckTarget
    error: str
    kind: FailureKind = FailureKind.ERROR


class ResolverUnavailable(Exception):
    """Our own resolver answers neither the domain's lookups nor a name known to resolve."""


class _Session:
    """The queries of one check, counted."""

    def __init__(self, client: ResolverClient) -> None:
        self.client = client
        self.queries = 0

    def query(self, name: str, rdtype: int, *, cd: bool = False) -> asyncio.Future[Answer]:
        self.queries += 1
        return self.client.query(name, rdtype, cd=cd)


class Checker:
    """A resolver client and a policy fetcher shared by many checks; an async context manager."""

    def __init__(
        self, config: RunnerConfig, *, on_query: Callable[[str, int, bool], None] | None = None
    ) -> None:
        self.config = config
        self.dns = ResolverClient(
            config.resolver,
            timeout=config.dns_timeout,
            sockets=config.sockets,
            max_in_flight=config.max_in_flight,
            on_query=on_query,
        )
        self.policies = PolicyFetcher(
            port=config.policy_port,
            ca_bundle=config.policy_ca_bundle,
            timeout=config.policy_timeout,
            size_limit=config.policy_size_limit,
            private_addresses=config.policy_private_addresses,
        )
        self._stack = contextlib.AsyncExitStack()
        self._probe: asyncio.Future[Answer] | None = None
        self._probe_at = 0.0

    async def __aenter__(self) -> Checker:
        """Open the resolver's sockets and the HTTPS client."""
        await self._stack.enter_async_context(self.dns)
        await self._stack.enter_async_context(self.policies)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Close both clients."""
        await self._stack.aclose()

    async def check(self, target: CheckTarget) -> CheckOutcome:
        """Observe ``target`` and evaluate it; raises ``TimeoutError`` past ``check_timeout``."""
        started_at = datetime.now(UTC)
        start = time.monotonic()
        session = _Session(self.dns)
        async with asyncio.timeout(self.config.check_timeout):
            observations = await self._observe(target, session, started_at)
            if observations.mx.status in _NO_ANSWER and not await self._resolver_answers():
                raise ResolverUnavailable(
                    f"the validating resolver {self.config.resolver[0]}:"
                    f"{self.config.resolver[1]} answered neither {target.domain} "
                    f"({observations.mx.status.value}) nor {self.probe_name}"
                )
        result = evaluate(
            target.domain,
            gate=DomainGate.VERIFIED,
            dnssec_feature_status=target.dnssec_state,
            expected_host=target.expected_host,
            observations=observations,
            provider=self.config.provider,
            tlsrpt_rua_hint=target.tlsrpt_rua,
        )
        return CheckOutcome(
            target, result, started_at, datetime.now(UTC), time.monotonic() - start, session.queries
        )

    @property
    def probe_name(self) -> str:
        """The name that tells our resolver's failure from the customer's."""
        return self.config.probe_name or self.config.provider.dnssec_mx_suffix

    async def _resolver_answers(self) -> bool:
        """Whether our resolver resolves the probe name (one probe per :data:`PROBE_REUSE`
        seconds, shared by the checks meanwhile)."""
        now = time.monotonic()
        if self._probe is None or now - self._probe_at > PROBE_REUSE:
            self._probe, self._probe_at = self.dns.query(self.probe_name, SOA), now
        return (await asyncio.shield(self._probe)).status in _ANSWERED

    async def check_all(
        self, targets: Iterable[CheckTarget]
    ) -> AsyncIterator[CheckOutcome | CheckFailure]:
        """Check every target, ``concurrency`` at a time, yielding each result when ready."""
        finished: asyncio.Queue[CheckOutcome | CheckFailure] = asyncio.Queue()
        remaining = iter(targets)
        running = 0

        def start_next() -> bool:
            target = next(remaining, None)
            if target is None:
                return False
            task = asyncio.ensure_future(self.check_or_fail(target))
            task.add_done_callback(lambda done: finished.put_nowait(done.result()))
            return True

        while running < self.config.concurrency and start_next():
            running += 1
        while running:
            item = await finished.get()
            running -= 1
            if start_next():
                running += 1
            yield item

    async def check_or_fail(self, target: CheckTarget) -> CheckOutcome | CheckFailure:
        """:meth:`check`, with a time-out or an unexpected error as a :class:`CheckFailure`."""
        try:
            return await self.check(target)
        except TimeoutError:
            return CheckFailure(
                target, f"no result within {self.config.check_timeout:g} s", FailureKind.TIMED_OUT
            )
        except ResolverUnavailable as exc:
            return CheckFailure(target, str(exc), FailureKind.RESOLVER_UNAVAILABLE)
        except TrustStoreUnavailable as exc:
            logger.error("status check impossible", extra={"error": str(exc)})
            return CheckFailure(target, str(exc), FailureKind.MISCONFIGURED)
        except Exception as exc:
            logger.exception("status check failed", extra={"domain": target.domain})
            return CheckFailure(target, f"{type(exc).__name__}: {exc}")

    async def _observe(
        self, target: CheckTarget, session: _Session, observed_at: datetime
    ) -> Observations:
        domain = target.domain
        mx_query = session.query(domain, MX)
        sts_query = session.query(f"_mta-sts.{domain}", TXT)
        tlsrpt_query = session.query(f"_smtp._tls.{domain}", TXT)
        host_queries: dict[str, tuple[asyncio.Future[Answer], asyncio.Future[Answer]]] = {}
        if target.expected_host is not None:
            expected = normalize_host(target.expected_host)
            host_queries[expected] = (session.query(expected, A), session.query(expected, AAAA))

        mx_answer = await mx_query
        mx = mx_lookup(mx_answer)
        mx_hosts = list(
            dict.fromkeys(
                normalize_host(record.host) for record in mx.records if not record.is_null
            )
        )[:MAX_MX_HOSTS]
        for host in mx_hosts:
            if host not in host_queries:
                host_queries[host] = (session.query(host, A), session.query(host, AAAA))
        sts_txt = txt_lookup(await sts_query)
        policy_fetch: asyncio.Task[PolicyFetch] | None = None
        if sts_txt.status is LookupStatus.OK and read_sts_txt(sts_txt.records).record is not None:
            policy_fetch = asyncio.ensure_future(self.policies.fetch(domain, session.query))
        try:
            zone = await self._zone_evidence(domain, mx_answer, session)
            addresses = {}
            for host in mx_hosts:
                a, aaaa = host_queries[host]
                addresses[host] = (address_lookup(await a, A), address_lookup(await aaaa, AAAA))
            tlsrpt = txt_lookup(await tlsrpt_query)
            policy = None if policy_fetch is None else await policy_fetch
        finally:
            if policy_fetch is not None:
                policy_fetch.cancel()
        return Observations(
            observed_at=observed_at,
            mx=mx,
            mx_host_addresses=addresses,
            zone=zone,
            mta_sts_txt=sts_txt,
            mta_sts_policy=policy,
            tlsrpt_txt=tlsrpt,
        )

    async def _zone_evidence(
        self, domain: str, mx_answer: Answer, session: _Session
    ) -> ZoneDnssecEvidence:
        """DNSKEY, DS and signature expirations of the zone that holds ``domain``."""
        if mx_answer.status in _NO_ZONE_EVIDENCE:
            return ZoneDnssecEvidence()
        apex_answer, checking_disabled, without_validation = mx_answer, False, None
        if mx_answer.status is LookupStatus.SERVFAIL:
            checking_disabled = True
            apex_answer = await session.query(domain, MX, cd=True)
            without_validation = answers_without_validation(apex_answer)
            if apex_answer.status not in (LookupStatus.OK, LookupStatus.NODATA):
                # No data of the domain's own zone to read (a denial, or no answer at all).
                return ZoneDnssecEvidence(answers_without_validation=without_validation)
        answers = [apex_answer]
        apex = apex_answer.zone_apex()
        if apex is None:
            # No signature and no SOA in the answer: guess that the domain is the apex, and
            # ask the SOA meanwhile to find out.
            soa_query = session.query(domain, SOA)
            keys_query = session.query(domain, DNSKEY, cd=checking_disabled)
            ds_query = session.query(domain, DS)
            soa = await soa_query
            answers.append(soa)
            apex = soa.zone_apex() or domain
            if normalize_host(apex) != normalize_host(domain):
                keys_query = session.query(apex, DNSKEY, cd=checking_disabled)
                ds_query = session.query(apex, DS)
        else:
            keys_query = session.query(apex, DNSKEY, cd=checking_disabled)
            ds_query = session.query(apex, DS)
        keys, ds = await keys_query, await ds_query
        answers.append(keys)
        signer = normalize_host(apex)
        return ZoneDnssecEvidence(
            dnskey_published=_presence(keys),
            dnskey_algorithms=tuple(sorted({key[1] for key in keys.records(DNSKEY)})),
            ds_at_parent=_presence(ds),
            ds_digest_types=tuple(sorted({record[2] for record in ds.records(DS)})),
            answers_without_validation=without_validation,
            signature_expirations=tuple(
                signature.expiration
                for answer in answers
                for signature in answer.signatures()
                if normalize_host(signature.signer) == signer
            ),
        )


def _presence(answer: Answer) -> bool | None:
    """True if the answer has records, False if the name or type does not exist, None if the
    lookup failed."""
    if answer.status is LookupStatus.OK:
        return True
    return False if answer.status in _ABSENT else None


@dataclass
class DnsStats:
    """What the resolver client of a stream did: queries, retransmissions, time-outs, TCP."""

    queries: int = 0
    retransmits: int = 0
    timeouts: int = 0
    tcp_fallbacks: int = 0


def check_stream(
    targets: Iterable[CheckTarget], config: RunnerConfig, stats: DnsStats | None = None
) -> Iterator[CheckOutcome | CheckFailure]:
    """Check ``targets`` on an event loop in a helper thread, yielding each result as it
    completes, so the caller (synchronous Django code) can store results meanwhile.

    ``stats``, when given, holds the resolver client's counters once the stream is done.
    """
    results: queue.SimpleQueue[CheckOutcome | CheckFailure | BaseException | None] = (
        queue.SimpleQueue()
    )

    async def produce() -> None:
        async with Checker(config) as checker:
            async for item in checker.check_all(targets):
                results.put(item)
        if stats is not None:
            client = checker.dns
            stats.queries, stats.retransmits = client.sent, client.retransmits
            stats.timeouts, stats.tcp_fallbacks = client.timeouts, client.tcp_fallbacks

    def run() -> None:
        try:
            asyncio.run(produce())
        except BaseException as exc:
            results.put(exc)
        finally:
            results.put(None)

    thread = threading.Thread(target=run, name="status-checks", daemon=True)
    thread.start()
    while (item := results.get()) is not None:
        if isinstance(item, BaseException):
            raise item
        yield item
    thread.join()


#: What a lookup run beside a check (:func:`check_one_beside`) gives.
T = TypeVar("T")


def check_one_beside(
    target: CheckTarget, config: RunnerConfig, beside: Coroutine[Any, Any, T]
) -> tuple[CheckOutcome | CheckFailure, T | None]:
    """Check one domain now while ``beside`` (another lookup the caller keeps with the run)
    runs in the same event loop: the time of the slower of the two, not their sum. A check
    that fails cancels ``beside`` (its result is then None: nothing is stored)."""

    async def run() -> tuple[CheckOutcome | CheckFailure, T | None]:
        other = asyncio.ensure_future(beside)
        try:
            async with Checker(config) as checker:
                outcome = await checker.check_or_fail(target)
            if isinstance(outcome, CheckFailure):
                return outcome, None
            return outcome, await other
        finally:
            if not other.done():
                other.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await other

    return asyncio.run(run())

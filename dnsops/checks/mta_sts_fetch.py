"""The MTA-STS policy fetch over HTTPS (RFC 8461 §3.3), for the status checks.

:meth:`PolicyFetcher.fetch` resolves ``mta-sts.<domain>`` through the caller's DNS client,
connects to its addresses in turn on ``port``, validates the certificate for
``mta-sts.<domain>`` (SNI and host name), does not follow redirects, reads at most one byte
more than the size limit, and keeps no connection open (connections are never reused across
hosts). Non-public addresses are not connected to unless allowed. The whole fetch is bounded
by ``timeout``; what happened is a :class:`dnsops.checks.mta_sts.PolicyFetch` for the pure
evaluation.

The CA bundle (``ca_bundle``) is the service's own: when it cannot be loaded (deleted or
damaged after start-up), a fetch raises :class:`TrustStoreUnavailable` rather than report a
certificate failure of the customer's host.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Awaitable, Callable

import httpx

from dnsops.addresses import is_public_address
from dnsops.checks.mta_sts import POLICY_SIZE_LIMIT, FetchOutcome, PolicyFetch
from dnsops.dns.client import address_lookup
from dnsops.dns.types import AAAA, A, Answer, LookupStatus

POLICY_PATH = "/.well-known/mta-sts.txt"
USER_AGENT = "DANE-Admin status check (MTA-STS policy fetch)"

#: Ask the resolver for a name and type (the check's counted DNS session).
Resolve = Callable[[str, int], Awaitable[Answer]]

_ABSENT = (LookupStatus.NODATA, LookupStatus.NXDOMAIN)


class TrustStoreUnavailable(Exception):
    """The service's CA bundle for policy hosts cannot be loaded: no policy can be checked."""


class PolicyFetcher:
    """An HTTPS client for MTA-STS policies shared by many checks; an async context manager."""

    def __init__(
        self,
        *,
        port: int = 443,
        ca_bundle: str | None = None,
        timeout: float = 10.0,
        size_limit: int = POLICY_SIZE_LIMIT,
        private_addresses: bool = False,
    ) -> None:
        self.port = port
        self.ca_bundle = ca_bundle
        self.timeout = timeout
        self.size_limit = size_limit
        self.private_addresses = private_addresses
        self._stack = contextlib.AsyncExitStack()
        self._http: httpx.AsyncClient | None = None
        self._trust_error: str | None = None

    async def __aenter__(self) -> PolicyFetcher:
        """Open the HTTPS client (without one when the CA bundle cannot be loaded)."""
        try:
            context = ssl.create_default_context(cafile=self.ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            self._trust_error = f"the CA bundle {self.ca_bundle} cannot be loaded: {reason}"
            return self
        self._http = await self._stack.enter_async_context(
            httpx.AsyncClient(
                verify=context,
                follow_redirects=False,
                trust_env=False,
                limits=httpx.Limits(max_keepalive_connections=0),
                timeout=httpx.Timeout(self.timeout),
                headers={"User-Agent": USER_AGENT, "Connection": "close"},
            )
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Close the HTTPS client."""
        await self._stack.aclose()

    async def fetch(self, domain: str, resolve: Resolve) -> PolicyFetch:
        """GET ``https://mta-sts.<domain>/.well-known/mta-sts.txt`` within the time limit,
        resolving the policy host with ``resolve``; :class:`TrustStoreUnavailable` when the
        CA bundle could not be loaded."""
        if self._trust_error is not None:
            raise TrustStoreUnavailable(self._trust_error)
        host = f"mta-sts.{domain}"
        limit = self.timeout
        try:
            async with asyncio.timeout(limit):
                a_query, aaaa_query = resolve(host, A), resolve(host, AAAA)
                found = [await a_query, await aaaa_query]
                addresses = [
                    str(address)
                    for answer, rdtype in zip(found, (A, AAAA), strict=True)
                    for address in answer.records(rdtype)
                ]
                if not addresses:
                    return PolicyFetch(FetchOutcome.HOST_NOT_FOUND, detail=_why_unresolved(found))
                reachable = [
                    address
                    for address in addresses
                    if self.private_addresses or is_public_address(address)
                ]
                if not reachable:  # a customer's DNS must not make us probe private networks
                    return PolicyFetch(
                        FetchOutcome.CONNECTION_FAILED,
                        detail=f"{host} has only non-public addresses ({', '.join(addresses)}); "
                        "senders on the internet cannot reach them either",
                    )
                fetch = PolicyFetch(FetchOutcome.CONNECTION_FAILED)
                for address in reachable:
                    fetch = await self._get_policy(host, address)
                    if fetch.outcome is not FetchOutcome.CONNECTION_FAILED:
                        break
                return fetch
        except TimeoutError:
            return PolicyFetch(
                FetchOutcome.TIMEOUT, detail=f"no complete answer within {limit:g} s"
            )

    async def _get_policy(self, host: str, address: str) -> PolicyFetch:
        """One HTTPS GET of the policy from ``address``, as ``host``."""
        assert self._http is not None, "use the fetcher as an async context manager"
        port = self.port
        netloc = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
        headers = {"Host": host if port == 443 else f"{host}:{port}"}
        limit = self.size_limit
        try:
            async with self._http.stream(
                "GET",
                f"https://{netloc}{POLICY_PATH}",
                headers=headers,
                extensions={"sni_hostname": host},
            ) as response:
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > limit:
                        break
                location = response.headers.get("location")
                return PolicyFetch(
                    FetchOutcome.RESPONSE,
                    status_code=response.status_code,
                    content_type=response.headers.get("content-type"),
                    body=bytes(body[: limit + 1]),
                    detail=f"a redirect to {location}" if response.is_redirect and location else "",
                )
        except httpx.TimeoutException:
            return PolicyFetch(FetchOutcome.TIMEOUT, detail=f"{address}: timed out")
        except httpx.HTTPError as exc:
            tls_error = _tls_error(exc)
            if tls_error is not None:
                return PolicyFetch(FetchOutcome.CERTIFICATE_INVALID, detail=tls_error)
            return PolicyFetch(
                FetchOutcome.CONNECTION_FAILED,
                detail=f"{address} port {port}: {exc or type(exc).__name__}",
            )


def _why_unresolved(answers: list[Answer]) -> str:
    """Why neither the A nor the AAAA lookup gave an address."""
    if all(answer.status in _ABSENT for answer in answers):
        return "no A or AAAA record"
    failed = next(answer for answer in answers if answer.status not in _ABSENT)
    return address_lookup(failed, A).describe_failure()


def _tls_error(exc: BaseException) -> str | None:
    """The TLS failure behind an httpx error (certificate or handshake), if it is one."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"certificate verify failed: {cause.verify_message}"
        if isinstance(cause, ssl.SSLError):
            return f"TLS handshake failed: {cause.reason or cause}"
        cause = cause.__cause__ or cause.__context__
    return None

"""Signed webhook POSTs (docs/notifications.md): the signature scheme, and sending many
bodies at once to their receivers with a time limit on each.

The signature is ``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` under the webhook's
secret. A receiver's host name is resolved through the validating resolver and the POST goes
to the address found (the name in ``Host`` and the TLS SNI, the certificate checked for it),
so a DNS answer cannot be swapped between the check and the connection. Non-public addresses
are refused unless allowed (tests), like the MTA-STS policy fetch. Redirects are not followed.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ssl
import time
from dataclasses import dataclass, field
from ipaddress import ip_address
from urllib.parse import urlsplit

import httpx

from dnsops.addresses import is_public_address
from dnsops.dns import resolver

USER_AGENT = "DANE-Admin-Webhooks/1"
SIGNATURE_HEADER = "Dane-Admin-Signature"
#: Characters of a receiver's answer kept in the attempt log.
SNIPPET_LIMIT = 500


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, *, now: float, tolerance: float = 300) -> bool:
    """True when ``header`` signs ``body`` under ``secret`` within ``tolerance`` seconds of
    ``now`` (what a receiver does; docs/notifications.md has the same in a few lines)."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    given = parts.get("v1", "")
    return abs(now - timestamp) <= tolerance and hmac.compare_digest(expected, given)


class UnsafeUrl(ValueError):
    """The URL is not one the service posts to (scheme, host, or a non-public address)."""


@dataclass(frozen=True)
class WebhookPost:
    """One body to send: ``key`` is the caller's (its delivery id)."""

    key: int
    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PostResult:
    """What happened to one POST: the status (None: no answer) and the answer's first
    characters, or the error."""

    key: int
    status_code: int | None
    snippet: str = ""
    error: str = ""
    duration_ms: int = 0

    @property
    def succeeded(self) -> bool:
        """A 2xx answer."""
        return self.status_code is not None and 200 <= self.status_code < 300


def check_url(url: str, *, allow_http: bool) -> None:
    """UnsafeUrl unless ``url`` is https (or http when allowed) with a host and no user info."""
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes:
        raise UnsafeUrl("The webhook URL must start with https://.")
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise UnsafeUrl("The webhook URL needs a host name and no user name or password.")


def _literal(host: str) -> list[str]:
    """``[host]`` when it is an IP address literal, else nothing."""
    try:
        return [str(ip_address(host))]
    except ValueError:
        return []


def _resolve(host: str, timeout: float) -> list[str]:
    """The A and AAAA addresses of ``host`` from the validating resolver."""
    addresses: list[str] = []
    for rdtype in ("A", "AAAA"):
        try:
            found = resolver.query(host, rdtype, timeout=timeout)
        except resolver.ResolverUnavailable as exc:
            raise UnsafeUrl(f"{host} could not be resolved: {exc}") from exc
        addresses += [str(address) for address in found.records]
    return addresses


def address_of(host: str, *, allow_private: bool, timeout: float) -> str:
    """The address to connect to for ``host`` (itself when it is an address literal); raises
    UnsafeUrl when it has none, or only non-public ones that are not allowed."""
    candidates = _literal(host) or _resolve(host, timeout)
    if not candidates:
        raise UnsafeUrl(f"{host} has no address.")
    for address in candidates:
        if allow_private or is_public_address(address):
            return address
    raise UnsafeUrl(f"{host} has only non-public addresses; the service does not post there.")


async def _post(
    client: httpx.AsyncClient,
    post: WebhookPost,
    address: str,
    gate: asyncio.Semaphore,
    timeout: float,
) -> PostResult:
    """One POST to ``address`` (the URL's host in ``Host`` and SNI), once a slot is free; the
    whole exchange within ``timeout`` seconds."""
    parts = urlsplit(post.url)
    host = parts.hostname or ""
    default_port = 443 if parts.scheme == "https" else 80
    port = parts.port or default_port
    netloc = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
    target = f"{parts.scheme}://{netloc}{parts.path or '/'}"
    if parts.query:
        target += f"?{parts.query}"
    headers = {
        **post.headers,
        "Host": host if port == default_port else f"{host}:{port}",
        "Content-Type": "application/json",
    }
    async with gate:
        started = time.monotonic()
        try:
            async with (
                asyncio.timeout(timeout),
                client.stream(
                    "POST",
                    target,
                    content=post.body,
                    headers=headers,
                    extensions={"sni_hostname": host} if parts.scheme == "https" else {},
                ) as response,
            ):
                kept = bytearray()
                async for chunk in response.aiter_bytes():
                    kept += chunk
                    if len(kept) >= SNIPPET_LIMIT:
                        break
                return PostResult(
                    post.key,
                    response.status_code,
                    snippet=kept[:SNIPPET_LIMIT].decode("utf-8", "replace"),
                    duration_ms=int((time.monotonic() - started) * 1000),
                )
        except (httpx.TimeoutException, TimeoutError):
            error = "timed out"
        except httpx.HTTPError as exc:
            error = str(exc) or type(exc).__name__
        return PostResult(
            post.key,
            None,
            error=error[:SNIPPET_LIMIT],
            duration_ms=int((time.monotonic() - started) * 1000),
        )


async def _post_all(
    posts: list[tuple[WebhookPost, str]], timeout: float, concurrency: int, ca_bundle: str | None
) -> list[PostResult]:
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(
        verify=ssl.create_default_context(cafile=ca_bundle),
        follow_redirects=False,
        trust_env=False,
        timeout=httpx.Timeout(timeout),
        limits=httpx.Limits(max_keepalive_connections=0, max_connections=concurrency),
        headers={"User-Agent": USER_AGENT, "Connection": "close"},
    ) as client:
        return list(
            await asyncio.gather(
                *(_post(client, post, address, gate, timeout) for post, address in posts)
            )
        )


def post_all(
    posts: list[WebhookPost],
    *,
    timeout: float,
    allow_private: bool,
    concurrency: int = 20,
    ca_bundle: str | None = None,
) -> list[PostResult]:
    """Send every post (``concurrency`` at a time, each within ``timeout`` seconds, the
    waiting for a free slot aside); one result per post, in order. A URL whose host is not
    allowed gets a result with its error and is not connected to."""
    results: dict[int, PostResult] = {}
    ready: list[tuple[WebhookPost, str]] = []
    addresses: dict[str, str | UnsafeUrl] = {}
    for post in posts:
        host = urlsplit(post.url).hostname or ""
        if host not in addresses:
            try:
                addresses[host] = address_of(host, allow_private=allow_private, timeout=timeout)
            except UnsafeUrl as exc:
                addresses[host] = exc
        found = addresses[host]
        if isinstance(found, UnsafeUrl):
            results[post.key] = PostResult(post.key, None, error=str(found)[:SNIPPET_LIMIT])
        else:
            ready.append((post, found))
    if ready:
        for result in asyncio.run(_post_all(ready, timeout, concurrency, ca_bundle)):
            results[result.key] = result
    return [results[post.key] for post in posts]

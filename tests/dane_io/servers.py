"""SMTP servers on loopback addresses for the outbound DANE tests and the benchmark.

All servers of a :class:`LoopbackServers` share one TCP port and one event loop in a background
thread: aiosmtpd servers with or without STARTTLS (certificates made at test time), and raw
asyncio servers that misbehave (stall in the handshake, flood the greeting, talk garbage).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import socket
import ssl
import tempfile
import threading
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes

from tests.unit.dane.pki import Issued, ca, leaf

RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

_addresses = itertools.count(21)


def next_address() -> str:
    """A loopback address not used before in this process: 127.0.0.21, .22, ... 127.0.1.x."""
    number = next(_addresses)
    return f"127.0.{number // 250}.{number % 250 + 1}" if number >= 250 else f"127.0.0.{number}"


def now() -> datetime:
    """The real time (the servers' certificates are checked at the time of the test)."""
    return datetime.now(UTC)


def self_signed(*names: str, expired: bool = False) -> Issued:
    """A self-signed server certificate (a DANE-EE one), expired a day ago if asked."""
    return leaf(None, *names, **_validity(expired))


def trust_anchor(name: str = "DANE IO Test CA") -> Issued:
    """A CA to publish as a DANE-TA trust anchor."""
    return ca(name, not_before=now() - timedelta(days=30), not_after=now() + timedelta(days=365))


def issued_by(issuer: Issued, *names: str, expired: bool = False) -> Issued:
    """A server certificate issued by ``issuer``."""
    return leaf(issuer, *names, **_validity(expired))


def _validity(expired: bool) -> dict[str, datetime]:
    """Validity dates around now: current, or over since yesterday."""
    if expired:
        return {"not_before": now() - timedelta(days=60), "not_after": now() - timedelta(days=1)}
    return {"not_before": now() - timedelta(days=1), "not_after": now() + timedelta(days=60)}


@dataclass(frozen=True)
class Credentials:
    """What a TLS server presents: its chain in PEM (leaf first) and the leaf's key in PEM."""

    chain_pem: bytes
    key_pem: bytes

    @classmethod
    def of(
        cls, chain: Sequence[x509.Certificate], key: CertificateIssuerPrivateKeyTypes
    ) -> Credentials:
        """Credentials from certificate objects and a private key."""
        return cls(
            b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in chain),
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )


@dataclass
class LoopbackServers:
    """Servers on ``<address>:<port>``; the port is picked when the first server binds."""

    port: int = 0
    sni: dict[str, list[str]] = field(default_factory=dict)
    _loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    _servers: list[asyncio.Server] = field(default_factory=list)
    _thread: threading.Thread | None = None
    _files: tempfile.TemporaryDirectory[str] = field(default_factory=tempfile.TemporaryDirectory)
    _contexts: dict[str, ssl.SSLContext | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def smtp(self, address: str, credentials: Credentials | None = None) -> None:
        """An aiosmtpd server; it offers STARTTLS when it has ``credentials``."""
        self._contexts[address] = self._tls_context(address, credentials) if credentials else None

        def factory() -> SMTP:  # each connection takes the credentials served at that moment
            return SMTP(
                _Sink(),
                hostname=f"smtp-{address}.test",
                tls_context=self._contexts[address],
                loop=self._loop,
            )

        self._serve(address, lambda sock: self._loop.create_server(factory, sock=sock))

    def deploy(self, address: str, credentials: Credentials) -> None:
        """Switch the SMTP server at ``address`` to ``credentials`` (a certificate deployed on
        an MTA): new connections get them, the listening socket stays."""
        self._contexts[address] = self._tls_context(address, credentials)

    def raw(self, address: str, handler: RawHandler) -> None:
        """A raw asyncio server running ``handler`` for each connection."""

        async def until_closed(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            # Ends quietly when close() cancels it (Python 3.11 logs cancelled handlers).
            try:
                await handler(reader, writer)
            except (asyncio.CancelledError, ConnectionError):
                pass
            finally:
                writer.close()

        self._serve(address, lambda sock: asyncio.start_server(until_closed, sock=sock))

    def close(self) -> None:
        """Stop every server and the loop."""

        async def stop() -> None:
            for server in self._servers:
                server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._files.cleanup()

    def _serve(
        self, address: str, start: Callable[[socket.socket], Coroutine[Any, Any, asyncio.Server]]
    ) -> None:
        sock = self._bind(address)
        server = asyncio.run_coroutine_threadsafe(start(sock), self._loop).result(timeout=10)
        self._servers.append(server)

    def _bind(self, address: str) -> socket.socket:
        """A listening socket on the shared port (chosen at random below the ephemeral range)."""
        for _ in range(50):
            port = self.port or random.randint(20000, 32000)  # noqa: S311
            # proto=TCP: asyncio sets TCP_NODELAY only then (else aiosmtpd's EHLO lines wait
            # ~40 ms on delayed ACKs)
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((address, port))
            except OSError:
                sock.close()
                if self.port:
                    raise
                continue
            sock.listen(128)
            sock.setblocking(False)
            self.port = port
            return sock
        raise RuntimeError("no free port for the loopback SMTP servers")

    def _tls_context(self, address: str, credentials: Credentials) -> ssl.SSLContext:
        directory = Path(self._files.name)
        certfile, keyfile = directory / f"{address}.chain.pem", directory / f"{address}.key.pem"
        certfile.write_bytes(credentials.chain_pem)
        keyfile.write_bytes(credentials.key_pem)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certfile, keyfile)
        seen = self.sni.setdefault(address, [])

        def remember(_: ssl.SSLObject, name: str | None, __: ssl.SSLContext) -> None:
            seen.append(name or "")

        context.sni_callback = remember
        return context


class _Sink:
    """An aiosmtpd handler that accepts nothing in particular (the client never sends mail)."""


async def stall_in_handshake(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Offer STARTTLS, accept it, read the ClientHello and never answer."""
    writer.write(b"220 stall.test ESMTP\r\n")
    await reader.readline()
    writer.write(b"250-stall.test\r\n250 STARTTLS\r\n")
    await reader.readline()
    writer.write(b"220 go ahead\r\n")
    await reader.read(4096)
    await asyncio.sleep(3600)


def after_starttls(answer: bytes, then: bytes = b"", to_hello: bytes = b"") -> RawHandler:
    """A server that offers STARTTLS, answers it with ``answer`` and at once ``then``, and
    answers the client's first TLS bytes with ``to_hello``."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 odd.test ESMTP\r\n")
        await reader.readline()
        writer.write(b"250-odd.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
        await reader.readline()
        writer.write(answer + then)
        await writer.drain()
        await reader.read(4096)
        writer.write(to_hello)
        await writer.drain()
        await asyncio.sleep(3600)

    return handler


async def huge_banner_line(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A greeting line of a mebibyte, then silence."""
    writer.write(b"220 " + b"x" * (1 << 20))
    await writer.drain()
    await asyncio.sleep(3600)


async def endless_banner(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A multi-line greeting that never ends."""
    while True:
        writer.write(b"220-" + b"y" * 70 + b"\r\n")
        await writer.drain()


async def garbage(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Something that is not SMTP."""
    writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    await writer.drain()
    await asyncio.sleep(3600)


async def silent(_: asyncio.StreamReader, __: asyncio.StreamWriter) -> None:
    """Accept the connection and say nothing."""
    await asyncio.sleep(3600)

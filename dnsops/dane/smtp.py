"""The SMTP side of outbound DANE validation (asyncio): connect, greeting, EHLO, STARTTLS with
SNI, the TLS handshake, and the certificate chain the server presented.

TLS runs through pyOpenSSL over memory BIOs on top of the asyncio stream, because Python 3.11's
``ssl`` cannot hand out the peer's chain. OpenSSL verifies nothing: DANE decides
(:mod:`dnsops.dane.verify`). Every step waits at most its own timeout, cut to what is left of
the validation's deadline, and replies have size limits, so a server that stalls, talks
garbage or floods gets a clear outcome quickly. No mail is sent: the session ends with QUIT.
"""

from __future__ import annotations

import asyncio
import re
import time
from contextlib import suppress
from dataclasses import dataclass
from functools import cache

from cryptography import x509
from OpenSSL import SSL

from dnsops.dane.policy import SessionOutcome
from dnsops.dane.trace import Deadline, Trace

_REPLY_LINE = re.compile(rb"([2-5][0-9][0-9])(?:([ -])(.*))?", re.DOTALL)
_READ_SIZE = 16384
_CLOSE_WAIT = 1.0
_SHOWN_TEXT = 200


@dataclass(frozen=True)
class SmtpLimits:
    """Timeouts (seconds) of each SMTP step and size limits (bytes) of what the server sends."""

    connect: float = 5.0
    greeting: float = 10.0
    command: float = 10.0
    handshake: float = 10.0
    line: int = 2048
    reply: int = 16384
    plaintext: int = 65536
    handshake_bytes: int = 262144


@dataclass(frozen=True)
class SessionResult:
    """How far the session with one address got, why it stopped there, and what it saw."""

    outcome: SessionOutcome
    detail: str
    chain: tuple[x509.Certificate, ...] = ()
    tls_version: str | None = None
    cipher: str | None = None


@dataclass(frozen=True)
class _Reply:
    """An SMTP reply: the code and the text of each line."""

    code: int
    lines: tuple[str, ...]

    def summary(self) -> str:
        """The first line, shortened, for a step's detail."""
        text = self.lines[0] if self.lines else ""
        more = f" (+{len(self.lines) - 1} lines)" if len(self.lines) > 1 else ""
        return f"{self.code} {_shown(text)}{more}"


class _StepFailed(Exception):
    """A step did not complete: ``outcome`` is ``timeout`` or ``error``."""

    def __init__(self, outcome: str, detail: str) -> None:
        super().__init__(detail)
        self.outcome = outcome
        self.detail = detail


async def smtp_session(
    address: str,
    port: int,
    *,
    host: str,
    sni: str,
    ehlo_name: str,
    limits: SmtpLimits,
    deadline: Deadline,
    trace: Trace,
) -> SessionResult:
    """Talk to ``address``:``port`` (the MX ``host``) up to the end of the TLS handshake.

    ``sni`` is the server name sent in the handshake (the TLSA base domain under DANE).
    """
    started = time.perf_counter()
    budget = deadline.budget(limits.connect)
    try:
        async with asyncio.timeout(budget):
            reader, writer = await asyncio.open_connection(address, port)
    except TimeoutError:
        detail = f"no TCP connection to port {port} within {budget:.1f} s"
        trace.add("connect", "timeout", detail, started=started, host=host, address=address)
        return SessionResult(SessionOutcome.CONNECTION_FAILED, detail)
    except OSError as exc:
        detail = f"TCP connection to port {port} failed: {exc.strerror or exc}"
        trace.add("connect", "error", detail, started=started, host=host, address=address)
        return SessionResult(SessionOutcome.CONNECTION_FAILED, detail)
    trace.add(
        "connect", "ok", f"connected to port {port}", started=started, host=host, address=address
    )
    session = _Session(reader, writer, address, host, limits, deadline, trace)
    try:
        return await session.converse(sni, ehlo_name)
    finally:
        await session.close()


class _Session:
    """One SMTP connection: reading replies with limits, and the steps of the dialogue."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        address: str,
        host: str,
        limits: SmtpLimits,
        deadline: Deadline,
        trace: Trace,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.address = address
        self.host = host
        self.limits = limits
        self.deadline = deadline
        self.trace = trace
        self.buffer = bytearray()
        self.received = 0

    async def converse(self, sni: str, ehlo_name: str) -> SessionResult:
        """Greeting, EHLO, STARTTLS and the handshake; the outcome of the first that fails."""
        try:
            greeting = await self.exchange("greeting", None, 220, self.limits.greeting)
            if greeting.code != 220:
                return _refused("greeting", greeting, SessionOutcome.CONNECTION_FAILED)
            ehlo = await self.exchange("ehlo", f"EHLO {ehlo_name}", 250, self.limits.command)
        except _StepFailed as exc:
            return SessionResult(SessionOutcome.CONNECTION_FAILED, exc.detail)
        if ehlo.code != 250:
            if ehlo.code < 500:
                return _refused("EHLO", ehlo, SessionOutcome.CONNECTION_FAILED)
            return _refused(
                "EHLO (no ESMTP, so no STARTTLS)", ehlo, SessionOutcome.STARTTLS_NOT_OFFERED
            )
        if not any(line.upper().split()[:1] == ["STARTTLS"] for line in ehlo.lines[1:]):
            detail = "the server does not offer STARTTLS in its EHLO reply"
            self.record("starttls", "not-offered", detail)
            await self.quit_in_clear()
            return SessionResult(SessionOutcome.STARTTLS_NOT_OFFERED, detail)
        try:
            starttls = await self.exchange("starttls", "STARTTLS", 220, self.limits.command)
        except _StepFailed as exc:
            return SessionResult(SessionOutcome.TLS_HANDSHAKE_FAILED, exc.detail)
        if starttls.code != 220:
            return _refused("STARTTLS", starttls, SessionOutcome.STARTTLS_NOT_OFFERED)
        return await self.handshake(sni)

    async def handshake(self, sni: str) -> SessionResult:
        """The TLS handshake with SNI ``sni``; the chain the server presented."""
        started = time.perf_counter()
        if self.buffer:
            detail = (
                f"the server sent {len(self.buffer)} byte(s) after its STARTTLS reply, before "
                "the TLS handshake (a broken server or a STARTTLS injection)"
            )
            self.record("tls-handshake", "error", detail, started)
            return SessionResult(SessionOutcome.TLS_HANDSHAKE_FAILED, detail)
        budget = self.deadline.budget(self.limits.handshake)
        tls = SSL.Connection(_client_context(), None)
        tls.set_tlsext_host_name(sni.encode("ascii", errors="replace"))
        tls.set_connect_state()
        try:
            async with asyncio.timeout(budget):
                await self._drive_handshake(tls)
        except TimeoutError:
            detail = f"the handshake did not complete within {budget:.1f} s"
            self.record("tls-handshake", "timeout", detail, started)
            return SessionResult(SessionOutcome.TLS_HANDSHAKE_FAILED, detail)
        except _StepFailed as exc:
            self.record("tls-handshake", exc.outcome, exc.detail, started)
            return SessionResult(SessionOutcome.TLS_HANDSHAKE_FAILED, exc.detail)
        except OSError as exc:
            detail = f"the connection failed during the TLS handshake ({exc})"
            self.record("tls-handshake", "error", detail, started)
            return SessionResult(SessionOutcome.TLS_HANDSHAKE_FAILED, detail)
        version, cipher = tls.get_protocol_version_name(), tls.get_cipher_name()
        try:
            chain = tuple(tls.get_peer_cert_chain(as_cryptography=True) or ())
        except ValueError as exc:
            chain, presented = (), f"a presented certificate cannot be read ({exc})"
        else:
            presented = f"{len(chain)} certificate(s) presented"
        detail = f"{version} {cipher}, SNI {sni}, {presented}"
        self.record("tls-handshake", "ok", detail, started)
        self.quit_over_tls(tls)
        return SessionResult(SessionOutcome.TLS_ESTABLISHED, detail, chain, version, cipher)

    async def _drive_handshake(self, tls: SSL.Connection) -> None:
        """Pump handshake records between OpenSSL's memory BIOs and the socket."""
        received = 0
        while True:
            try:
                tls.do_handshake()
            except SSL.WantReadError:
                pass
            except SSL.Error as exc:
                self.writer.write(_pending(tls))
                raise _StepFailed("error", f"OpenSSL reports {_ssl_reason(exc)}") from exc
            else:
                self.writer.write(_pending(tls))
                await self.writer.drain()
                return
            self.writer.write(_pending(tls))
            await self.writer.drain()
            data = await self.reader.read(_READ_SIZE)
            if not data:
                raise _StepFailed("error", "the server closed the connection during the handshake")
            received += len(data)
            if received > self.limits.handshake_bytes:
                raise _StepFailed(
                    "error",
                    f"the server sent more than {self.limits.handshake_bytes} bytes "
                    "in the handshake",
                )
            tls.bio_write(data)

    async def exchange(
        self, step: str, command: str | None, expected: int, timeout: float
    ) -> _Reply:
        """Send ``command`` (none: wait for the greeting) and read the reply within ``timeout``;
        the step is ``ok`` when the reply code is ``expected``."""
        started = time.perf_counter()
        budget = self.deadline.budget(timeout)
        try:
            async with asyncio.timeout(budget):
                if command is not None:
                    self.writer.write(command.encode("ascii") + b"\r\n")
                    await self.writer.drain()
                reply = await self._reply()
        except TimeoutError as exc:
            detail = f"no complete reply to the {step} within {budget:.1f} s"
            self.record(step, "timeout", detail, started)
            raise _StepFailed("timeout", detail) from exc
        except (_StepFailed, OSError) as exc:
            detail = f"{step}: {exc}"
            self.record(step, "error", detail, started)
            raise _StepFailed("error", detail) from exc
        outcome = (
            "ok" if reply.code == expected else "refused" if reply.code >= 400 else "unexpected"
        )
        self.record(step, outcome, reply.summary(), started)
        return reply

    async def _reply(self) -> _Reply:
        """One (possibly multi-line) reply, every line checked (RFC 5321 §4.2)."""
        code: int | None = None
        lines: list[str] = []
        size = 0
        while True:
            line = await self._line()
            size += len(line)
            if size > self.limits.reply:
                raise _StepFailed("error", f"the reply is longer than {self.limits.reply} bytes")
            match = _REPLY_LINE.fullmatch(line.rstrip(b"\r\n"))
            if match is None:
                raise _StepFailed("error", f"not an SMTP reply: {_shown(_text(line))!r}")
            line_code = int(match.group(1))
            if code is not None and line_code != code:
                raise _StepFailed("error", f"the reply mixes codes {code} and {line_code}")
            code = line_code
            lines.append(_text(match.group(3) or b""))
            if match.group(2) != b"-":
                return _Reply(code, tuple(lines))

    async def _line(self) -> bytes:
        """One line ending in LF, at most ``limits.line`` bytes."""
        while True:
            end = self.buffer.find(b"\n")
            if 0 <= end < self.limits.line:
                line = bytes(self.buffer[: end + 1])
                del self.buffer[: end + 1]
                return line
            if end >= 0 or len(self.buffer) >= self.limits.line:
                raise _StepFailed("error", f"a reply line is longer than {self.limits.line} bytes")
            chunk = await self.reader.read(_READ_SIZE)
            if not chunk:
                raise _StepFailed("error", "the server closed the connection")
            self.received += len(chunk)
            if self.received > self.limits.plaintext:
                raise _StepFailed(
                    "error", f"the server sent more than {self.limits.plaintext} bytes in clear"
                )
            self.buffer += chunk

    async def quit_in_clear(self) -> None:
        """Say QUIT before TLS; a failure here changes nothing."""
        with suppress(_StepFailed):
            await self.exchange("quit", "QUIT", 221, self.limits.command)

    def quit_over_tls(self, tls: SSL.Connection) -> None:
        """Send QUIT and close_notify over TLS, without waiting for the reply."""
        started = time.perf_counter()
        try:
            tls.sendall(b"QUIT\r\n")
            tls.shutdown()
        except SSL.Error as exc:
            self.record("quit", "error", f"QUIT over TLS: {_ssl_reason(exc)}", started)
            return
        self.writer.write(_pending(tls))
        self.record("quit", "ok", "sent QUIT and close_notify over TLS", started)

    def record(self, step: str, outcome: str, detail: str, started: float | None = None) -> None:
        """Add a step of this session to the trace."""
        self.trace.add(step, outcome, detail, started=started, host=self.host, address=self.address)

    async def close(self) -> None:
        """Close the connection politely if there is time (at most a second), else abort it."""
        self.writer.close()
        try:
            async with asyncio.timeout(min(_CLOSE_WAIT, self.deadline.remaining())):
                await self.writer.wait_closed()
        except TimeoutError:
            self.writer.transport.abort()
        except OSError:
            pass


@cache
def _client_context() -> SSL.Context:
    """The TLS client context: no verification by OpenSSL, DANE decides."""
    context = SSL.Context(SSL.TLS_CLIENT_METHOD)
    context.set_verify(SSL.VERIFY_NONE)
    return context


def _pending(tls: SSL.Connection) -> bytes:
    """What OpenSSL has queued for the server."""
    out = bytearray()
    while True:
        try:
            chunk = tls.bio_read(_READ_SIZE)
        except SSL.WantReadError:
            return bytes(out)
        if not chunk:
            return bytes(out)
        out += chunk


def _refused(what: str, reply: _Reply, outcome: SessionOutcome) -> SessionResult:
    """The session ends on an unexpected reply code."""
    return SessionResult(outcome, f"the server answered {what} with {reply.summary()}")


def _ssl_reason(exc: SSL.Error) -> str:
    """OpenSSL's reasons for an error (the third field of each queued error), or the error."""
    queued = exc.args[0] if exc.args and isinstance(exc.args[0], list) else []
    reasons = [str(item[2]) for item in queued if isinstance(item, tuple) and len(item) > 2]
    return "; ".join(reasons) or str(exc) or type(exc).__name__


def _text(data: bytes) -> str:
    """Bytes from the server as printable text."""
    text = data.decode("utf-8", errors="replace").rstrip("\r\n")
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _shown(text: str) -> str:
    """Text shortened for a step's detail."""
    return text if len(text) <= _SHOWN_TEXT else f"{text[:_SHOWN_TEXT]}..."

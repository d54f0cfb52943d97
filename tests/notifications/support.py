"""Helpers of the notification tests: a real HTTP receiver on loopback, check outcomes with
chosen finding codes, and the webhook signature as a receiver checks it."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from string import Formatter
from typing import Any

from dnsops.checks.catalogue import CATALOGUE, finding
from dnsops.checks.dnssec import ZoneDiagnosis, ZoneSecurity
from dnsops.checks.findings import SectionResult, section_status
from dnsops.checks.runner import CheckOutcome, CheckTarget
from dnsops.checks.status import StatusResult
from dnsops.severity import SectionStatus
from domains.models import AcceptedDomain


@dataclass
class Received:
    """One POST the receiver got."""

    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        """The body as JSON."""
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook receiver: answers ``statuses`` in turn (then 200), after ``delay`` seconds;
    records every request, and the event ids it accepted (once each, by Idempotency-Key)."""

    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)
    accepted: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def answer(self, request: Received) -> int:
        with self.lock:
            self.requests.append(request)
            status = self.statuses.pop(0) if self.statuses else 200
            if status == 200:
                key = request.headers["Idempotency-Key"]
                self.accepted[key] = self.accepted.get(key, 0) + 1
            return status


def start_receiver(receiver: Receiver) -> ThreadingHTTPServer:
    """Serve ``receiver`` on an ephemeral loopback port (``receiver.url`` is set)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            if receiver.delay:
                time.sleep(receiver.delay)
            status = receiver.answer(Received(dict(self.headers.items()), body))
            payload = b'{"ok": true}' if status == 200 else b"receiver error " * 100
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256  # a burst of connections is not refused

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/dane"
    return server


def signature_is_valid(secret: str, header: str, body: bytes) -> bool:
    """What a receiver does: HMAC-SHA256 of ``"<t>.<body>"`` equals v1 (docs/notifications.md)."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts["v1"])


def coded(code: str, domain: str) -> Any:
    """The finding ``code`` with every template field filled."""
    spec = CATALOGUE[code]
    names = {
        name
        for text in (spec.message, spec.action)
        for _, name, _, _ in Formatter().parse(text)
        if name
    }
    return finding(code, **{name: f"<{name}>" for name in names} | {"domain": domain})


def outcome(
    domain: AcceptedDomain, *, dns: tuple[str, ...] = (), mx: tuple[str, ...] = ()
) -> CheckOutcome:
    """A check outcome of ``domain`` whose DNS and MX sections found ``dns`` and ``mx``."""
    dns_findings = tuple(coded(code, domain.name) for code in dns)
    mx_findings = tuple(coded(code, domain.name) for code in mx)
    now = datetime.now(UTC)
    result = StatusResult(
        domain=domain.name,
        checked_at=now,
        dnssec_feature_status=domain.dnssec_state,
        expected_host=domain.dnssec_mx_value,
        domain_section=SectionResult(SectionStatus.PASSED, ()),
        dns=SectionResult(section_status(dns_findings), dns_findings),
        zone=ZoneDiagnosis(ZoneSecurity.SECURE, True, True, None, ()),
        mx=SectionResult(section_status(mx_findings), mx_findings),
        mta_sts=None,
        tlsrpt=None,
    )
    target = CheckTarget(
        key=domain.pk,
        domain=domain.name,
        dnssec_state=domain.dnssec_state,
        expected_host=domain.dnssec_mx_value,
    )
    return CheckOutcome(target, result, now - timedelta(seconds=1), now, 1.0, 3)


class Clock:
    """An injectable clock: starts now, moves only when told."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move forward by ``timedelta(**delta)``."""
        self.now += timedelta(**delta)

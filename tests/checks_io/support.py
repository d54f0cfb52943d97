"""Helpers of the status-check tests: the HTTPS policy server, set-up of verified domains,
MX changes and reading the status document."""

from __future__ import annotations

import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import trustme
from django.utils import timezone
from rest_framework.test import APIClient

from domains import services
from domains.audit import Actor
from domains.models import AcceptedDomain, Tenant


@dataclass
class Policy:
    """What the server answers for one host."""

    body: bytes
    status: int = 200
    content_type: str | None = "text/plain"
    headers: dict[str, str] = field(default_factory=dict)


class PolicyServer:
    """HTTPS on 127.0.0.1 (a free port): per host (SNI) a certificate and a policy answer."""

    def __init__(self, ca: trustme.CA) -> None:
        self.ca = ca
        self.policies: dict[str, Policy] = {}
        self.contexts: dict[str, ssl.SSLContext] = {}
        self.requests: list[tuple[str, str]] = []
        default = self._context(ca, "localhost")
        default.sni_callback = self._select
        server = self
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler(server))
        self.httpd.socket = default.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @staticmethod
    def _context(ca: trustme.CA, host: str) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert(host).configure_cert(context)
        return context

    def _select(self, sock: ssl.SSLObject, server_name: str | None, _: ssl.SSLContext) -> None:
        if server_name in self.contexts:
            sock.context = self.contexts[server_name]

    def publish(self, host: str, policy: Policy, *, ca: trustme.CA | None = None) -> None:
        """Serve ``policy`` for ``host`` with a certificate for it from ``ca`` (default: the
        trusted test CA)."""
        self.contexts[host] = self._context(ca or self.ca, host)
        self.policies[host] = policy

    @staticmethod
    def _handler(server: PolicyServer) -> type[BaseHTTPRequestHandler]:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
                server.requests.append((host, self.path))
                policy = server.policies.get(host)
                if policy is None or self.path != "/.well-known/mta-sts.txt":
                    policy = Policy(b"not found", status=404)
                self.send_response(policy.status)
                if policy.content_type is not None:
                    self.send_header("Content-Type", policy.content_type)
                for name, value in policy.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(policy.body)))
                self.end_headers()
                self.wfile.write(policy.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def stop(self) -> None:
        """Shut the server down."""
        self.httpd.shutdown()
        self.httpd.server_close()


def add_verified_domain(tenant: Tenant, name: str) -> AcceptedDomain:
    """The tenant's accepted domain ``name``, marked verified (set-up, as make_verified_domain)."""
    services.add_domain(tenant, name, actor=Actor.cli())
    AcceptedDomain.objects.filter(tenant=tenant, name=name).update(verified_at=timezone.now())
    return AcceptedDomain.objects.select_related("partition").get(tenant=tenant, name=name)


def mx_records(zone: str, *records: str) -> list[tuple[str, str, str, int, str]]:
    """UPDATE changes that make ``records`` (``"<preference> <host>"``) the MX RRset."""
    changes = [("add", zone, "MX", 60, f"{record}.".replace("..", ".")) for record in records]
    return [("replace", *changes[0][1:]), *changes[1:]] if changes else []


def status(api: APIClient, name: str, *, refresh: bool = True) -> dict[str, Any]:
    """``GET /api/v1/domains/<name>/dnssec/`` (refreshing by default); asserts 200."""
    suffix = "?refresh=true" if refresh else ""
    response = api.get(f"/api/v1/domains/{name}/dnssec/{suffix}")
    assert response.status_code == 200, response.content
    return response.json()


def codes(section: dict[str, Any] | None) -> list[str]:
    """The codes of a section of the status document."""
    assert section is not None
    return [finding["code"] for finding in section["Findings"]]

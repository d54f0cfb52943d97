"""A DANE test scenario: fresh zones in the DNS test network, SMTP servers on loopback
addresses, and the analyzer run against them through the validating resolver."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, replace

from dnsops.dane.analyzer import AnalyzerConfig, ValidationReport, validate
from dnsops.dane.smtp import SmtpLimits
from dnsops.dane.tlsa import tlsa_for_certificate
from tests.dane_io.servers import Credentials, LoopbackServers, next_address
from tests.dnsnet import DnsTestNetwork
from tests.unit.dane.pki import Issued

SHORT_LIMITS = SmtpLimits(connect=2.0, greeting=2.0, command=2.0, handshake=2.0)
"""Step timeouts short enough for tests of servers that stall."""


def tlsa(issued: Issued, usage: int = 3, selector: int = 1, matching_type: int = 1) -> str:
    """The TLSA record (presentation form) of a certificate; ``3 1 1`` by default."""
    return tlsa_for_certificate(issued.certificate, usage, selector, matching_type).to_text()


def credentials(leaf: Issued, *issuers: Issued) -> Credentials:
    """What a server presents: ``leaf`` and then ``issuers`` (up to the trust anchor)."""
    return Credentials.of([leaf.certificate, *(issuer.certificate for issuer in issuers)], leaf.key)


@dataclass
class Scenario:
    """Zones, records and servers of one test; :meth:`run` validates a destination."""

    dnsnet: DnsTestNetwork
    servers: LoopbackServers

    def zone(self, kind: str = "signed") -> str:
        """A fresh customer zone (``signed``, ``unsigned`` or ``bogus-ds``) below ``test.``."""
        name = f"d{uuid.uuid4().hex[:12]}.{self.dnsnet.top_zone}"
        self.dnsnet.create_customer_zone(name, kind)
        return name

    def publish(self, zone: str, *records: tuple[str, str, str]) -> None:
        """Add ``(name, type, rdata)`` records to ``zone`` in one UPDATE."""
        self.dnsnet.update(
            *(("add", name, rdtype, 60, rdata) for name, rdtype, rdata in records), zone=zone
        )

    def mx(self, domain: str, *hosts: str) -> None:
        """MX records for ``domain`` (in its own zone), preferences 10, 20, ... in order."""
        self.publish(
            domain,
            *((domain, "MX", f"{10 * (i + 1)} {host}.") for i, host in enumerate(hosts)),
        )

    def host(
        self,
        zone: str,
        label: str,
        server: Credentials | None = None,
        *records: str,
        starttls: bool = True,
    ) -> str:
        """``<label>.<zone>`` with an A record to a new loopback SMTP server and the TLSA
        ``records`` at ``_25._tcp``; the server offers STARTTLS with ``server`` when given."""
        host, address = f"{label}.{zone}", next_address()
        self.servers.smtp(address, server if starttls else None)
        self.publish(
            zone,
            (host, "A", address),
            *((f"_25._tcp.{host}", "TLSA", record) for record in records),
        )
        return host

    def config(self, **changes: object) -> AnalyzerConfig:
        """The analyzer's configuration for this scenario (short timeouts, loopback allowed)."""
        config = AnalyzerConfig(
            resolver=self.dnsnet.resolver,
            ehlo_name="client.dane-io.test",
            port=self.servers.port,
            dns_timeout=2.0,
            total_timeout=15.0,
            smtp=SHORT_LIMITS,
            allow_private_addresses=True,
        )
        return replace(config, **changes)  # type: ignore[arg-type]

    def run(self, domain: str, **changes: object) -> ValidationReport:
        """Validate ``domain`` as the service would."""
        return asyncio.run(validate(domain, self.config(**changes)))


def steps(report: ValidationReport, name: str) -> list[str]:
    """The outcomes of the steps called ``name``, in order."""
    return [step.outcome for step in report.steps if step.step == name]

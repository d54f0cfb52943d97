"""Test-side handle on the DNS test network: change records in Knot over RFC 2136 (TSIG)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import dns.tsigkeyring
import dns.update


@dataclass(frozen=True)
class DnsTestNetwork:
    """Where Knot (authoritative, signing) and Unbound (validating) listen, and the TSIG key."""

    authoritative: tuple[str, int]
    resolver: tuple[str, int]
    tsig_name: str
    tsig_secret: str
    top_zone: str

    @classmethod
    def from_environment(cls) -> DnsTestNetwork:
        """Read the variables deploy/stack.py wrote to var/stack/stack.env."""
        key_line = Path(os.environ["DANE_TSIG_KEY_FILE"]).read_text().strip()
        algorithm, name, secret = key_line.split(":")
        assert algorithm == "hmac-sha256"
        auth_host, auth_port = os.environ["DANE_DNS_SERVERS"].split(",")[0].rsplit(":", 1)
        res_host, res_port = os.environ["DANE_RESOLVER"].rsplit(":", 1)
        return cls(
            authoritative=(auth_host, int(auth_port)),
            resolver=(res_host, int(res_port)),
            tsig_name=name,
            tsig_secret=secret,
            top_zone=os.environ.get("DANE_TESTNET_TOP_ZONE", "test.").rstrip("."),
        )

    def check_running(self) -> None:
        """Fail fast when Knot does not answer for the top zone."""
        query = dns.message.make_query(self.top_zone + ".", "SOA")
        response = dns.query.udp(
            query, self.authoritative[0], port=self.authoritative[1], timeout=2
        )
        assert response.rcode() == dns.rcode.NOERROR, "the DNS test network is not running"

    def update(self, *changes: tuple[str, str, str, int, str]) -> None:
        """Apply ``(op, name, rdtype, ttl, rdata)`` changes (op: add/delete/replace) at once."""
        keyring = dns.tsigkeyring.from_text({self.tsig_name: self.tsig_secret})
        message = dns.update.UpdateMessage(
            self.top_zone + ".", keyring=keyring, keyalgorithm="hmac-sha256"
        )
        for op, name, rdtype, ttl, rdata in changes:
            getattr(message, op)(name + ".", ttl, rdtype, rdata)
        response = dns.query.tcp(
            message, self.authoritative[0], port=self.authoritative[1], timeout=5
        )
        assert response.rcode() == dns.rcode.NOERROR, dns.rcode.to_text(response.rcode())

    def publish_txt(self, name: str, *values: str) -> None:
        """Replace the TXT RRset at ``name`` with ``values`` (TTL 1, so caches forget fast)."""
        quoted = [f'"{value}"' for value in values]
        self.update(
            ("replace", name, "TXT", 1, quoted[0]),
            *(("add", name, "TXT", 1, q) for q in quoted[1:]),
        )

"""Fixtures of the TLS-RPT tests: the report vectors, a tenant's verified domain, and a
reporting organization whose DKIM key is published in the DNS test network."""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from domains.models import AcceptedDomain, Tenant
from tests.dnsnet import DnsTestNetwork

VECTORS = Path(__file__).resolve().parent.parent / "data" / "tlsrpt"

#: The JSON reports of the vectors that a receiver accepts (tlsrpt-reports.json).
ACCEPTED_REPORTS = (
    "rfc8460-appendix-b.json",
    "rfc8460-appendix-b.peer-variant.json",
    "peer-mox-microsoft-2023.json",
    "peer-parsedmarc-google-2024.json",
    "peer-stalwart-rpt02.json",
    "peer-stalwart-rpt03.json",
    "peer-parsedmarc-mail.ru.json",
    "peer-parsedmarc-empty_failure_detail_fields.json",
    "peer-parsedmarc-smtp_tls.json",
)


def vector_bytes(name: str) -> bytes:
    """A vector file's bytes."""
    return (VECTORS / name).read_bytes()


def vector_expectations() -> dict[str, dict[str, Any]]:
    """``expect`` of each JSON report in tlsrpt-reports.json, by file name."""
    cases = json.loads(vector_bytes("tlsrpt-reports.json"))["cases"]
    return {case["file"]: case["expect"] for case in cases if isinstance(case.get("expect"), dict)}


@pytest.fixture
def domain(tenant: Tenant) -> AcceptedDomain:
    """The tenant's initial domain (born verified)."""
    return tenant.domains.get(is_initial=True)


@dataclass(frozen=True)
class Reporter:
    """A reporting organization: its domain and a DKIM key published under ``selector``."""

    domain: str
    selector: str
    private_key: bytes

    def message(
        self,
        report: bytes,
        *,
        report_domain: str,
        gzipped: bool = True,
        report_id: str = "r1",
    ) -> bytes:
        """An RFC 8460 §5.3 message carrying ``report`` (JSON bytes), unsigned."""
        message = EmailMessage(policy=SMTP)
        message["From"] = f"tlsrpt@{self.domain}"
        message["To"] = f"tlsrpt@{report_domain}"
        message["Date"] = "Wed, 02 Dec 2026 00:00:00 +0000"
        message["Message-ID"] = f"<{uuid.uuid4().hex}@{self.domain}>"
        message["Subject"] = (
            f"Report Domain: {report_domain} Submitter: {self.domain} Report-ID: <{report_id}>"
        )
        message["TLS-Report-Domain"] = report_domain
        message["TLS-Report-Submitter"] = self.domain
        message.set_content("This is an aggregate TLS report.\n")
        subtype = "tlsrpt+gzip" if gzipped else "tlsrpt+json"
        message.add_attachment(
            gzip.compress(report) if gzipped else report,
            maintype="application",
            subtype=subtype,
            filename=f"{self.domain}!{report_domain}!1!2.json" + (".gz" if gzipped else ""),
        )
        message.set_type("multipart/report")
        message.set_param("report-type", "tlsrpt")
        return message.as_bytes()

    def sign(self, message: bytes, **options: Any) -> bytes:
        """``message`` with this reporter's DKIM-Signature prepended."""
        signature = dkim.sign(
            message,
            self.selector.encode(),
            self.domain.encode(),
            self.private_key,
            include_headers=[
                b"from",
                b"to",
                b"subject",
                b"date",
                b"message-id",
                b"tls-report-domain",
                b"tls-report-submitter",
            ],
            **options,
        )
        return signature + message


@pytest.fixture(scope="session")
def reporter(dnsnet: DnsTestNetwork) -> Reporter:
    """A reporting organization in the test network, its RSA-2048 key at ``s1._domainkey``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    name = f"r{uuid.uuid4().hex[:10]}.{dnsnet.top_zone}"
    record = f"v=DKIM1; k=rsa; s=tlsrpt; p={base64.b64encode(public).decode()}"
    strings = " ".join(f'"{record[i : i + 200]}"' for i in range(0, len(record), 200))
    dnsnet.update(("replace", f"s1._domainkey.{name}", "TXT", 60, strings))  # > 255: two strings
    return Reporter(domain=name, selector="s1", private_key=private)


@pytest.fixture
def unique_report() -> Callable[[str], bytes]:
    """A vector report with a fresh report-id (so tests never see each other's as duplicates)."""

    def make(name: str) -> bytes:
        document = json.loads(vector_bytes(name))
        document["report-id"] = f"{document['report-id']}-{uuid.uuid4().hex[:8]}"
        return json.dumps(document).encode()

    return make

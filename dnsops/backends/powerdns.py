"""The ``powerdns`` driver: PowerDNS Authoritative's HTTP API, zones signed live by PowerDNS.

- ``ensure_zone`` creates a missing zone (``kind: Native``, ``dnssec: true``, ``api_rectify``,
  ``soa_edit_api: DEFAULT``, the ``DANE_ZONE_NAMESERVERS``) and secures one that exists
  unsigned (``PUT`` with ``dnssec: true`` + rectify); PowerDNS generates the keys.
- ``apply`` sends a batch as one ``PATCH /zones/<zone>`` of ``REPLACE``/``DELETE`` RRsets.
  PowerDNS runs the whole PATCH in one backend transaction and aborts it on the first bad
  RRset, then rectifies and commits (``patchZone`` in pdns/ws-auth.cc; the API documentation
  itself only says the PATCH "creates/modifies/deletes RRsets present in the payload" and
  returns 204), so a batch applies whole or not at all: the tests check this on the real
  server. REPLACE and DELETE are idempotent, so a retry after a timeout is harmless.
- ``dnskeys``/``ds_records`` come from ``/cryptokeys``; ``list_rrsets`` from ``GET /zones/<zone>``.
- ``confirm_visible`` asks the servers over DNS: PowerDNS's own DNS listener
  (``DANE_POWERDNS_DNS``) and, when ``powerdns`` is the configured backend
  (``DANE_DNS_BACKEND``), every server of ``DANE_DNS_SERVERS`` (its secondaries, say). When
  another backend is configured, ``DANE_DNS_SERVERS`` names that backend's servers, which do
  not serve these zones, so they are not asked.

HTTP with the standard library (``urllib``; proxies and redirects off, so the key only ever
goes to ``DANE_POWERDNS_API_URL``) and a timeout on every call. Errors: no answer, a timeout
or HTTP 5xx → ``TransientDnsError``; HTTP 4xx → ``PermanentDnsError`` with the status and
PowerDNS's error text. The API key (read from ``DANE_POWERDNS_API_KEY_FILE``) never appears in
logs, messages or reprs.
"""

from __future__ import annotations

import http.client
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from contextlib import nullcontext
from email.message import Message
from pathlib import Path
from typing import IO, Any, TypeVar

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rdata
import dns.rdataclass
import dns.rdatatype
from django.conf import settings

from dnsops.addresses import parse_server, parse_servers
from dnsops.backends.base import (
    DNSSEC_GENERATED_TYPES,
    BatchTooLarge,
    ChangeBatch,
    DnsBackend,
    PermanentDnsError,
    RRset,
    TransientDnsError,
)

T = TypeVar("T")

#: PowerDNS's default ``webserver-max-bodysize`` (2 MB): a larger PATCH is refused.
MAX_BODY_OCTETS = 2 * 1024 * 1024
#: Most RRsets this driver checks per server in ``confirm_visible`` (the batch is atomic).
CONFIRM_SAMPLE = 32
#: One write at a time from this process: PowerDNS on SQLite has a single writer and answers a
#: concurrent PATCH with HTTP 500 "database is locked", and every PATCH rectifies the whole
#: zone anyway. Writes from other processes that collide still surface as TransientDnsError.
_WRITES = threading.Lock()


class ApiKey:
    """The ``X-API-Key`` secret; its repr and str hide it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    @classmethod
    def from_file(cls, path: str) -> ApiKey:
        """Read the key file named by ``DANE_POWERDNS_API_KEY_FILE``."""
        try:
            value = Path(path).read_text().strip() if path else ""
        except OSError as exc:
            raise PermanentDnsError(
                f"The PowerDNS API key file {path} cannot be read: {exc.strerror}."
            ) from None
        if not value:
            raise PermanentDnsError(
                "DANE_POWERDNS_API_KEY_FILE must name a file holding the PowerDNS API key."
            )
        return cls(value)

    def reveal(self) -> str:
        """The secret itself, for the request header only."""
        return self._value

    def scrub(self, text: str) -> str:
        """``text`` with the key masked (server text is not trusted to leave it out)."""
        return text.replace(self._value, "***") if self._value else text

    def __repr__(self) -> str:
        return "ApiKey(***)"

    __str__ = __repr__


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: the key is never sent anywhere but the configured API."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> None:
        return None


def _fqdn(name: str) -> str:
    return name.rstrip(".").lower() + "."


def _zone_id(zone: str) -> str:
    """PowerDNS's zone id: the absolute name, other than ``[A-Za-z0-9.-]`` escaped as ``=XX``."""
    return "".join(
        char if char.isascii() and (char.isalnum() or char in ".-") else f"={ord(char):02X}"
        for char in _fqdn(zone)
    )


def _canonical(rdtype: str, text: str) -> str:
    """Record data as dnspython writes it (the form the other drivers and the database use)."""
    kind = dns.rdatatype.from_text(rdtype)
    return dns.rdata.from_text(dns.rdataclass.IN, kind, text).to_text()


def _sample(items: Sequence[T], size: int = CONFIRM_SAMPLE) -> list[T]:
    """All of ``items``, or the first, the last and evenly spaced ones up to ``size``."""
    if len(items) <= size:
        return list(items)
    step = (len(items) - 1) / (size - 1)
    return [items[round(i * step)] for i in range(size)]


class PowerDnsBackend(DnsBackend):
    """PowerDNS Authoritative through its HTTP API; DNS queries to confirm changes."""

    # An MX host's changes average ~310 octets of JSON even with a 63-octet token and two
    # SHA-512 TLSA records (~510 for that TLSA change alone), so 4,000 changes stay under the
    # 2 MB body limit. Bigger records make ``apply`` raise BatchTooLarge (it measures the body)
    # and the caller halves the batch. Fewer, larger PATCHes are faster: each one rectifies
    # the whole zone (bench/powerdns_provision.py).
    max_changes_per_batch = 4000

    def __init__(
        self,
        api_url: str,
        api_key: ApiKey,
        dns_servers: list[tuple[str, int]],
        *,
        nameservers: Sequence[str] = ("ns.test",),
        timeout: float = 30.0,
        dns_timeout: float = 3.0,
    ) -> None:
        if urllib.parse.urlsplit(api_url).scheme not in ("http", "https"):
            raise PermanentDnsError(f"DANE_POWERDNS_API_URL must be an http(s) URL: {api_url!r}.")
        if not dns_servers:
            raise PermanentDnsError("The PowerDNS driver has no DNS server to confirm changes.")
        self.api_url = api_url.rstrip("/")
        self.api_key = api_key
        self.dns_servers = dns_servers
        self.nameservers = [_fqdn(ns) for ns in nameservers]
        self.timeout = timeout
        self.dns_timeout = dns_timeout
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())

    @classmethod
    def from_settings(cls) -> PowerDnsBackend:
        """The driver configured by the ``DANE_POWERDNS_*`` settings (see the module doc)."""
        servers = [parse_server(settings.DANE_POWERDNS_DNS)]
        if settings.DANE_DNS_BACKEND == "powerdns":
            servers += parse_servers(settings.DANE_DNS_SERVERS)
        return cls(
            settings.DANE_POWERDNS_API_URL,
            ApiKey.from_file(settings.DANE_POWERDNS_API_KEY_FILE),
            list(dict.fromkeys(servers)),
            nameservers=settings.DANE_ZONE_NAMESERVERS,
            dns_timeout=settings.DANE_DNS_TIMEOUT,
        )

    def __repr__(self) -> str:
        return f"PowerDnsBackend({self.api_url!r})"

    # --- HTTP ----------------------------------------------------------------------------

    def _request(
        self, method: str, path: str, body: bytes | None = None, *, missing_ok: bool = False
    ) -> Any:
        """One API call; the decoded JSON answer (None when empty, or 404 and ``missing_ok``)."""
        what = f"{method} {path.partition('?')[0]}"
        headers = {"X-API-Key": self.api_key.reveal(), "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked in __init__)
            self.api_url + path, data=body, method=method, headers=headers
        )
        try:
            with (
                _WRITES if method != "GET" else nullcontext(),
                self._opener.open(request, timeout=self.timeout) as response,
            ):
                payload = response.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 404 and missing_ok:
                return None
            message = f"PowerDNS answered {what} with HTTP {exc.code}: {self._error_text(exc)}"
            if exc.code >= 500:
                raise TransientDnsError(message) from exc
            raise PermanentDnsError(message, rcode=f"HTTP {exc.code}") from exc
        except (OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            raise TransientDnsError(
                f"The PowerDNS API at {self.api_url} did not answer {what}: "
                f"{self.api_key.scrub(str(reason)) or type(reason).__name__}"
            ) from exc
        return json.loads(payload) if payload.strip() else None

    def _error_text(self, error: urllib.error.HTTPError) -> str:
        """PowerDNS's error text (JSON ``error``, else the plain body), key masked."""
        try:
            raw = error.read(4096).decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            raw = ""
        try:
            text = str(json.loads(raw).get("error", raw))
        except (ValueError, AttributeError):
            text = raw
        return self.api_key.scrub(text.strip() or str(error.reason))

    def _zone_path(self, zone: str) -> str:
        return "/zones/" + urllib.parse.quote(_zone_id(zone), safe="")

    def _zone(self, zone: str) -> dict[str, Any] | None:
        info: dict[str, Any] | None = self._request(
            "GET", self._zone_path(zone) + "?rrsets=false", missing_ok=True
        )
        return info

    def zone_serial(self, zone: str) -> int | None:
        """The zone's SOA serial as the API reports it (None: no such zone)."""
        info = self._zone(zone)
        return int(info["serial"]) if info and "serial" in info else None

    # --- zones ---------------------------------------------------------------------------

    def ensure_zone(self, zone: str) -> None:
        """Create ``zone`` signed if it is missing; sign it if it exists unsigned."""
        info = self._zone(zone)
        if info is None:
            document = {
                "name": _fqdn(zone),
                "kind": "Native",
                "dnssec": True,
                "api_rectify": True,
                "soa_edit_api": "DEFAULT",
                "nameservers": self.nameservers,
            }
            try:
                self._request("POST", "/zones?rrsets=false", json.dumps(document).encode())
            except PermanentDnsError as exc:
                if exc.rcode != "HTTP 409":  # 409: created meanwhile by someone else
                    raise
            info = self._zone(zone)
        if info is None:
            raise TransientDnsError(f"PowerDNS does not show {zone} right after creating it.")
        if not info.get("dnssec"):
            settings_doc = json.dumps({"dnssec": True, "api_rectify": True}).encode()
            self._request("PUT", self._zone_path(zone), settings_doc)
            self._request("PUT", self._zone_path(zone) + "/rectify")
            if not (self._zone(zone) or {}).get("dnssec"):
                raise PermanentDnsError(f"PowerDNS did not sign {zone} (no active key).")

    # --- changes -------------------------------------------------------------------------

    def apply(self, batch: ChangeBatch) -> None:
        """Send the batch as one PATCH, which PowerDNS applies whole or not at all."""
        if not len(batch):
            return
        rrsets: list[dict[str, Any]] = [
            {"name": _fqdn(key.name), "type": key.rdtype, "changetype": "DELETE"}
            for key in batch.deletes
        ]
        rrsets += [
            {
                "name": _fqdn(rrset.name),
                "type": rrset.rdtype,
                "ttl": rrset.ttl,
                "changetype": "REPLACE",
                "records": [{"content": text, "disabled": False} for text in rrset.rdatas],
            }
            for rrset in batch.upserts
        ]
        body = json.dumps({"rrsets": rrsets}, separators=(",", ":")).encode()
        if len(body) > MAX_BODY_OCTETS:
            raise BatchTooLarge(
                f"{len(batch)} changes make a {len(body)}-octet PATCH, over PowerDNS's "
                f"{MAX_BODY_OCTETS}-octet limit; split the batch."
            )
        self._request("PATCH", self._zone_path(batch.zone), body)

    # --- keys ----------------------------------------------------------------------------

    def _cryptokeys(self, zone: str) -> list[dict[str, Any]]:
        keys: list[dict[str, Any]] = self._request("GET", self._zone_path(zone) + "/cryptokeys")
        return keys

    def dnskeys(self, zone: str) -> list[str]:
        """The DNSKEY RRset PowerDNS serves: its published keys (active or not yet)."""
        return sorted(
            _canonical("DNSKEY", key["dnskey"])
            for key in self._cryptokeys(zone)
            if key.get("published", True)
        )

    def ds_records(self, zone: str) -> list[str]:
        """SHA-256 DS (digest type 2) of the active key-signing keys (KSK or CSK)."""
        return sorted(
            _canonical("DS", ds)
            for key in self._cryptokeys(zone)
            if key.get("active")
            for ds in key.get("ds") or []
            if ds.split()[2] == "2"
        )

    # --- what is published ---------------------------------------------------------------

    def list_rrsets(self, zone: str) -> list[RRset]:
        """The zone's enabled RRsets from the API, without apex SOA/NS and DNSSEC types."""
        document = self._request("GET", self._zone_path(zone))
        apex = _fqdn(zone)
        published = []
        for rrset in document.get("rrsets", []):
            name, rdtype = rrset["name"].lower(), rrset["type"].upper()
            if rdtype in DNSSEC_GENERATED_TYPES or (name == apex and rdtype in ("SOA", "NS")):
                continue
            texts = [r["content"] for r in rrset.get("records", []) if not r.get("disabled")]
            if texts:
                rdatas = tuple(_canonical(rdtype, text) for text in texts)
                published.append(RRset(name, rdtype, int(rrset["ttl"]), rdatas))
        return sorted(published, key=lambda rrset: (rrset.name, rrset.rdtype))

    # --- visibility ----------------------------------------------------------------------

    def _served(
        self, server: tuple[str, int], name: str, rdtype: str
    ) -> set[dns.rdata.Rdata] | None:
        """The records ``server`` serves at ``name``; None unless it answers with authority
        (a refusal, SERVFAIL or a non-AA answer confirms nothing, not even a delete)."""
        request = dns.message.make_query(_fqdn(name), rdtype)
        request.flags &= ~dns.flags.RD
        try:
            response, _ = dns.query.udp_with_fallback(
                request, server[0], port=server[1], timeout=self.dns_timeout
            )
        except (dns.exception.DNSException, OSError) as exc:
            raise TransientDnsError(
                f"The DNS server {server[0]}:{server[1]} did not answer {name} {rdtype}: "
                f"{type(exc).__name__}."
            ) from exc
        if response.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN) or not (
            response.flags & dns.flags.AA
        ):
            return None
        kind = dns.rdatatype.from_text(rdtype)
        qname = dns.name.from_text(_fqdn(name))
        return {
            rdata
            for rrset in response.answer
            if rrset.rdtype == kind and rrset.name == qname
            for rdata in rrset
        }

    def confirm_visible(self, batch: ChangeBatch) -> bool:
        """Every server answers a sample of the batch's RRsets as the batch left them.

        The sample (first, last, evenly spaced; at most CONFIRM_SAMPLE of the upserts and of
        the deletes) is enough because a PATCH is applied atomically.
        """
        expected: dict[tuple[str, str], set[dns.rdata.Rdata]] = {}
        for rrset in _sample(batch.upserts):
            kind = dns.rdatatype.from_text(rrset.rdtype)
            expected[(rrset.name, rrset.rdtype)] = {
                dns.rdata.from_text(dns.rdataclass.IN, kind, text) for text in rrset.rdatas
            }
        for key in _sample(batch.deletes):
            expected[(key.name, key.rdtype)] = set()
        return all(
            self._served(server, name, rdtype) == wanted
            for server in self.dns_servers
            for (name, rdtype), wanted in expected.items()
        )

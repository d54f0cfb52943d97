"""TLSA records (RFC 6698, RFC 7218, RFC 7671): parsing, association data, usability for SMTP.

A :class:`TlsaRecord` keeps the raw numbers, so a record with an unassigned usage, selector or
matching type can still be represented and reported; :attr:`TlsaRecord.unusable_reason` says
why an RFC 7672 client would ignore it. :func:`usable_records` applies those rules and the
digest agility of RFC 7671 §9 to an RRset.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization


class Usage(IntEnum):
    """Certificate usage field (RFC 6698 §2.1.1, acronyms from RFC 7218)."""

    PKIX_TA = 0
    PKIX_EE = 1
    DANE_TA = 2
    DANE_EE = 3


class Selector(IntEnum):
    """Which part of the certificate is matched (RFC 6698 §2.1.2)."""

    CERT = 0
    SPKI = 1


class MatchingType(IntEnum):
    """How the selected content is compared (RFC 6698 §2.1.3)."""

    FULL = 0
    SHA2_256 = 1
    SHA2_512 = 2


DIGEST_LENGTHS = {MatchingType.SHA2_256: 32, MatchingType.SHA2_512: 64}

_USAGE_ACRONYMS = {"pkix-ta": 0, "pkix-ee": 1, "dane-ta": 2, "dane-ee": 3, "privcert": 255}
_SELECTOR_ACRONYMS = {"cert": 0, "spki": 1, "privsel": 255}
_MATCHING_ACRONYMS = {"full": 0, "sha2-256": 1, "sha2-512": 2, "privmatch": 255}
_HEX = re.compile(r"[0-9a-fA-F]+")


class TlsaSyntaxError(ValueError):
    """A TLSA record in presentation form that cannot be read."""


@dataclass(frozen=True)
class TlsaRecord:
    """One TLSA record: the three parameter octets and the certificate association data."""

    usage: int
    selector: int
    matching_type: int
    data: bytes

    def __post_init__(self) -> None:
        for field, value in (
            ("usage", self.usage),
            ("selector", self.selector),
            ("matching type", self.matching_type),
        ):
            if not 0 <= value <= 255:
                raise TlsaSyntaxError(f"The TLSA {field} {value} is not an octet (0-255).")

    @classmethod
    def from_text(cls, text: str) -> TlsaRecord:
        """Read ``usage selector matching-type hex`` (RFC 6698 §2.2).

        The hex may be split by whitespace and wrapped in zone-file parentheses; the three
        fields may be numbers or RFC 7218 acronyms (``DANE-EE SPKI SHA2-256``).
        """
        fields = text.replace("(", " ").replace(")", " ").split()
        if len(fields) < 4:
            raise TlsaSyntaxError(
                f"A TLSA record needs usage, selector, matching type and data: {text!r}."
            )
        usage = _parameter(fields[0], _USAGE_ACRONYMS, "usage")
        selector = _parameter(fields[1], _SELECTOR_ACRONYMS, "selector")
        matching_type = _parameter(fields[2], _MATCHING_ACRONYMS, "matching type")
        hex_data = "".join(fields[3:])
        if not _HEX.fullmatch(hex_data) or len(hex_data) % 2:
            raise TlsaSyntaxError(f"The TLSA association data is not an even hex string: {text!r}.")
        return cls(usage, selector, matching_type, bytes.fromhex(hex_data))

    def to_text(self) -> str:
        """The presentation form with upper-case hex, as in RFC 8460 ``policy-string``."""
        return f"{self.usage} {self.selector} {self.matching_type} {self.data.hex().upper()}"

    @property
    def unusable_reason(self) -> str | None:
        """Why an RFC 7672 SMTP client ignores this record, or ``None`` if it is usable."""
        if self.usage in (Usage.PKIX_TA, Usage.PKIX_EE):
            return (
                f"usage {self.usage} ({Usage(self.usage).name.replace('_', '-')}) is not used "
                "for SMTP (RFC 7672 §3.1.3)"
            )
        if self.usage not in (Usage.DANE_TA, Usage.DANE_EE):
            return f"usage {self.usage} is not a known certificate usage"
        if self.selector not in tuple(Selector):
            return f"selector {self.selector} is not a known selector"
        if self.matching_type not in tuple(MatchingType):
            return f"matching type {self.matching_type} is not a known matching type"
        if self.matching_type == MatchingType.FULL:
            return _full_data_problem(self.selector, self.data)
        expected = DIGEST_LENGTHS[MatchingType(self.matching_type)]
        if len(self.data) != expected:
            return (
                f"a {MatchingType(self.matching_type).name} digest is {expected} bytes, "
                f"this one is {len(self.data)}"
            )
        return None

    @property
    def usable(self) -> bool:
        """Whether an RFC 7672 SMTP client uses this record."""
        return self.unusable_reason is None

    def matches(self, certificate: x509.Certificate) -> bool:
        """Whether this record's association data is that of ``certificate``.

        Only the selector and matching type take part; the usage decides *which* certificate
        of a chain may match, which is the caller's business. A certificate whose key type
        ``cryptography`` cannot read matches no SPKI record.
        """
        if self.selector not in tuple(Selector) or self.matching_type not in tuple(MatchingType):
            return False
        try:
            selected = selected_content(certificate, Selector(self.selector))
        except (UnsupportedAlgorithm, ValueError):
            return False
        return association_data(selected, MatchingType(self.matching_type)) == self.data


def _parameter(text: str, acronyms: dict[str, int], field: str) -> int:
    """One of the three parameter fields, as a number or an RFC 7218 acronym."""
    if text.isdigit():
        return int(text)
    try:
        return acronyms[text.lower()]
    except KeyError:
        raise TlsaSyntaxError(f"{text!r} is not a TLSA {field}.") from None


def _full_data_problem(selector: int, data: bytes) -> str | None:
    """Why full (matching type 0) association data cannot be what the selector names."""
    try:
        if selector == Selector.CERT:
            x509.load_der_x509_certificate(data)
        else:
            serialization.load_der_public_key(data)
    except ValueError:
        what = "certificate" if selector == Selector.CERT else "SubjectPublicKeyInfo"
        return f"the full association data is not a DER {what}"
    return None


def selected_content(certificate: x509.Certificate, selector: Selector) -> bytes:
    """The DER bytes a TLSA selector picks: the whole certificate or its SubjectPublicKeyInfo."""
    if selector == Selector.CERT:
        return certificate.public_bytes(serialization.Encoding.DER)
    return certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def association_data(selected: bytes, matching_type: MatchingType) -> bytes:
    """The association data of ``selected`` content for ``matching_type``."""
    if matching_type == MatchingType.SHA2_256:
        return hashlib.sha256(selected).digest()
    if matching_type == MatchingType.SHA2_512:
        return hashlib.sha512(selected).digest()
    return selected


def load_certificate(certificate: x509.Certificate | bytes) -> x509.Certificate:
    """``certificate`` as an object; bytes may be DER or a PEM block."""
    if isinstance(certificate, x509.Certificate):
        return certificate
    if certificate.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(certificate)
    return x509.load_der_x509_certificate(certificate)


def tlsa_for_certificate(
    certificate: x509.Certificate | bytes,
    usage: int = Usage.DANE_EE,
    selector: int = Selector.SPKI,
    matching_type: int = MatchingType.SHA2_256,
) -> TlsaRecord:
    """The TLSA record with the given parameters for ``certificate`` (default ``3 1 1``).

    ``certificate`` is an object, DER bytes or a PEM block. Raises :class:`ValueError` for a
    selector or matching type that has no defined computation.
    """
    if selector not in tuple(Selector) or matching_type not in tuple(MatchingType):
        raise ValueError(
            f"No association data is defined for selector {selector}, "
            f"matching type {matching_type}."
        )
    selected = selected_content(load_certificate(certificate), Selector(selector))
    return TlsaRecord(
        usage, selector, matching_type, association_data(selected, MatchingType(matching_type))
    )


def usable_records(records: Iterable[TlsaRecord]) -> tuple[TlsaRecord, ...]:
    """The records an RFC 7672 client uses, after digest agility (RFC 7671 §9).

    Unusable records are dropped; then, for each (usage, selector), full-data records are
    kept together with the records of the strongest digest present (SHA2-512 over
    SHA2-256), so a key that matches only a weaker digest is not accepted.
    """
    usable = [record for record in records if record.usable]
    strongest: dict[tuple[int, int], int] = {}
    for record in usable:
        key = (record.usage, record.selector)
        strongest[key] = max(strongest.get(key, MatchingType.FULL), record.matching_type)
    return tuple(
        record
        for record in usable
        if record.matching_type in (MatchingType.FULL, strongest[(record.usage, record.selector)])
    )

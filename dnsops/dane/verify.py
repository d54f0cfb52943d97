"""Authenticating an SMTP server's certificate chain with a TLSA RRset (RFC 7672 §3, RFC 7671 §5).

The chain is what the server sent: leaf first, the rest in any order. DANE-EE(3) records are
compared with the leaf only; names and validity dates are ignored (RFC 7671 §5.1). DANE-TA(2)
records name a trust anchor: a certificate of the chain, or, for ``2 0 0`` / ``2 1 0``, a
certificate or key carried in DNS that signed the top of the chain (RFC 7671 §5.2.2). The path
from the leaf up to that anchor is then validated: signatures, validity dates (the anchor
certificate's too, as OpenSSL and Go check them; a bare ``2 1 0`` key has none), CA basic
constraints, key usage, path length and DNS name constraints; and the leaf must carry a
reference identifier (RFC 7672 §3.2.2).

Signatures are checked with the ``cryptography`` primitives rather than
``cryptography.x509.verification``: that verifier applies the Web PKI profile, takes only
certificates as anchors and cannot tell an expired certificate from other failures, all of
which DANE needs differently.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from dnsops.dane.names import certificate_names, matching_reference_identifier, normalize_name
from dnsops.dane.tlsa import MatchingType, Selector, TlsaRecord, Usage, usable_records
from dnsops.dane.verdicts import Verdict

MAX_PATH_LENGTH = 8
"""The most certificates a path from the leaf to a trust anchor may have."""


@dataclass(frozen=True)
class ChainMatch:
    """Which TLSA record matched, and where.

    ``depth`` is the position in the validated path (0 = the leaf, 1 = its issuer, ...); a
    trust anchor that came from DNS and was not sent sits one above the top of the path.
    ``presented_index`` is the matched certificate's position in the chain as the server sent
    it, or ``None`` for a trust anchor taken from DNS.
    """

    record: TlsaRecord
    depth: int
    presented_index: int | None


@dataclass(frozen=True)
class ChainVerification:
    """The result of matching a chain: ``PASS`` or the failure verdict, with a reason.

    ``match`` is set whenever a record matched, also when the DANE-TA path or name check then
    failed; ``matched_name`` is the reference identifier a DANE-TA leaf carried.
    """

    verdict: Verdict
    reason: str
    match: ChainMatch | None = None
    matched_name: str | None = None

    @property
    def authenticated(self) -> bool:
        """Whether the server is authenticated."""
        return self.verdict is Verdict.PASS


@dataclass(frozen=True)
class _AnchoredPath:
    """A path from the leaf to a DANE-TA trust anchor.

    ``validated`` holds the certificates below the anchor (at least the leaf, which is always
    checked as the end entity); ``anchor`` is the trust anchor certificate, ``None`` for a
    bare key from a ``2 1 0`` record.
    """

    validated: tuple[x509.Certificate, ...]
    anchor: x509.Certificate | None
    match: ChainMatch


def verify_chain(
    chain: Sequence[x509.Certificate | bytes],
    records: Iterable[TlsaRecord],
    *,
    reference_identifiers: Sequence[str],
    now: datetime,
) -> ChainVerification:
    """Match the presented ``chain`` (leaf first; DER bytes or objects) against ``records``.

    ``reference_identifiers`` are the names a DANE-TA leaf may carry (see
    :func:`dnsops.dane.names.reference_identifiers`); ``now`` is a timezone-aware time used
    for DANE-TA validity checks. Unusable records are ignored; if none is usable the verdict
    is ``tlsa-invalid`` (the caller decides beforehand whether TLS is then merely mandatory).
    """
    try:
        certificates = _load_chain(chain)
    except ValueError as exc:
        return ChainVerification(Verdict.TLSA_INVALID, str(exc))
    if not certificates:
        return ChainVerification(Verdict.TLSA_INVALID, "The server presented no certificate.")
    usable = usable_records(records)
    if not usable:
        return ChainVerification(
            Verdict.TLSA_INVALID, "No TLSA record is usable, so none can authenticate the server."
        )
    leaf = certificates[0]
    for record in usable:
        if record.usage == Usage.DANE_EE and record.matches(leaf):
            return ChainVerification(
                Verdict.PASS,
                f"DANE-EE record {_describe(record)} matches the server certificate "
                f"({_subject(leaf)}); DANE-EE checks neither names nor validity dates.",
                ChainMatch(record, depth=0, presented_index=0),
            )
    identifiers = tuple(normalize_name(name) for name in reference_identifiers)
    first_failure: ChainVerification | None = None
    trust_anchor_records = [record for record in usable if record.usage == Usage.DANE_TA]
    for path in _anchored_paths(certificates, trust_anchor_records):
        outcome = _check_anchored_path(path, identifiers, now)
        if outcome.authenticated:
            return outcome
        first_failure = first_failure or outcome
    return first_failure or ChainVerification(
        Verdict.TLSA_INVALID,
        f"No usable TLSA record ({', '.join(_describe(record) for record in usable)}) matches "
        f"the {len(certificates)} certificate(s) the server presented (leaf {_subject(leaf)}).",
    )


def _load_chain(chain: Sequence[x509.Certificate | bytes]) -> list[x509.Certificate]:
    """The presented certificates as objects, with their extensions parsed up front."""
    certificates = []
    for index, item in enumerate(chain):
        try:
            certificate = (
                item if isinstance(item, x509.Certificate) else x509.load_der_x509_certificate(item)
            )
            _ = certificate.extensions
        except ValueError as exc:
            raise ValueError(
                f"Certificate {index} of the presented chain cannot be read: {exc}"
            ) from exc
        certificates.append(certificate)
    return certificates


def _anchored_paths(
    chain: Sequence[x509.Certificate], trust_anchor_records: Sequence[TlsaRecord]
) -> Iterator[_AnchoredPath]:
    """Every path from the leaf to a certificate or key named by a DANE-TA record.

    Issuers are found by name and signature among the presented certificates, whatever their
    order; each certificate is expanded once, so a hostile chain cannot make the search blow
    up. A path stops at the first certificate a record matches.
    """
    dns_anchors = [
        (record, *_anchor_from_dns(record))
        for record in trust_anchor_records
        if record.matching_type == MatchingType.FULL
    ]
    expanded: set[int] = set()

    def extend(path: tuple[int, ...]) -> Iterator[_AnchoredPath]:
        current = chain[path[-1]]
        depth = len(path) - 1
        below = tuple(chain[index] for index in path[:depth]) or (chain[0],)
        for record in trust_anchor_records:
            if record.matches(current):
                yield _AnchoredPath(below, current, ChainMatch(record, depth, path[-1]))
                return
        expanded.add(path[-1])
        if len(path) < MAX_PATH_LENGTH:
            for index, issuer in enumerate(chain):
                if index not in expanded and _issued_by(current, issuer):
                    yield from extend((*path, index))
        for record, anchor_certificate, anchor_key in dns_anchors:
            if (
                anchor_certificate is None or current.issuer == anchor_certificate.subject
            ) and _signed_by(current, anchor_key):
                validated = tuple(chain[index] for index in path)
                yield _AnchoredPath(
                    validated, anchor_certificate, ChainMatch(record, depth + 1, None)
                )

    yield from extend((0,))


def _anchor_from_dns(record: TlsaRecord) -> tuple[x509.Certificate | None, PublicKeyTypes]:
    """The trust anchor a full-data DANE-TA record carries: a certificate, or a bare key."""
    if record.selector == Selector.CERT:
        certificate = x509.load_der_x509_certificate(record.data)
        return certificate, certificate.public_key()
    return None, serialization.load_der_public_key(record.data)


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether ``issuer`` names itself as ``certificate``'s issuer and signed it."""
    if certificate.issuer != issuer.subject:
        return False
    try:
        key = issuer.public_key()
    except (UnsupportedAlgorithm, ValueError):
        return False
    return _signed_by(certificate, key)


def _signed_by(certificate: x509.Certificate, key: PublicKeyTypes) -> bool:
    """Whether ``key`` made the signature on ``certificate`` (RSA, RSA-PSS, ECDSA, EdDSA)."""
    signature, signed_data = certificate.signature, certificate.tbs_certificate_bytes
    try:
        parameters = certificate.signature_algorithm_parameters
        hash_algorithm = certificate.signature_hash_algorithm
        if (
            isinstance(key, rsa.RSAPublicKey)
            and isinstance(parameters, padding.PKCS1v15 | padding.PSS)
            and hash_algorithm is not None
        ):
            key.verify(signature, signed_data, parameters, hash_algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey) and isinstance(parameters, ec.ECDSA):
            key.verify(signature, signed_data, parameters)
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(signature, signed_data)
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError):
        return False
    return True


def _check_anchored_path(
    path: _AnchoredPath, identifiers: tuple[str, ...], now: datetime
) -> ChainVerification:
    """Validate one path to a DANE-TA anchor, then the leaf's names."""
    anchor_text = (
        f"DANE-TA record {_describe(path.match.record)} names the trust anchor at depth "
        f"{path.match.depth}"
    )
    problem = _path_problem(path, now)
    if problem is not None:
        verdict, detail = problem
        return ChainVerification(verdict, f"{anchor_text}, but {detail}.", path.match)
    leaf = path.validated[0]
    name = matching_reference_identifier(leaf, identifiers)
    if name is None:
        return ChainVerification(
            Verdict.CERTIFICATE_HOST_MISMATCH,
            f"{anchor_text}, but the server certificate names "
            f"{', '.join(certificate_names(leaf)) or 'nothing'}, none of which is a reference "
            f"identifier ({', '.join(identifiers) or 'none given'}).",
            path.match,
        )
    return ChainVerification(
        Verdict.PASS,
        f"{anchor_text}; the chain validates and the server certificate matches {name}.",
        path.match,
        name,
    )


def _path_problem(path: _AnchoredPath, now: datetime) -> tuple[Verdict, str] | None:
    """Why the path below the anchor does not validate at ``now``, or ``None``."""
    for depth, certificate in enumerate(path.validated):
        where = f"the certificate at depth {depth} ({_subject(certificate)})"
        date_problem = _date_problem(certificate, where, now)
        if date_problem is not None:
            return date_problem
        if any(
            extension.critical and isinstance(extension.value, x509.UnrecognizedExtension)
            for extension in certificate.extensions
        ):
            return Verdict.TLSA_INVALID, f"{where} has a critical extension we do not know"
        if depth > 0:
            issuer_problem = _issuer_problem(certificate, depth - 1, trust_anchor=False)
            if issuer_problem is not None:
                return Verdict.TLSA_INVALID, f"{where} {issuer_problem}"
    issuers = list(path.validated[1:])
    if path.anchor is not None and path.match.depth > 0:
        where = f"the trust anchor ({_subject(path.anchor)})"
        date_problem = _date_problem(path.anchor, where, now)
        if date_problem is not None:
            return date_problem
        anchor_problem = _issuer_problem(path.anchor, path.match.depth - 1, trust_anchor=True)
        if anchor_problem is not None:
            return Verdict.TLSA_INVALID, f"the trust anchor {anchor_problem}"
        issuers.append(path.anchor)
    leaf_names = certificate_names(path.validated[0])
    for issuer in issuers:
        outside = _outside_name_constraints(issuer, leaf_names)
        if outside is not None:
            return Verdict.TLSA_INVALID, (
                f"the server name {outside} violates the name constraints of {_subject(issuer)}"
            )
    return None


def _date_problem(
    certificate: x509.Certificate, where: str, now: datetime
) -> tuple[Verdict, str] | None:
    """Why ``certificate`` is not valid at ``now``: expired, or not yet valid."""
    if now > certificate.not_valid_after_utc:
        return Verdict.CERTIFICATE_EXPIRED, (
            f"{where} expired on {certificate.not_valid_after_utc.isoformat()}"
        )
    if now < certificate.not_valid_before_utc:
        return Verdict.TLSA_INVALID, (
            f"{where} is not valid before {certificate.not_valid_before_utc.isoformat()}"
        )
    return None


def _issuer_problem(
    certificate: x509.Certificate, intermediates_below: int, *, trust_anchor: bool
) -> str | None:
    """Why ``certificate`` may not issue the path below it (RFC 5280 §6.1.4), or ``None``.

    A trust anchor without basic constraints (an old v1 root) is accepted; its constraints,
    when present, are enforced, since a ``2 0 x`` record pins them (RFC 7671 §5.2.2).
    """
    try:
        basic = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        if not trust_anchor:
            return "is not a CA certificate (it has no basic constraints)"
    else:
        if not basic.ca:
            return "is not a CA certificate (basic constraints say cA is false)"
        if basic.path_length is not None and intermediates_below > basic.path_length:
            return (
                f"allows {basic.path_length} intermediate CA certificate(s) below it, "
                f"the chain has {intermediates_below}"
            )
    try:
        key_usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None
    if not key_usage.key_cert_sign:
        return "may not sign certificates (its key usage lacks keyCertSign)"
    return None


def _outside_name_constraints(issuer: x509.Certificate, names: Sequence[str]) -> str | None:
    """The first of ``names`` the issuer's DNS name constraints forbid, or ``None``."""
    try:
        constraints = issuer.extensions.get_extension_for_class(x509.NameConstraints).value
    except x509.ExtensionNotFound:
        return None
    permitted = _dns_subtrees(constraints.permitted_subtrees)
    excluded = _dns_subtrees(constraints.excluded_subtrees)
    for name in names:
        if permitted and not any(_within(name, subtree) for subtree in permitted):
            return name
        if any(_within(name, subtree) for subtree in excluded):
            return name
    return None


def _dns_subtrees(subtrees: Sequence[x509.GeneralName] | None) -> list[str]:
    """The DNS name subtrees of a name constraints list."""
    return [
        normalize_name(subtree.value)
        for subtree in subtrees or ()
        if isinstance(subtree, x509.DNSName)
    ]


def _within(name: str, subtree: str) -> bool:
    """Whether DNS ``name`` lies in a name-constraint ``subtree`` (RFC 5280 §4.2.1.10)."""
    if not subtree:
        return True
    if subtree.startswith("."):
        return name.endswith(subtree)
    return name == subtree or name.endswith(f".{subtree}")


def _describe(record: TlsaRecord) -> str:
    """A record in presentation form, its data shortened for messages."""
    hex_data = record.data.hex()
    shown = hex_data if len(hex_data) <= 32 else f"{hex_data[:32]}..."
    return f"{record.usage} {record.selector} {record.matching_type} {shown}"


def _subject(certificate: x509.Certificate) -> str:
    """A certificate's subject for messages."""
    return certificate.subject.rfc4514_string() or "empty subject"

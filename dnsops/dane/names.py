"""Name checks for DANE-TA(2) (RFC 7672 §3.2.2, §3.2.3): reference identifiers and matching.

DANE-EE(3) never checks names. Under DANE-TA the server certificate must carry one of the
client's reference identifiers: DNS-ID subject alternative names if there is any, else the
subject common name; a wildcard is only a whole left-most label and stands for exactly one
label (matching several labels is local policy in RFC 7672 §3.2.3, and we do not).
"""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import NameOID


def normalize_name(name: str) -> str:
    """A DNS name in the form names are compared in: lower case, no trailing dot."""
    return name.strip().rstrip(".").lower()


def reference_identifiers(
    *, tlsa_base: str, mx_host: str, next_hop: str, expanded_next_hop: str | None = None
) -> tuple[str, ...]:
    """The names a DANE-TA server certificate may match, primary (and SNI) name first.

    For a destination reached through a DNSSEC-secure MX RRset (RFC 7672 §3.2.2): the TLSA
    base domain, the MX host name it came from (if the base is its CNAME expansion; mox
    accepts it too, RFC 7672's example does not list it), the original next-hop domain and
    the CNAME-expanded next-hop domain. With no MX records the domain is its own host: pass
    it as both ``mx_host`` and ``next_hop``.
    """
    names = (tlsa_base, mx_host, next_hop, expanded_next_hop or next_hop)
    return tuple(dict.fromkeys(normalize_name(name) for name in names))


def certificate_names(certificate: x509.Certificate) -> tuple[str, ...]:
    """The presented identifiers: the DNS-ID SANs, or the subject CNs if there is no DNS-ID."""
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        dns_ids = san.value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        dns_ids = []
    if dns_ids:
        return tuple(normalize_name(name) for name in dns_ids)
    return tuple(
        normalize_name(str(attribute.value))
        for attribute in certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    )


def name_matches(presented: str, reference: str) -> bool:
    """Whether one presented identifier matches one reference identifier (RFC 7672 §3.2.3)."""
    presented = normalize_name(presented)
    reference = normalize_name(reference)
    if "*" not in presented:
        return presented == reference
    wildcard_label, _, parent = presented.partition(".")
    if wildcard_label != "*" or "*" in parent or "." not in parent:
        return False
    first_label, _, reference_parent = reference.partition(".")
    return bool(first_label) and reference_parent == parent


def matching_reference_identifier(
    certificate: x509.Certificate, identifiers: tuple[str, ...]
) -> str | None:
    """The first reference identifier that ``certificate`` carries, or ``None``."""
    presented = certificate_names(certificate)
    for reference in identifiers:
        if any(name_matches(name, reference) for name in presented):
            return normalize_name(reference)
    return None

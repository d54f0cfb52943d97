"""DKIM key lookups for dkimpy through the provider's resolver (``DANE_RESOLVER``)."""

from __future__ import annotations

from dnsops.dns import resolver


def resolver_dnsfunc(name: bytes | str, timeout: float = 5) -> bytes | None:
    """The TXT record at ``name`` as dkimpy wants it (strings joined), None when there is none
    or the resolver does not answer (the signature then fails to verify)."""
    text = name.decode("ascii") if isinstance(name, bytes) else name
    try:
        answer = resolver.query(text.rstrip("."), "TXT", timeout=min(timeout, 5))
    except resolver.ResolverUnavailable:
        return None
    strings = resolver.txt_strings(answer)
    return strings[0].encode() if strings else None

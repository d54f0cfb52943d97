"""Addresses: servers from settings (``host``, ``host:port``, ``[v6]:port``), and whether an
address a customer's DNS names is public (the service connects to no other)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, IPv6Network, ip_address

NAT64_PREFIX = IPv6Network("64:ff9b::/96")  # RFC 6052: an IPv4 address in the last 32 bits


def is_public_address(text: str) -> bool:
    """True for a globally reachable address. An IPv6 address that carries an IPv4 one
    (IPv4-mapped, NAT64, 6to4) is judged by the IPv4 address it reaches."""
    address = ip_address(text)
    if isinstance(address, IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in NAT64_PREFIX:
            embedded = IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return embedded.is_global
    return address.is_global


def parse_server(text: str, default_port: int = 53) -> tuple[str, int]:
    """``"127.0.0.1:5300"`` → ``("127.0.0.1", 5300)``; a bare host gets ``default_port``."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default_port
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return host, int(port)
    return text, default_port


def parse_servers(texts: list[str], default_port: int = 53) -> list[tuple[str, int]]:
    """Every address of a list setting, in order."""
    return [parse_server(text, default_port) for text in texts if text.strip()]

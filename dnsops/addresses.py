"""Server addresses from settings: ``host``, ``host:port``, ``[v6]:port``."""

from __future__ import annotations


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

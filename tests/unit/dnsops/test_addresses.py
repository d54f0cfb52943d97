"""Which addresses a customer's DNS may make the service connect to."""

from __future__ import annotations

import pytest

from dnsops.addresses import is_public_address


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("192.0.2.1", False),  # documentation
        ("8.8.8.8", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("100.100.100.200", False),  # shared address space (cloud metadata)
        ("169.254.169.254", False),
        ("2001:4860:4860::8888", True),
        ("::1", False),
        ("fd00::1", False),
        ("::ffff:100.100.100.200", False),  # IPv4-mapped: judged by the IPv4 address
        ("::ffff:8.8.8.8", True),
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
        ("2002:a00:1::1", False),  # 6to4 of 10.0.0.1
    ],
)
def test_public_addresses(address: str, public: bool) -> None:
    assert is_public_address(address) is public

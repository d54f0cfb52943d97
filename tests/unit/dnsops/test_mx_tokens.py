"""MX tokens (SPEC §3): labels joined with '-', a stable hash on collision or overflow."""

from __future__ import annotations

from dnsops.partitions import allocate_mx_token, mx_token_candidates


def test_token_joins_the_labels() -> None:
    assert allocate_mx_token("contoso.com", lambda token: False) == "contoso-com"
    assert allocate_mx_token("xn--bcher-kva.example", lambda t: False) == "idn-bcher-kva-example"


def test_collision_appends_a_stable_hash() -> None:
    taken = {"a-b-c"}
    first = allocate_mx_token("a.b-c", taken.__contains__)  # "a-b.c" already holds "a-b-c"
    again = allocate_mx_token("a.b-c", taken.__contains__)
    assert first == again
    assert first.startswith("a-b-c-")
    assert first != allocate_mx_token("a-b.c", {"a-b-c"}.__contains__)


def test_long_names_fit_one_label() -> None:
    name = ".".join(["label" + "x" * 50] * 4) + ".example"
    token = allocate_mx_token(name, lambda t: False)
    assert len(token) <= 63
    assert not token.endswith("-")
    assert token == next(mx_token_candidates(name))  # deterministic


def test_every_candidate_is_a_valid_label() -> None:
    for name in ("contoso.com", "a" * 60 + ".example", "x-" * 40 + "y.test"):
        for token in mx_token_candidates(name):
            assert 1 <= len(token) <= 63
            assert token[0] != "-"
            assert token[-1] != "-"


def test_idn_tokens_are_valid_host_labels() -> None:
    from domains.names import parse_domain_name

    token = allocate_mx_token("xn--mnchen-3ya.de", lambda t: False)
    assert parse_domain_name(f"{token}.o-v1.mx.provider.test").alabel.startswith("idn-")

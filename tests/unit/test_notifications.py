"""Pure parts of notifications: what changed between two reports, the DNSSEC problems named
from codes, the webhook signature and the URL rules."""

from __future__ import annotations

import hashlib
import hmac
from ipaddress import ip_address

import pytest

from dnsops.webhooks import UnsafeUrl, address_of, check_url, sign, verify
from domains.notifications.changes import dnssec_problems, report_changes, report_summary


def report(**sections: tuple[str, list[str]]) -> dict[str, object]:
    """A report document with ``section=(status, codes)``."""
    document: dict[str, object] = {"Domain": "contoso.example", "DnssecFeatureStatus": "enabled"}
    for key, (status, codes) in sections.items():
        document[key] = {
            "Status": status,
            "Findings": [{"code": code, "action": f"fix {code}", "params": {}} for code in codes],
        }
    return document


def test_an_unchanged_report_is_no_change() -> None:
    same = report(MxValidation=("Failed", ["EX005"]), DnsValidation=("Passed", []))
    assert report_changes(same, same) is None


def test_appeared_and_disappeared_codes_and_moved_sections() -> None:
    before = report(MxValidation=("Failed", ["EX005"]), DnsValidation=("Passed", []))
    after = report(MxValidation=("Passed", []), DnsValidation=("Failed", ["ED011"]))
    changes = report_changes(before, after)
    assert changes is not None
    assert changes["appeared"] == ["ED011"]
    assert changes["disappeared"] == ["EX005"]
    assert changes["sections"] == [
        {"section": "DnsValidation", "from": "Passed", "to": "Failed"},
        {"section": "MxValidation", "from": "Failed", "to": "Passed"},
    ]
    assert changes["new_findings"][0]["action"] == "fix ED011"
    assert changes["before"] == report_summary(before)
    assert dnssec_problems(changes) == {"codes": ["ED011"], "problems": ["ds_drift"]}


def test_a_status_change_alone_is_a_change() -> None:
    before = report(MtaStsValidation=("Passed", ["ES012"]))
    after = report(MtaStsValidation=("Warning", ["ES012"]))
    changes = report_changes(before, after)
    assert changes is not None
    assert changes["appeared"] == []
    assert dnssec_problems(changes) is None


def test_a_first_report_is_news_only_with_findings() -> None:
    assert report_changes(None, report(MxValidation=("Passed", []))) is None
    first = report_changes(None, report(MxValidation=("Failed", ["EX007"])))
    assert first is not None
    assert first["appeared"] == ["EX007"]


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    body = b'{"id":"1"}'
    header = sign("whsec_k", 1700000000, body)
    expected = hmac.new(b"whsec_k", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert verify("whsec_k", header, body, now=1700000100)
    assert not verify("whsec_k", header, body + b" ", now=1700000100)
    assert not verify("whsec_other", header, body, now=1700000100)
    assert not verify("whsec_k", header, body, now=1700000000 + 301)  # replayed later
    assert not verify("whsec_k", "v1=abc", body, now=1700000000)


@pytest.mark.parametrize(
    ("url", "allow_http", "ok"),
    [
        ("https://hooks.contoso.example/x", False, True),
        ("http://hooks.contoso.example/x", False, False),
        ("http://127.0.0.1:8080/x", True, True),
        ("ftp://hooks.contoso.example/", True, False),
        ("https://user:pw@hooks.contoso.example/", False, False),
        ("https:///nohost", False, False),
    ],
)
def test_webhook_urls(url: str, allow_http: bool, ok: bool) -> None:
    if ok:
        check_url(url, allow_http=allow_http)
    else:
        with pytest.raises(UnsafeUrl):
            check_url(url, allow_http=allow_http)


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "10.1.2.3", "::1", "169.254.169.254", "::ffff:10.0.0.1"]
)
def test_non_public_addresses_are_refused(host: str) -> None:
    with pytest.raises(UnsafeUrl, match="non-public"):
        address_of(host, allow_private=False, timeout=1)
    assert ip_address(address_of(host, allow_private=True, timeout=1)) == ip_address(host)

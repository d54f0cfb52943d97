"""Verdict codes and TLS-RPT result types against the status-code vectors."""

from __future__ import annotations

from typing import Any

import pytest

from dnsops.dane.verdicts import Verdict
from tests.unit.dane.pki import load_vector

CODES = load_vector("smtp-status-codes.json")["codes"]
VERDICT_FOR_CODE = {
    "4/5.7.321": Verdict.STARTTLS_NOT_SUPPORTED,
    "4/5.7.322": Verdict.CERTIFICATE_EXPIRED,
    "4/5.7.323": Verdict.TLSA_INVALID,
    "4/5.7.324": Verdict.DNSSEC_INVALID,
    "4/5.7.325": Verdict.CERTIFICATE_HOST_MISMATCH,
    "4/5.4.312": Verdict.DNS_QUERY_FAILED,
    "556 5.1.10": Verdict.NULL_MX,
}
MTA_STS_ONLY = {"4.4.8 / 5.4.8", "4.7.5 / 5.7.5", "550 5.7.27"}
"""Codes of the vector file that are not outcomes of outbound DANE validation."""


def test_every_code_of_the_vectors_is_mapped_or_out_of_scope() -> None:
    assert {entry["code"] for entry in CODES} == set(VERDICT_FOR_CODE) | MTA_STS_ONLY


@pytest.mark.parametrize(
    "entry", [entry for entry in CODES if entry["code"] in VERDICT_FOR_CODE], ids=str
)
def test_codes_and_tlsrpt_result_types(entry: Any) -> None:
    info = VERDICT_FOR_CODE[entry["code"]].info

    if entry["code"].startswith("4/5."):
        detail = entry["code"].removeprefix("4/5.")
        assert (info.temporary_code, info.permanent_code) == (f"4.{detail}", f"5.{detail}")
    else:
        assert info.temporary_code is None
        assert info.permanent_code == entry["code"].split(" ")[1]
    assert info.tlsrpt_result_type == entry.get("tlsrpt")
    assert not info.delivers


RFC8460_RESULT_TYPES = {
    "starttls-not-supported",
    "certificate-host-mismatch",
    "certificate-expired",
    "certificate-not-trusted",
    "validation-failure",
    "tlsa-invalid",
    "dnssec-invalid",
    "dane-required",
    "sts-policy-fetch-error",
    "sts-policy-invalid",
    "sts-webpki-invalid",
}


@pytest.mark.parametrize("verdict", list(Verdict))
def test_result_types_are_rfc8460_names_and_failures_have_codes(verdict: Verdict) -> None:
    info = verdict.info

    assert info.tlsrpt_result_type is None or info.tlsrpt_result_type in RFC8460_RESULT_TYPES
    assert info.summary.endswith(".")
    assert (info.permanent_code is None) is info.delivers
    if info.tlsrpt_result_type is not None:
        assert info.tlsrpt_result_type == verdict.value

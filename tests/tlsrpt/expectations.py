"""Checks a parsed report against the facts ``tlsrpt-reports.json`` states for its vector."""

from __future__ import annotations

import json
from typing import Any

from dnsops.tlsrpt.report import TlsReport


def check_against_vector(report: TlsReport, raw: bytes, expect: dict[str, Any]) -> None:
    """Assert every fact in ``expect``; an unknown key fails (no fact goes unchecked)."""
    document = json.loads(raw)
    first = report.policies[0]
    failures = [f for p in report.policies for f in p.failure_details]
    for key, value in expect.items():
        if key == "organization-name":
            assert report.organization_name == value
        elif key == "report-id":
            assert report.report_id == value
        elif key == "policy-type":
            assert first.policy_type == value
        elif key == "policy-types":
            assert [p.reported_policy_type for p in report.policies] == value
            assert [p.policy_type for p in report.policies][1:] == ["other"]
        elif key == "policies":
            assert len(report.policies) == value
        elif key == "policy-domain":
            assert first.policy_domain == value
        elif key == "policy-string":
            assert value == "absent"
            assert first.policy_string == ()
        elif key == "mx-host":
            if value == "absent":
                assert first.mx_host == ()
            else:
                expected = value if isinstance(value, list) else [value.split(" ")[0]]
                assert list(first.mx_host) == expected
        elif key == "total-successful-session-count":
            assert report.total_successful_session_count == value
        elif key == "total-failure-session-count":
            if value == "absent":
                assert report.total_failure_session_count == 0
                assert all(
                    "total-failure-session-count" not in p["summary"] for p in document["policies"]
                )
            else:
                assert report.total_failure_session_count == value
        elif key == "sum(failed-session-count)":
            assert sum(f.failed_session_count for f in failures) == value
        elif key == "result-types":
            assert sorted(f.result_type for f in failures) == sorted(value)
        elif key == "result-type":
            assert [f.result_type for f in failures] == [value]
        elif key == "failure-reason-code":
            if value.startswith("absent"):
                assert all(f.failure_reason_code is None for f in failures)
            else:
                assert [f.failure_reason_code for f in failures] == [value]
                assert failures[0].sending_mta_ip is None
                assert failures[0].receiving_ip is None
                assert failures[0].receiving_mx_hostname is None
        elif key == "failure-details":
            assert value == "absent"
            assert failures == []
        elif key == "additional-information":
            assert any(
                f.additional_information and " " in f.additional_information for f in failures
            )
        elif key == "date-range":
            span = report.end - report.start
            if value == "7 days":
                assert 6 <= span.days <= 7
            else:
                assert span.total_seconds() == 86400
        else:
            raise AssertionError(f"no check for {key!r}")

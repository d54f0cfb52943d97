"""What changed between two status reports (``StatusResult.to_dict()`` documents): pure
functions, no database.

A report's *summary* is each section's status and finding codes; an event is due when a code
appears or disappears or a section's status changes. The DNSSEC problems of the customer's
zone are named from their codes (docs/status-codes.md).
"""

from __future__ import annotations

from typing import Any

#: The kind of DNSSEC problem each status code names.
DNSSEC_PROBLEMS = {
    "ED006": "bogus",
    "ED008": "bogus",
    "ED010": "bogus",
    "ED012": "bogus",
    "ED013": "bogus",
    "ED014": "bogus",
    "ED007": "signatures_expiring",
    "ED009": "signatures_expired",
    "ED005": "ds_drift",
    "ED011": "ds_drift",
    "ED018": "ds_drift",
}

Summary = dict[str, dict[str, Any]]


def _sections(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        key: part
        for key, part in document.items()
        if (key.endswith("Validation") or key == "TlsRpt") and isinstance(part, dict)
    }


def report_summary(document: dict[str, Any] | None) -> Summary:
    """``{section: {"status": ..., "codes": [...]}}`` of a report (empty for none)."""
    if document is None:
        return {}
    return {
        key: {
            "status": part.get("Status"),
            "codes": sorted({str(finding["code"]) for finding in part.get("Findings", [])}),
        }
        for key, part in _sections(document).items()
    }


def _codes(summary: Summary) -> set[str]:
    return {code for part in summary.values() for code in part["codes"]}


def report_changes(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any] | None:
    """The event data of a report change: before/after summaries, the codes that appeared and
    disappeared, the sections whose status moved, and the new findings (with their params,
    so a reader's language renders message and remedy); None when nothing changed. A
    domain's first report (``before`` None) is news only when it has findings."""
    old, new = report_summary(before), report_summary(after)
    appeared = sorted(_codes(new) - _codes(old))
    disappeared = sorted(_codes(old) - _codes(new))
    sections = [
        {
            "section": key,
            "from": old.get(key, {}).get("status"),
            "to": new.get(key, {}).get("status"),
        }
        for key in sorted(old.keys() | new.keys())
        if old.get(key, {}).get("status") != new.get(key, {}).get("status")
        and (before is not None or new.get(key, {}).get("status") in ("Failed", "Warning"))
    ]
    if not appeared and not disappeared and (not sections or before is None):
        return None  # unchanged; or a first report that found nothing to say
    new_findings = [
        {
            "section": key,
            "code": finding["code"],
            "severity": finding.get("severity"),
            "message": finding.get("message", ""),
            "action": finding.get("action", ""),
            "params": finding.get("params", {}),
        }
        for key, part in _sections(after).items()
        for finding in part.get("Findings", [])
        if finding["code"] in appeared
    ]
    return {
        "before": old,
        "after": new,
        "appeared": appeared,
        "disappeared": disappeared,
        "sections": sections,
        "new_findings": new_findings,
    }


def dnssec_problems(changes: dict[str, Any]) -> dict[str, Any] | None:
    """The event data of DNSSEC problems that appeared in ``changes``: ``{"codes": [...],
    "problems": [...]}``, or None when none did."""
    codes = [code for code in changes["appeared"] if code in DNSSEC_PROBLEMS]
    if not codes:
        return None
    return {"codes": codes, "problems": sorted({DNSSEC_PROBLEMS[code] for code in codes})}

"""The MX decision table of SPEC §5, row by row and preference arrangement by arrangement."""

from __future__ import annotations

import pytest

from dnsops.checks.catalogue import CATALOGUE
from dnsops.checks.findings import SectionStatus
from dnsops.checks.mx import evaluate_mx_section, mx_table_finding
from dnsops.dns.types import ExtendedDnsError, LookupStatus, MxLookup, MxRecord
from tests.unit.checks.support import DOMAIN, EXPECTED, LEGACY, OTHER, PROVIDER, mx_answer

LEGACY_EO = "contoso-example.mail.eo.provider.test"
WRONG_TOKEN = "fabrikam-com.o-v1.mx.provider.test"
WRONG_PARTITION = "contoso-example.o-v2.mx.provider.test"

# (id, MX records, code or None for Passed, parts of the message, parts of the action)
TABLE = [
    # Passed: E is the only MX, at 0.
    ("E only at 0", [(0, EXPECTED)], None, [], []),
    ("E only at 0, other spelling", [(0, "Contoso-Example.O-V1.MX.Provider.Test.")], None, [], []),
    ("E at 0 and again at 10", [(0, EXPECTED), (10, EXPECTED)], None, [], []),
    # EX003: E is the only MX and p != 0.
    (
        "E only at 10",
        [(10, EXPECTED)],
        "EX003",
        [DOMAIN, EXPECTED, "preference 10"],
        [EXPECTED, "from 10 to 0"],
    ),
    ("E only at 20", [(20, EXPECTED)], "EX003", ["preference 20"], ["from 20 to 0"]),
    ("E at 20 and at 30 only", [(30, EXPECTED), (20, EXPECTED)], "EX003", [], ["from 20 to 0"]),
    # EX006: a legacy MX is more preferred than E (migration step 4).
    (
        "legacy 0, E 20",
        [(0, LEGACY), (20, EXPECTED)],
        "EX006",
        [DOMAIN, LEGACY, "preference 0", EXPECTED, "(preference 20)"],
        [EXPECTED, "preference 0", LEGACY, "preference 30", "delete"],
    ),
    ("legacy eo 10, E 20", [(10, LEGACY_EO), (20, EXPECTED)], "EX006", [LEGACY_EO], [LEGACY_EO]),
    (
        "other 5, legacy 10, E 20: legacy wins over other",
        [(5, OTHER), (10, LEGACY), (20, EXPECTED)],
        "EX006",
        [LEGACY],
        [LEGACY],
    ),
    (
        "legacy 0 and 10 both above E 20",
        [(0, LEGACY), (10, LEGACY_EO), (20, EXPECTED)],
        "EX006",
        [f"{LEGACY} (preference 0), {LEGACY_EO} (preference 10)"],
        [],
    ),
    # EX009: another host is more preferred than E.
    (
        "other 10, E 20",
        [(10, OTHER), (20, EXPECTED)],
        "EX009",
        [DOMAIN, OTHER, "(preference 10)", EXPECTED, "(preference 20)"],
        [EXPECTED, "preference 0", OTHER],
    ),
    (
        "other 0, E 10, legacy 20: only the other is above E",
        [(0, OTHER), (10, EXPECTED), (20, LEGACY)],
        "EX009",
        [OTHER],
        [OTHER],
    ),
    (
        "look-alike legacy suffix is not legacy",
        [(0, "x.notmail.protection.provider.test"), (10, EXPECTED)],
        "EX009",
        ["x.notmail.protection.provider.test"],
        [],
    ),
    # EX004: same preference as E.
    (
        "legacy 10, E 10",
        [(10, LEGACY), (10, EXPECTED)],
        "EX004",
        [DOMAIN, LEGACY, EXPECTED, "(10)"],
        [EXPECTED, "preference 0", LEGACY, "30"],
    ),
    ("legacy 0, E 0", [(0, LEGACY), (0, EXPECTED)], "EX004", [LEGACY, "(0)"], [LEGACY]),
    ("other 0, E 0", [(0, OTHER), (0, EXPECTED)], "EX004", [OTHER], [OTHER]),
    (
        "E 10, legacy 10, other 20",
        [(10, EXPECTED), (10, LEGACY), (20, OTHER)],
        "EX004",
        [LEGACY],
        [],
    ),
    # EX008: E most preferred but p != 0.
    (
        "E 10, legacy 30",
        [(10, EXPECTED), (30, LEGACY)],
        "EX008",
        [DOMAIN, EXPECTED, "preference 10", LEGACY],
        [EXPECTED, "from 10 to 0"],
    ),
    ("E 5, legacy 10, other 20", [(5, EXPECTED), (10, LEGACY), (20, OTHER)], "EX008", [], []),
    # EX005: E at 0, less preferred MX remain (migration step 6 done, step 7 not).
    (
        "E 0, legacy 30",
        [(0, EXPECTED), (30, LEGACY)],
        "EX005",
        [DOMAIN, EXPECTED, f"{LEGACY} (preference 30)"],
        [f"Delete the MX records {LEGACY} (preference 30)", EXPECTED, "3600"],
    ),
    (
        "E 0, legacy 30, other 40",
        [(40, OTHER), (0, EXPECTED), (30, LEGACY)],
        "EX005",
        [f"{LEGACY} (preference 30), {OTHER} (preference 40)"],
        [],
    ),
    ("E 0 and 10, legacy 30", [(0, EXPECTED), (10, EXPECTED), (30, LEGACY)], "EX005", [], []),
    # EX007: E absent, nothing in the DNSSEC MX namespace.
    (
        "legacy only",
        [(0, LEGACY)],
        "EX007",
        [DOMAIN, EXPECTED],
        [EXPECTED, "preference 20", "preference 0"],
    ),
    ("other only", [(10, OTHER)], "EX007", [EXPECTED], [EXPECTED]),
    ("the suffix itself is not inside it", [(0, "mx.provider.test")], "EX007", [], []),
    ("look-alike DNSSEC suffix", [(0, "contoso.evilmx.provider.test")], "EX007", [], []),
    # EX002: E absent, an MX points into the DNSSEC MX namespace.
    (
        "wrong token",
        [(0, LEGACY), (20, WRONG_TOKEN)],
        "EX002",
        [DOMAIN, WRONG_TOKEN, "mx.provider.test", EXPECTED],
        [WRONG_TOKEN, EXPECTED],
    ),
    ("wrong partition", [(0, WRONG_PARTITION)], "EX002", [WRONG_PARTITION], [EXPECTED]),
]


@pytest.mark.parametrize(
    ("records", "code", "message_parts", "action_parts"),
    [pytest.param(*row[1:], id=row[0]) for row in TABLE],
)
def test_decision_table(records, code, message_parts, action_parts):
    section = evaluate_mx_section(DOMAIN, mx_answer(*records), EXPECTED, PROVIDER)
    if code is None:
        assert section.status is SectionStatus.PASSED
        assert section.findings == ()
        return
    assert section.status is SectionStatus.FAILED
    assert section.codes == [code]
    (found,) = section.findings
    assert DOMAIN in found.message
    for part in message_parts:
        assert part in found.message
    for part in action_parts:
        assert part in found.action


@pytest.mark.parametrize(
    ("lookup", "code", "message_part"),
    [
        pytest.param(
            MxLookup(LookupStatus.NODATA, authenticated=True), "EX012", "no MX", id="nodata"
        ),
        pytest.param(mx_answer(), "EX012", "no MX", id="noerror-without-records"),
        pytest.param(mx_answer((0, ".")), "EX013", "null MX", id="null-mx"),
        pytest.param(mx_answer((0, "")), "EX013", "null MX", id="null-mx-empty-name"),
        pytest.param(mx_answer((0, "."), (0, EXPECTED)), "EX013", "null MX", id="null-mx-beside-E"),
        pytest.param(
            MxLookup(LookupStatus.UNREADABLE, detail="bad rdata"),
            "EX013",
            "cannot be read",
            id="unreadable",
        ),
        pytest.param(
            MxLookup(LookupStatus.ERROR, detail="rcode FORMERR"), "EX010", "FORMERR", id="formerr"
        ),
    ],
)
def test_lookup_outcome_rows(lookup, code, message_part):
    section = evaluate_mx_section(DOMAIN, lookup, EXPECTED, PROVIDER)
    assert section.status is SectionStatus.FAILED
    assert section.codes == [code]
    assert DOMAIN in section.findings[0].message
    assert message_part in section.findings[0].message
    if code != "EX010":
        assert EXPECTED in section.findings[0].action
        assert "preference 0" in section.findings[0].action


@pytest.mark.parametrize(
    "status",
    [LookupStatus.SERVFAIL, LookupStatus.TIMEOUT, LookupStatus.REFUSED, LookupStatus.NXDOMAIN],
)
def test_failures_of_the_dns_section_leave_the_mx_section_not_applicable(status):
    section = evaluate_mx_section(DOMAIN, MxLookup(status), EXPECTED, PROVIDER)
    assert section.status is SectionStatus.NOT_APPLICABLE
    assert section.findings == ()


def test_the_bare_table_reports_any_other_failure_as_ex010():
    lookup = MxLookup(LookupStatus.SERVFAIL, extended_errors=(ExtendedDnsError(22),))
    found = mx_table_finding(DOMAIN, lookup, EXPECTED, PROVIDER)
    assert found is not None
    assert found.code == "EX010"
    assert "SERVFAIL" in found.message
    assert "EDE 22 (No Reachable Authority)" in found.message


def test_table_order_nodata_before_everything():
    lookup = MxLookup(LookupStatus.NODATA, records=(MxRecord(0, "."),))
    found = mx_table_finding(DOMAIN, lookup, EXPECTED, PROVIDER)
    assert found is not None
    assert found.code == "EX012"


def test_expected_host_unknown_still_guides_the_customer():
    legacy_only = evaluate_mx_section(DOMAIN, mx_answer((0, LEGACY)), None, PROVIDER)
    assert legacy_only.codes == ["EX007"]
    assert "Enable-DnssecForVerifiedDomain" in legacy_only.findings[0].action
    assert "preference 20" in legacy_only.findings[0].action

    in_namespace = evaluate_mx_section(DOMAIN, mx_answer((0, EXPECTED)), None, PROVIDER)
    assert in_namespace.codes == ["EX002"]
    assert EXPECTED in in_namespace.findings[0].message
    assert "DNSSEC is not enabled" in in_namespace.findings[0].message


def test_every_ex_code_of_the_catalogue_is_covered_here():
    covered = {row[2] for row in TABLE if row[2]} | {"EX010", "EX012", "EX013"}
    assert {code for code in CATALOGUE if code.startswith("EX")} == covered

"""Where a domain is in the MX migration of SPEC §4 (steps 1 to 9), computed once, here, from
the domain's states and the findings of its latest check run; the API
(``GET /api/v1/domains/{name}/dnssec/`` → ``MigrationStep``), the domains table and the
wizard on the domain's page all read it from :func:`migration_step`.

Its number is also stored on the domain (``AcceptedDomain.migration_step``, indexed), so the
domains table filters and counts by step in SQL: :func:`refresh_steps` is called by the
service layer whenever a check run is stored or a domain's verification, DNSSEC or DANE
state changes (``domains.checks``, ``domains.transitions``, ``domains.services``).

Titles and actions are English format strings marked for translation (``gettext_noop``) with
their parameters kept apart, so the API answers English and the UI renders them in the
reader's language; codes are never translated.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.db.models.fields.json import KT
from django.utils.translation import gettext_noop

from domains.choices import DaneState, DnssecState
from domains.models import AcceptedDomain, CheckRun

STEPS = 9
LOWERED_MX_TTL = 300  # seconds; SPEC §4 asks for at least 30

TITLES = {
    1: gettext_noop("Lower the TTL of your MX records"),
    2: gettext_noop("Put your MTA-STS policy in testing mode"),
    3: gettext_noop("Enable DNSSEC"),
    4: gettext_noop("Add the DNSSEC MX host at preference 20"),
    5: gettext_noop("Test that mail flows through the new MX"),
    6: gettext_noop("Make the DNSSEC MX host the most preferred"),
    7: gettext_noop("Delete the legacy MX records"),
    8: gettext_noop("Enable SMTP DANE inbound"),
    9: gettext_noop("Confirm the TLSA records"),
}

#: MX findings (SPEC §5) → the step whose change fixes them.
MX_CODE_STEPS = {
    "EX012": 4,
    "EX013": 4,
    "EX010": 4,
    "EX002": 4,
    "EX007": 4,
    "EX006": 6,
    "EX009": 6,
    "EX004": 6,
    "EX003": 6,
    "EX008": 6,
    "EX005": 7,
}

ROLLBACK = [
    gettext_noop("Disable SMTP DANE inbound (the TLSA records are withdrawn)."),
    gettext_noop("Or, to go back entirely: re-add your legacy MX record at preference 0,"),
    gettext_noop("then disable DNSSEC for the domain, and delete the DNSSEC MX record."),
]


@dataclass(frozen=True)
class RunEvidence:
    """What the migration step needs from a check run (from its stored document or from
    the domains table's query)."""

    mx_status: str | None = None
    mx_code: str | None = None
    mta_sts_codes: tuple[str, ...] = ()
    mta_sts_mode: str | None = None

    @classmethod
    def from_document(cls, document: dict[str, Any] | None) -> RunEvidence | None:
        """The evidence of a status document (``None``: no run, or the checks were stopped)."""
        if not document or document.get("MxValidation") is None:
            return None
        mx = document["MxValidation"]
        sts = document.get("MtaStsValidation") or {}
        policy = sts.get("Policy") or {}
        return cls(
            mx_status=mx.get("Status"),
            mx_code=next((f["code"] for f in mx.get("Findings", [])), None),
            mta_sts_codes=tuple(f["code"] for f in sts.get("Findings", [])),
            mta_sts_mode=policy.get("Mode"),
        )


@dataclass(frozen=True)
class MigrationStep:
    """The step the domain is at: ``number`` of 9, what to do and the record to publish."""

    number: int
    action: str
    params: dict[str, str] = field(default_factory=dict)
    record: dict[str, Any] | None = None
    code: str | None = None  # the finding that decided the step, if one did
    in_progress: bool = False
    done: bool = False

    @property
    def title(self) -> str:
        """The step's title (English; the UI translates it)."""
        return TITLES[self.number]

    @property
    def action_text(self) -> str:
        """The action with its parameters filled in (English)."""
        return self.action % self.params

    def to_dict(self) -> dict[str, Any]:
        """The API's ``MigrationStep``."""
        return {
            "Number": self.number,
            "Of": STEPS,
            "Title": self.title,
            "Action": self.action_text,
            "Record": self.record,
            "Code": self.code,
            "InProgress": self.in_progress,
            "Done": self.done,
        }


def mx_record(domain: str, host: str, preference: int, ttl: int | None = None) -> dict[str, Any]:
    """An MX record to publish at ``domain``."""
    return {"Name": domain, "Type": "MX", "Preference": preference, "Value": f"{host}.", "Ttl": ttl}


def migration_step(
    *,
    domain: str,
    verified: bool,
    dnssec_state: str,
    dane_state: str,
    expected_host: str | None,
    evidence: RunEvidence | None,
) -> MigrationStep | None:
    """The step of SPEC §4 the domain is at; None while its ownership is not verified."""
    if not verified:
        return None
    params = {"domain": domain, "host": expected_host or ""}
    if dnssec_state in (DnssecState.DISABLED, DnssecState.FAILED, DnssecState.DISABLING):
        return _before_dnssec(domain, dnssec_state, evidence, params)
    if dnssec_state == DnssecState.ENABLING:
        return MigrationStep(
            3,
            gettext_noop("DNSSEC is being enabled for %(domain)s; this takes a few seconds."),
            params,
            in_progress=True,
        )
    assert expected_host is not None  # pending_mx / enabled: the MX host is published
    if evidence is None:
        return MigrationStep(
            4,
            gettext_noop(
                "Add an MX record at %(domain)s for %(host)s with preference 20, keeping your "
                "current MX records more preferred, then run the check again."
            ),
            params,
            record=mx_record(domain, expected_host, 20),
        )
    if "ES001" in evidence.mta_sts_codes:
        return MigrationStep(
            2,
            gettext_noop(
                'Edit the MTA-STS policy of %(domain)s: set "mode: testing", add the line '
                '"mx: %(pattern)s" (a "*." pattern matches one label only), and change the id '
                "of its _mta-sts TXT record so senders fetch the new policy."
            ),
            {**params, "pattern": _policy_pattern(expected_host)},
            code="ES001",
        )
    step = MX_CODE_STEPS.get(evidence.mx_code or "")
    if step == 4:
        return MigrationStep(
            4,
            gettext_noop(
                "Add an MX record at %(domain)s for %(host)s with preference 20, keeping your "
                "current MX records more preferred while you test."
            ),
            params,
            record=mx_record(domain, expected_host, 20),
            code=evidence.mx_code,
        )
    if step == 6:
        action = (
            gettext_noop(
                "Once mail flows through %(host)s (step 5), swap the preferences at %(domain)s: "
                "the legacy MX to 30, %(host)s to 0."
            )
            if evidence.mx_code == "EX006"
            else gettext_noop(
                "Set the MX record %(host)s at %(domain)s to preference 0 and give every other "
                "MX a higher preference number."
            )
        )
        return MigrationStep(
            6, action, params, record=mx_record(domain, expected_host, 0), code=evidence.mx_code
        )
    if step == 7:
        return MigrationStep(
            7,
            gettext_noop(
                "Delete the legacy MX records at %(domain)s so that %(host)s (preference 0) is "
                "the only one, and raise its TTL to 3600."
            ),
            params,
            record=mx_record(domain, expected_host, 0, ttl=3600),
            code="EX005",
        )
    if evidence.mx_status != "Passed":
        return MigrationStep(
            4,
            gettext_noop(
                "The MX records of %(domain)s could not be judged; check that its name "
                "servers answer, then run the check again."
            ),
            params,
            code=evidence.mx_code,
        )
    if "ES011" in evidence.mta_sts_codes:
        return MigrationStep(
            7,
            gettext_noop(
                'Add the line "mx: %(pattern)s" to the MTA-STS policy of %(domain)s, change the '
                'id of its _mta-sts TXT record, then set "mode: enforce" again.'
            ),
            {**params, "pattern": _policy_pattern(expected_host)},
            code="ES011",
        )
    return _dane_step(dane_state, params)


def _before_dnssec(
    domain: str, dnssec_state: str, evidence: RunEvidence | None, params: dict[str, str]
) -> MigrationStep:
    if dnssec_state == DnssecState.DISABLING:
        return MigrationStep(
            3,
            gettext_noop("DNSSEC is being disabled for %(domain)s."),
            params,
            in_progress=True,
        )
    if evidence is not None and evidence.mta_sts_mode == "enforce":
        return MigrationStep(
            2,
            gettext_noop(
                'Set "mode: testing" in the MTA-STS policy of %(domain)s and change the id of '
                "its _mta-sts TXT record, so that senders accept the new MX while you migrate."
            ),
            params,
            code="ES002" if "ES002" in evidence.mta_sts_codes else None,
        )
    return MigrationStep(
        1,
        gettext_noop(
            "Set the TTL of the MX records of %(domain)s to %(ttl)s seconds or less and wait "
            "until the old TTL has passed; then enable DNSSEC (step 3) to get the DNSSEC MX host."
        ),
        {**params, "ttl": str(LOWERED_MX_TTL)},
    )


def _dane_step(dane_state: str, params: dict[str, str]) -> MigrationStep:
    if dane_state == DaneState.ENABLED:
        return MigrationStep(
            9,
            gettext_noop(
                "SMTP DANE inbound is enabled: check that the TLSA records of %(host)s are "
                "visible and validate (allow 15 to 30 minutes for caches)."
            ),
            params,
            done=True,
        )
    if dane_state in (DaneState.ENABLING, DaneState.DISABLING):
        return MigrationStep(
            8,
            gettext_noop("SMTP DANE inbound is being changed for %(domain)s."),
            params,
            in_progress=True,
        )
    return MigrationStep(
        8,
        gettext_noop(
            "The MX records of %(domain)s are right: enable SMTP DANE inbound to publish the "
            "TLSA records of %(host)s."
        ),
        params,
    )


def _policy_pattern(expected_host: str) -> str:
    """An MTA-STS ``mx:`` pattern that really matches the host: ``*.`` + its partition zone
    (``*.<DANE_MX_SUFFIX>`` would not: a wildcard matches one label only)."""
    zone = expected_host.split(".", 1)[1] if "." in expected_host else expected_host
    return f"*.{zone}" if zone != settings.DANE_MX_SUFFIX else expected_host


def step_for_domain(
    domain: AcceptedDomain, document: dict[str, Any] | None
) -> MigrationStep | None:
    """The step of ``domain`` now: its current states and the findings of ``document`` (its
    latest Get-DnssecStatusForVerifiedDomain document, if any)."""
    return migration_step(
        domain=domain.name,
        verified=domain.is_verified,
        dnssec_state=domain.dnssec_state,
        dane_state=domain.dane_state,
        expected_host=domain.dnssec_mx_value,
        evidence=RunEvidence.from_document(document),
    )


def step_number(
    domain: AcceptedDomain,
    evidence: RunEvidence | None,
    *,
    dnssec_state: str | None = None,
    dane_state: str | None = None,
) -> int | None:
    """The number of the step ``domain`` is at (None: unverified, initial or self-service),
    from ``evidence`` of its latest run; ``dnssec_state`` and ``dane_state`` override the
    loaded ones (a state being moved in the same transaction)."""
    if domain.is_initial or domain.is_self_service:
        return None
    step = migration_step(
        domain=domain.name,
        verified=domain.is_verified,
        dnssec_state=dnssec_state or domain.dnssec_state,
        dane_state=dane_state or domain.dane_state,
        expected_host=domain.dnssec_mx_value,
        evidence=evidence,
    )
    return None if step is None else step.number


#: The DNSSEC states whose step no check run changes (DNSSEC is being enabled or disabled).
STEP_WITHOUT_EVIDENCE = frozenset({DnssecState.ENABLING, DnssecState.DISABLING})


def step_of(
    domain: AcceptedDomain, *, dnssec_state: str | None = None, dane_state: str | None = None
) -> int | None:
    """The step number of a loaded domain with these states (its own by default), for the
    UPDATE that moves them; its latest check run is read only when the step depends on it."""
    state = dnssec_state or domain.dnssec_state
    evidence = None
    if state not in STEP_WITHOUT_EVIDENCE and domain.is_verified:
        evidence = latest_evidence([domain.pk]).get(domain.pk)
    return step_number(domain, evidence, dnssec_state=state, dane_state=dane_state)


def latest_evidence(domain_ids: Collection[int]) -> dict[int, RunEvidence]:
    """The evidence of the latest check run of each of these domains (one query; the few
    fields the step needs are read from the runs' JSON in SQL)."""
    latest = CheckRun.objects.filter(domain=OuterRef("domain_id")).order_by("-started_at", "-id")
    runs = CheckRun.objects.filter(domain_id__in=domain_ids, id=Subquery(latest.values("id")[:1]))
    found = {}
    for run in runs.values(
        "domain_id",
        mx_status=KT("result__MxValidation__Status"),
        mx_code=KT("result__MxValidation__Findings__0__code"),
        sts_code_0=KT("result__MtaStsValidation__Findings__0__code"),
        sts_code_1=KT("result__MtaStsValidation__Findings__1__code"),
        sts_mode=KT("result__MtaStsValidation__Policy__Mode"),
    ):
        if run["mx_status"] is None:
            continue  # the checks were stopped (EG002): no MX evidence
        found[run["domain_id"]] = RunEvidence(
            mx_status=run["mx_status"],
            mx_code=run["mx_code"],
            mta_sts_codes=tuple(c for c in (run["sts_code_0"], run["sts_code_1"]) if c),
            mta_sts_mode=run["sts_mode"],
        )
    return found


def refresh_steps(domain_ids: Collection[int]) -> None:
    """Store the step of these domains from their current states and latest runs (two
    queries and one UPDATE per distinct step, whatever the number of domains)."""
    if not domain_ids:
        return
    evidence = latest_evidence(domain_ids)
    domains = AcceptedDomain.objects.filter(pk__in=domain_ids).select_related("partition")
    store_steps({domain.pk: step_number(domain, evidence.get(domain.pk)) for domain in domains})


def store_steps(steps: dict[int, int | None]) -> None:
    """Write ``{domain id: step number}`` (one UPDATE per distinct step)."""
    by_step: dict[int | None, list[int]] = defaultdict(list)
    for pk, number in steps.items():
        by_step[number].append(pk)
    for number, pks in by_step.items():
        AcceptedDomain.objects.filter(pk__in=pks).exclude(migration_step=number).update(
            migration_step=number
        )

"""The operators' area (``/operator/``): its start page, the fleet overview; each other operator
page lives in its own view module and is wrapped in ``operator_page``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from domains import fleet
from domains.choices import DaneState, DnssecState
from domains.migration import TITLES
from domains.models import ActivityHourly
from domains.ui.access import operator_page

#: Overall statuses of a check run, in the charts' order.
OUTCOMES = ("Passed", "Warning", "Failed")


#: The tone (ok, warn, bad, busy, off) that colours each series; the label names it anyway.
TONES = {
    "Passed": "ok",
    "Warning": "warn",
    "Failed": "bad",
    ActivityHourly.Event.REQUESTED: "busy",
    ActivityHourly.Event.SUCCEEDED: "ok",
    ActivityHourly.Event.FAILED: "bad",
}


def _outcome_label(outcome: str) -> str:
    return {"Passed": _("Passed"), "Warning": _("Warning"), "Failed": _("Failed")}.get(
        outcome, outcome
    )


def _event_label(event: str) -> str:
    return {
        ActivityHourly.Event.REQUESTED: _("Requested"),
        ActivityHourly.Event.SUCCEEDED: _("Succeeded"),
        ActivityHourly.Event.FAILED: _("Failed"),
    }.get(ActivityHourly.Event(event), event)


def chart_data(overview: fleet.Overview) -> dict[str, dict[str, Any]]:
    """The three charts' data (labels and series), fed to the page through ``json_script``;
    the same figures are in the tables beside them."""
    days = [day.isoformat() for day in overview.days]
    return {
        "outcomes": {
            "type": "bar",
            "stacked": True,
            "labels": days,
            "series": [
                {
                    "label": _outcome_label(outcome),
                    "tone": TONES[outcome],
                    "data": overview.outcomes.get(outcome, [0] * len(days)),
                }
                for outcome in OUTCOMES
            ],
        },
        "codes": {
            "type": "line",
            "stacked": False,
            "labels": days,
            "series": [{"label": code, "data": data} for code, data in overview.codes.items()],
        },
        "operations": {
            "type": "bar",
            "stacked": True,
            "labels": [f"{row['hour']:%H:00}" for row in overview.hours],
            "series": [
                {
                    "label": _event_label(event),
                    "tone": TONES[event],
                    "data": [row[event.value] for row in overview.hours],
                }
                for event in fleet.OPERATION_EVENTS
            ],
        },
    }


def _outcome_rows(overview: fleet.Overview) -> list[dict[str, Any]]:
    return [
        {
            "day": day,
            **{
                outcome: overview.outcomes.get(outcome, [0] * len(overview.days))[i]
                for outcome in OUTCOMES
            },
        }
        for i, day in enumerate(overview.days)
    ]


def _code_rows(overview: fleet.Overview) -> list[dict[str, Any]]:
    return [
        {"day": day, "counts": [series[i] for series in overview.codes.values()]}
        for i, day in enumerate(overview.days)
    ]


@operator_page
def index(request: HttpRequest) -> HttpResponse:
    """``/operator/``: the fleet overview across every tenant (403 for anyone else)."""
    overview = fleet.overview()
    dnssec_states = [state.value for state in DnssecState]
    dane_states = [state.value for state in DaneState]
    state_rows = [
        {
            "dnssec_state": dnssec,
            "counts": [overview.states.get((dnssec, dane), 0) for dane in dane_states],
            "total": sum(overview.states.get((dnssec, dane), 0) for dane in dane_states),
        }
        for dnssec in dnssec_states
    ]
    operations = overview.operations
    context = {
        "nav": "operator",
        "overview": overview,
        "dane_states": dane_states,
        "state_rows": state_rows,
        "funnel": [
            {"step": step, "title": _(TITLES[step]), "count": count}
            for step, count in overview.funnel
        ],
        "in_flight": sum(count for _state, _kind, count in operations.in_flight),
        "retrying": sum(count for _kind, count in operations.retrying),
        "failed_last_day": sum(count for _kind, _code, count in operations.failed_codes),
        "last_day": [(_event_label(event), count) for event, count in operations.last_day],
        "stuck_days": settings.DANE_STUCK_PENDING_MX_DAYS,
        "outcomes": OUTCOMES,
        "outcome_labels": [_outcome_label(outcome) for outcome in OUTCOMES],
        "outcome_rows": _outcome_rows(overview),
        "trend_codes": list(overview.codes),
        "code_rows": _code_rows(overview),
        "operation_events": [_event_label(event) for event in fleet.OPERATION_EVENTS],
        "hour_rows": [
            {"hour": row["hour"], "counts": [row[event.value] for event in fleet.OPERATION_EVENTS]}
            for row in overview.hours
        ],
        "charts": chart_data(overview),
    }
    return render(request, "ui/operator/index.html", context)

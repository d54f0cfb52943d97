"""Template filters of the UI's reports: a status finding's message and action in the
reader's language, rendered from its code's templates and the values the check filled in."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext

from dnsops.checks.catalogue import CATALOGUE

register = template.Library()


def _render(finding: dict[str, Any], part: str) -> str:
    """``part`` ("message" or "action") of ``finding`` translated; the stored English text
    when the finding has no parameters (runs stored before they were kept) or an unknown
    code, or when a translation does not fit the parameters."""
    stored = str(finding.get(part, ""))
    spec = CATALOGUE.get(str(finding.get("code")))
    params = finding.get("params")
    if spec is None or not isinstance(params, dict):
        return stored
    try:
        return gettext(getattr(spec, part)).format(**params)
    except (KeyError, IndexError, ValueError):
        return stored


@register.filter
def finding_message(finding: dict[str, Any]) -> str:
    """What the check found, in the reader's language."""
    return _render(finding, "message")


@register.filter
def finding_action(finding: dict[str, Any]) -> str:
    """What to change, in the reader's language."""
    return _render(finding, "action")

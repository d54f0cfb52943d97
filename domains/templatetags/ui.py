"""Template filters of the UI: translated step texts and status badges (text + icon)."""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.translation import gettext, pgettext_lazy

from domains.migration import TITLES, MigrationStep

register = template.Library()

#: state or status → (badge class, its label)
BADGES: dict[str, tuple[str, Promise]] = {
    "disabled": ("status-off", pgettext_lazy("state", "Off")),
    "enabling": ("status-busy", pgettext_lazy("state", "Enabling")),
    "pending_mx": ("status-warn", pgettext_lazy("state", "Waiting for MX")),
    "enabled": ("status-ok", pgettext_lazy("state", "On")),
    "disabling": ("status-busy", pgettext_lazy("state", "Disabling")),
    "failed": ("status-bad", pgettext_lazy("state", "Failed")),
    "Passed": ("status-ok", pgettext_lazy("state", "Passed")),
    "Warning": ("status-warn", pgettext_lazy("state", "Warning")),
    "Failed": ("status-bad", pgettext_lazy("state", "Failed")),
    "NotApplicable": ("status-off", pgettext_lazy("state", "Not applicable")),
    "pending": ("status-busy", pgettext_lazy("state", "Pending")),
    "running": ("status-busy", pgettext_lazy("state", "Running")),
    "succeeded": ("status-ok", pgettext_lazy("state", "Succeeded")),
}


@register.filter
def badge_class(value: str) -> str:
    """The badge class of a state or status."""
    return BADGES.get(value, ("status-off", value))[0]


@register.filter
def badge_label(value: str) -> str:
    """The translated label of a state or status."""
    label: str | Promise = BADGES[value][1] if value in BADGES else value
    return str(label)


@register.filter
def badge(value: str) -> str:
    """A state or status as its badge (text + icon class): ``ui/domains/_badge.html`` as a
    filter, for the rows of long tables."""
    return format_html('<span class="status {}">{}</span>', badge_class(value), badge_label(value))


@register.filter
def step_title(step: MigrationStep) -> str:
    """The step's title in the reader's language."""
    return gettext(step.title)


@register.filter
def step_number_title(number: int) -> str:
    """The title of step ``number`` in the reader's language."""
    return gettext(TITLES[number])


@register.filter
def step_action(step: MigrationStep) -> str:
    """The step's action in the reader's language, with its parameters."""
    return gettext(step.action) % step.params


@register.filter
def translate_with_domain(text: str, domain: Any) -> str:
    """``text`` (marked with gettext_noop) translated, ``%(domain)s`` filled in."""
    return gettext(text) % {"domain": domain}


@register.filter
def translated(text: str) -> str:
    """``text`` (marked with gettext_noop) in the reader's language."""
    return gettext(text)


@register.filter
def pretty_json(value: Any) -> str:
    """``value`` as indented JSON (for the cmdlet-shaped results)."""
    return json.dumps(value, indent=2, ensure_ascii=False)

"""Template filters of notifications: an event's title and a report section's name in the
reader's language."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext, gettext_lazy

from domains.notifications.models import Event, EventType

register = template.Library()

#: The title of each event type, as digests and the Notifications page show it.
EVENT_TITLES = {
    EventType.REPORT_CHANGED: gettext_lazy("The status report changed"),
    EventType.DOMAIN_ENABLED: gettext_lazy("Enabled"),
    EventType.OPERATION_FAILED: gettext_lazy("A command failed"),
    EventType.DNSSEC_PROBLEM: gettext_lazy("A DNSSEC problem of the domain's zone appeared"),
    EventType.TLSA_MISMATCH: gettext_lazy(
        "A served certificate of the provider does not match the published TLSA records"
    ),
    EventType.TLSRPT_FAILURE: gettext_lazy("A TLS-RPT report with failed sessions arrived"),
    EventType.TEST: gettext_lazy("Test event"),
}

SECTION_NAMES = {
    "DomainValidation": gettext_lazy("Domain"),
    "DnsValidation": gettext_lazy("DNS and DNSSEC"),
    "MxValidation": gettext_lazy("MX"),
    "MtaStsValidation": gettext_lazy("MTA-STS"),
    "TlsRpt": gettext_lazy("TLS-RPT"),
}

FEATURES = {
    "dnssec": gettext_lazy("DNSSEC"),
    "smtp_dane_inbound": gettext_lazy("SMTP DANE inbound"),
}


@register.filter
def event_title(event: Event | str) -> str:
    """The event's (or event type's) title in the reader's language."""
    event_type = event.type if isinstance(event, Event) else event
    try:
        return str(EVENT_TITLES[EventType(event_type)])
    except ValueError:
        return event_type


@register.filter
def section_name(key: str) -> str:
    """A report section's name (``MxValidation`` → MX)."""
    return str(SECTION_NAMES.get(key, key))


@register.filter
def feature_name(key: str) -> str:
    """A feature's name (``dnssec`` → DNSSEC)."""
    return str(FEATURES.get(key, key))


@register.filter
def status_name(status: str | None) -> str:
    """A section status in the reader's language (none: not checked)."""
    names = {
        "Passed": gettext("Passed"),
        "Failed": gettext("Failed"),
        "Warning": gettext("Warning"),
        "NotApplicable": gettext("Not applicable"),
    }
    return names.get(status or "", gettext("not checked"))

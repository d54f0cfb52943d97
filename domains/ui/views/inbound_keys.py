"""``/operator/inbound-keys/``: the provider's inbound keys in their rollover (state, expiry
with a countdown, DANE domains publishing each TLSA, which key every inbound address serves,
when promotion is allowed), with promote / retire buttons over ``domains.rollover``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from domains import rollover
from domains.audit import Actor
from domains.errors import ServiceError
from domains.ui.access import operator_page

DATE_FIELDS = ("NotAfter", "PromotedAt", "ProbedAt", "AllowedAt", "PromotionAllowedAt")


@operator_page
def inbound_keys(request: HttpRequest) -> HttpResponse:
    """The keys, what each inbound address serves (a mismatch is an error at the top)."""
    status = _with_dates(rollover.key_status())
    mismatched = [entry for entry in status["InboundAddresses"] if not entry["Matches"]]
    context = {"nav": "operator_inbound_keys", "status": status, "mismatched": mismatched}
    return render(request, "ui/operator/inbound_keys.html", context)


@operator_page
@require_POST
def promote_key(request: HttpRequest, name: str) -> HttpResponse:
    """Promote a next key; a refusal is shown with its reason."""
    try:
        rollover.promote(name, actor=_actor(request))
    except ServiceError as exc:
        messages.error(request, _("Promotion refused: %(reason)s") % {"reason": exc.message})
    else:
        messages.success(
            request,
            _("%(name)s is current: deploy its certificate on every inbound server.")
            % {"name": name},
        )
    return redirect("ui:operator_inbound_keys")


@operator_page
@require_POST
def retire_key(request: HttpRequest, name: str) -> HttpResponse:
    """Retire a key (the inbound servers are probed first); a refusal shows its reason."""
    try:
        rollover.retire(name, actor=_actor(request))
    except ServiceError as exc:
        messages.error(request, _("Retirement refused: %(reason)s") % {"reason": exc.message})
    else:
        messages.success(request, _("%(name)s is retired: its TLSA is withdrawn.") % {"name": name})
    return redirect("ui:operator_inbound_keys")


def _actor(request: HttpRequest) -> Actor:
    return Actor(f"user:{request.user.get_username()}")


def _with_dates(value: Any) -> Any:
    """The status document with its ISO timestamps as datetimes (for the date filters)."""
    if isinstance(value, list):
        return [_with_dates(item) for item in value]
    if isinstance(value, dict):
        return {
            key: parse_datetime(item)
            if key in DATE_FIELDS and isinstance(item, str)
            else _with_dates(item)
            for key, item in value.items()
        }
    return value

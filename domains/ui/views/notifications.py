"""The tenant's Notifications page (in the settings area): webhooks (create with the secret
shown once, delete, send a test event, their recent deliveries and attempts) and the member's
own e-mail digest. Admins manage webhooks; every member, viewers too, sets their digest."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from domains import errors
from domains.notifications import selectors, services
from domains.notifications.models import DigestSubscription, Webhook
from domains.templatetags.notifications import EVENT_TITLES
from domains.ui.access import Member, member_of, tenant_page

#: Deliveries shown per webhook on the page.
RECENT_DELIVERIES = 10

FREQUENCIES = (
    (DigestSubscription.Frequency.OFF.value, gettext_lazy("Off")),
    (DigestSubscription.Frequency.IMMEDIATE.value, gettext_lazy("Immediately, for each change")),
    (DigestSubscription.Frequency.DAILY.value, gettext_lazy("Once a day")),
)


class WebhookForm(forms.Form):
    """A new webhook: URL and the event types (none ticked: all)."""

    url = forms.CharField(label=gettext_lazy("Receiver URL"), max_length=500)
    event_types = forms.MultipleChoiceField(
        choices=[(t.value, EVENT_TITLES[t]) for t in services.SUBSCRIBABLE_TYPES],
        required=False,
    )


class DigestForm(forms.Form):
    """The member's digest: how often and in which language."""

    frequency = forms.ChoiceField(choices=FREQUENCIES)
    language = forms.ChoiceField(choices=settings.LANGUAGES)


def _page(request: HttpRequest, member: Member, *, status: int = 200, **extra: Any) -> HttpResponse:
    webhooks = list(selectors.webhooks_of(member.tenant))
    deliveries = {
        webhook.pk: list(selectors.deliveries_of(webhook)[:RECENT_DELIVERIES])
        for webhook in webhooks
    }
    attempts = selectors.attempts_of([d for shown in deliveries.values() for d in shown])
    subscription = selectors.digest_of(member.membership)
    context = {
        "nav": "settings",
        "webhooks": [
            (
                webhook,
                [(delivery, attempts[delivery.pk]) for delivery in deliveries[webhook.pk]],
            )
            for webhook in webhooks
        ],
        "event_types": [(t.value, EVENT_TITLES[t]) for t in services.SUBSCRIBABLE_TYPES],
        "frequencies": FREQUENCIES,
        "languages": settings.LANGUAGES,
        "digest_frequency": subscription.frequency if subscription else "off",
        "digest_language": subscription.language if subscription else get_language(),
        "member_email": member.membership.user.email,
        "webhook_form": WebhookForm(),
        **extra,
    }
    return render(request, "ui/settings/notifications.html", context, status=status)


@tenant_page
def notifications_page(request: HttpRequest, member: Member) -> HttpResponse:
    """The webhooks of the tenant and the member's digest."""
    return _page(request, member)


def _webhook(member: Member, webhook_id: UUID) -> Webhook:
    webhook = selectors.webhook_of(member.tenant, webhook_id)
    if webhook is None:
        raise Http404(_("No such webhook."))
    return webhook


@require_POST
@tenant_page
def create_webhook(request: HttpRequest, member: Member) -> HttpResponse:
    """Create a webhook and show its secret this once."""
    form = WebhookForm(request.POST)
    if not form.is_valid():
        return _page(request, member, status=400, webhook_form=form)
    try:
        webhook, secret = services.create_webhook(
            member.tenant,
            url=form.cleaned_data["url"],
            event_types=form.cleaned_data["event_types"],
            actor=member.actor,
        )
    except errors.ServiceError as exc:
        form.add_error("url" if exc.details.get("field") == "url" else None, exc.message)
        return _page(request, member, status=400, webhook_form=form)
    response = _page(request, member, new_webhook=webhook, new_secret=secret)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@tenant_page
def delete_webhook(request: HttpRequest, member: Member, webhook_id: UUID) -> HttpResponse:
    """Delete one of the tenant's webhooks."""
    webhook = _webhook(member, webhook_id)
    services.delete_webhook(webhook, actor=member.actor)
    messages.success(request, _("The webhook %(url)s is deleted.") % {"url": webhook.url})
    return redirect("ui:notifications", member.tenant.slug)


@require_POST
@tenant_page
def test_webhook(request: HttpRequest, member: Member, webhook_id: UUID) -> HttpResponse:
    """Send a test event to the webhook; its delivery shows up in the list."""
    webhook = _webhook(member, webhook_id)
    services.send_test_event(webhook, actor=member.actor)
    messages.success(
        request,
        _("A test event is on its way to %(url)s; reload to see its delivery.")
        % {"url": webhook.url},
    )
    return redirect("ui:notifications", member.tenant.slug)


@require_POST
@login_required
def set_digest(request: HttpRequest, slug: str) -> HttpResponse:
    """The member's own digest preference (viewers may set theirs too)."""
    member = member_of(request, slug)
    request.ui_member = member  # type: ignore[attr-defined]  # read by the context processor
    form = DigestForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how often and in which language."))
        return redirect("ui:notifications", slug)
    services.set_digest_preference(
        member.membership,
        frequency=form.cleaned_data["frequency"],
        language=form.cleaned_data["language"],
        actor=member.actor,
    )
    messages.success(request, _("Your e-mail digest preference is saved."))
    return redirect("ui:notifications", slug)

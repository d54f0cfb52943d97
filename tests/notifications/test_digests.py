"""E-mail digests: opt-in per member, only what changed since the last digest, grouped per
domain with the remedy of each new finding, in the member's language; one end-to-end run
through a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import socket
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.db import transaction
from django.utils import timezone

from dnsops.checks.catalogue import CATALOGUE
from domains import checks, services
from domains.audit import Actor
from domains.choices import AuditAction
from domains.models import AuditEvent, CheckRun, Membership, Tenant
from domains.notifications import digests
from domains.notifications import services as notification_services
from domains.notifications.events import record_event
from domains.notifications.models import EventType
from tests.factories import DomainFactory
from tests.notifications.support import outcome

pytestmark = pytest.mark.django_db


def member(tenant: Tenant, frequency: str = "immediate", language: str = "en") -> Membership:
    membership, _ = services.provision_member(
        tenant, f"m-{tenant.slug}-{language}", role="viewer", actor=Actor.cli()
    )
    membership.user.email = f"{membership.user.username}@contoso.example"
    membership.user.save()
    notification_services.set_digest_preference(
        membership, frequency=frequency, language=language, actor=Actor.cli()
    )
    return membership


def test_the_digest_lists_exactly_the_changes_since_the_last_one(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    before = DomainFactory.create(tenant=tenant, dnssec_enabled=True)
    checks.store_outcomes([outcome(before, mx=("EX005",))], CheckRun.Trigger.SCHEDULE)
    reader = member(tenant)  # subscribes now: what happened before is not news
    quiet = member(tenant, frequency="off", language="zh-hant")
    alpha = DomainFactory.create(tenant=tenant, dnssec_enabled=True, name="alpha.example")
    beta = DomainFactory.create(tenant=tenant, pending_mx=True, name="beta.example")
    checks.store_outcomes(
        [outcome(alpha, dns=("ED008",)), outcome(beta)], CheckRun.Trigger.SCHEDULE
    )
    elsewhere = DomainFactory.create(tenant=other_tenant, dnssec_enabled=True, name="gamma.example")
    checks.store_outcomes([outcome(elsewhere, dns=("ED008",))], CheckRun.Trigger.SCHEDULE)

    assert digests.send_due_digests() == 1

    (message,) = mail.outbox
    assert message.to == [reader.user.email]
    assert quiet.user.email not in message.to
    assert message.subject == f"DANE Admin: 3 changes for {tenant.name}"
    text = message.body
    assert text.index("alpha.example") < text.index("beta.example")
    alpha_part = text[text.index("alpha.example") : text.index("beta.example")]
    assert "The status report changed" in alpha_part
    assert "A DNSSEC problem of the domain's zone appeared" in alpha_part
    assert "New finding ED008" in alpha_part
    assert "Remedy:" in alpha_part
    assert str(CATALOGUE["ED008"].action).split("{")[0].strip()[:30] in alpha_part
    assert "Enabled: DNSSEC" in text[text.index("beta.example") :]
    assert before.name not in text  # before the subscription
    assert "gamma.example" not in text  # another tenant's
    assert isinstance(message, mail.EmailMultiAlternatives)
    html = str(message.alternatives[0][0])
    assert "alpha.example" in html

    mail.outbox.clear()
    assert digests.send_due_digests() == 0  # nothing new
    with transaction.atomic():
        record_event(EventType.TLSA_MISMATCH, tenant=tenant, domain=alpha, data={"detail": "x"})
    assert digests.send_due_digests() == 1
    (second,) = mail.outbox
    assert "A served certificate of the provider does not match" in second.body
    assert "ED008" not in second.body  # already sent


def test_a_daily_digest_waits_a_day_and_speaks_the_members_language(tenant: Tenant) -> None:
    reader = member(tenant, frequency="daily", language="zh-hant")
    domain = DomainFactory.create(tenant=tenant, dnssec_enabled=True, name="delta.example")
    now = timezone.now()
    checks.store_outcomes([outcome(domain, dns=("ED009",))], CheckRun.Trigger.SCHEDULE)

    assert digests.send_due_digests(now) == 0  # subscribed just now: the first one in a day
    assert digests.send_due_digests(now + timedelta(days=1, minutes=1)) == 1
    (message,) = mail.outbox
    assert message.to == [reader.user.email]
    assert "delta.example" in message.body
    assert "狀態報告有變更" in message.body
    assert "補救方式" in message.body
    assert "The status report changed" not in message.body  # translated, not English
    assert AuditEvent.objects.filter(action=AuditAction.DIGEST_PREFERENCE_CHANGED).exists()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Inbox:
    """An aiosmtpd handler keeping every message."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def test_a_digest_goes_out_through_a_real_smtp_server(tenant: Tenant, settings: Any) -> None:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = controller.port
        settings.EMAIL_TIMEOUT = 5
        reader = member(tenant)
        domain = DomainFactory.create(tenant=tenant, dnssec_enabled=True, name="epsilon.example")
        checks.store_outcomes([outcome(domain, mx=("EX007",))], CheckRun.Trigger.SCHEDULE)

        assert digests.send_due_digests() == 1
    finally:
        controller.stop()
    (message,) = inbox.messages
    assert message["To"] == reader.user.email
    assert "1 change" in message["Subject"]
    text = next(part for part in message.walk() if part.get_content_type() == "text/plain")
    payload = text.get_payload(decode=True)
    assert isinstance(payload, bytes)
    assert "epsilon.example" in payload.decode()

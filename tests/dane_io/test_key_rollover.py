"""A whole inbound key rollover on the real stack (Knot, Unbound, two loopback MTAs with
certificates made at test time), with the clock injected past the gate instead of sleeping:
at every step the project's own DANE client (the outbound analyzer, as a sending MTA would
validate the MX host) must deliver through every inbound address.

Postfix's ``posttls-finger -l dane`` is not used: it takes its DNS from the system resolver
(``/etc/resolv.conf``, port 53) and cannot be pointed at the test network's validating
resolver on its own loopback port.
"""

from __future__ import annotations

import asyncio
import io
import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import CommandError, call_command
from pytest_django.fixtures import Settings as SettingsWrapper

from dnsops.choices import InboundKeyState
from dnsops.dane.analyzer import validate_host
from dnsops.dane.config import inbound_probe_config
from dnsops.dane.verdicts import Verdict
from dnsops.models import InboundKey, Partition, TlsaSetVisibility
from domains import rollover, tasks
from domains.audit import Actor
from domains.choices import AuditAction
from domains.errors import InvalidRequest, RolloverRefused
from domains.inbound_keys import register_certificate, republish_tlsa_records
from domains.inbound_status import smtp_dane_inbound_status
from domains.models import AcceptedDomain, AuditEvent, Tenant
from domains.notifications.models import Event, EventType
from domains.publishing import mx_host
from tests.dane_io.servers import Credentials, LoopbackServers, next_address, self_signed
from tests.dnsnet import DnsTestNetwork
from tests.factories import DomainFactory
from tests.unit.dane.pki import Issued

pytestmark = [pytest.mark.django_db(transaction=False), pytest.mark.dns]


def pem(issued: Issued) -> str:
    """The certificate as PEM text."""
    return issued.certificate.public_bytes(serialization.Encoding.PEM).decode()


def credentials(issued: Issued) -> Credentials:
    """What an MTA serving ``issued`` presents."""
    return Credentials.of([issued.certificate], issued.key)


@pytest.fixture
def mtas(
    servers: LoopbackServers, settings: SettingsWrapper, partition: Partition
) -> tuple[list[str], Issued]:
    """Two inbound MTAs serving the current key (registered), as DANE_INBOUND_ADDRESSES."""
    settings.DANE_RECORD_TTL = 1  # the validating resolver's cache follows each step
    settings.DANE_ROLLOVER_MARGIN_SECONDS = 60
    old = self_signed("mx.provider.test")
    addresses = [next_address(), next_address()]
    for address in addresses:
        servers.smtp(address, credentials(old))
    settings.DANE_INBOUND_ADDRESSES = addresses
    settings.DANE_INBOUND_SMTP_PORT = servers.port
    register_certificate(pem(old), name="old", state=InboundKeyState.CURRENT, actor=Actor.cli())
    return addresses, old


def dane_hosts(tenant: Tenant, partition: Partition, count: int = 2) -> list[str]:
    """``count`` DANE domains of ``tenant``, published; their MX hosts."""
    domains = [
        DomainFactory.create(tenant=tenant, partition=partition, dane_enabled=True, publish=True)
        for _ in range(count)
    ]
    return [mx_host(AcceptedDomain.objects.get(pk=domain.pk)) for domain in domains]


def assert_dane_senders_deliver(hosts: list[str], addresses: list[str]) -> None:
    """The outbound analyzer authenticates every inbound address of every MX host."""
    for host in hosts:
        report = asyncio.run(validate_host(host, inbound_probe_config()))
        sessions = {s.address: s.outcome for h in report.hosts for s in h.sessions}
        assert sorted(sessions) == sorted(addresses), host
        failing = {a: o.reason for a, o in sessions.items() if o.verdict is not Verdict.PASS}
        assert not failing, failing


def wait_for_tlsa(dnsnet: DnsTestNetwork, hosts: list[str], records: list[str]) -> None:
    """Every MX host's TLSA set is ``records`` at the validating resolver, with AD."""
    for host in hosts:
        dnsnet.wait_until_resolved(f"_25._tcp.{host}", "TLSA", records)
        assert dnsnet.resolve(f"_25._tcp.{host}", "TLSA").authenticated


def test_a_whole_rollover_never_leaves_a_dane_sender_failing(
    tenant: Tenant,
    partition: Partition,
    dnsnet: DnsTestNetwork,
    servers: LoopbackServers,
    mtas: tuple[list[str], Issued],
) -> None:
    addresses, _ = mtas
    hosts = dane_hosts(tenant, partition)
    old_key = InboundKey.objects.get(name="old")
    wait_for_tlsa(dnsnet, hosts, [old_key.tlsa_record])
    assert_dane_senders_deliver(hosts, addresses)

    # 1. Pre-publish: the next key's TLSA beside the current one, on every server.
    new = self_signed("mx.provider.test")
    new_key = register_certificate(
        pem(new), name="new", state=InboundKeyState.NEXT, actor=Actor.cli()
    )
    assert republish_tlsa_records() == 2
    seen = TlsaSetVisibility.objects.get(partition=partition)
    assert seen.records == sorted([old_key.tlsa_record, new_key.tlsa_record])
    assert seen.first_seen_everywhere_at is not None
    wait_for_tlsa(dnsnet, hosts, [old_key.tlsa_record, new_key.tlsa_record])
    assert_dane_senders_deliver(hosts, addresses)
    status = smtp_dane_inbound_status(AcceptedDomain.objects.filter(dane_state="enabled")[0])
    assert status["Rollover"]["Phase"] == "pre-published"  # Get-SmtpDaneInboundStatus

    # 2. The gate: refused before 2 x TTL + margin after the set was seen everywhere.
    t0, gate = seen.first_seen_everywhere_at, timedelta(seconds=rollover.gate_seconds())
    assert gate == timedelta(seconds=62)
    with pytest.raises(RolloverRefused) as refused:
        rollover.promote("new", actor=Actor.cli(), now=t0 + gate - timedelta(seconds=1))
    assert partition.zone in refused.value.message
    assert (t0 + gate).isoformat() in refused.value.message  # when it will be ready
    assert InboundKey.objects.get(name="new").state == InboundKeyState.NEXT
    rollover.promote("new", actor=Actor.cli(), now=t0 + gate)
    assert InboundKey.objects.get(name="new").state == InboundKeyState.CURRENT
    promoted = AuditEvent.objects.get(action=AuditAction.INBOUND_KEY_PROMOTED)
    assert (promoted.target_id, promoted.data["forced"]) == ("new", False)
    assert_dane_senders_deliver(hosts, addresses)

    # 3. The switch: retiring the old key is refused while an address still serves it.
    servers.deploy(addresses[0], credentials(new))
    assert_dane_senders_deliver(hosts, addresses)
    with pytest.raises(RolloverRefused) as blocked:
        rollover.retire("old", actor=Actor.cli())
    assert addresses[1] in blocked.value.message
    assert addresses[0] not in blocked.value.message
    served = {entry["Address"]: entry["ServedKey"] for entry in rollover.served_status()}
    assert served == {addresses[0]: "new", addresses[1]: "old"}
    assert InboundKey.objects.get(name="old").state == InboundKeyState.CURRENT

    servers.deploy(addresses[1], credentials(new))
    rollover.probe_inbound_servers()
    assert {entry["ServedKey"] for entry in rollover.served_status()} == {"new"}
    assert all(entry["Matches"] for entry in rollover.served_status())
    assert_dane_senders_deliver(hosts, addresses)

    # 4. Retire: the old TLSA leaves every MX host; the record is deleted one gate later.
    retired = rollover.retire("old", actor=Actor.cli())
    wait_for_tlsa(dnsnet, hosts, [new_key.tlsa_record])
    assert_dane_senders_deliver(hosts, addresses)
    assert AuditEvent.objects.filter(action=AuditAction.INBOUND_KEY_RETIRED).count() == 1
    assert retired.retired_at is not None
    assert rollover.purge_retired_keys(now=retired.retired_at + gate / 2) == 0
    assert rollover.purge_retired_keys(now=retired.retired_at + gate) == 1
    assert not InboundKey.objects.filter(name="old").exists()
    assert rollover.rollover_state()["Phase"] == "stable"


def test_commands_refuse_with_the_reason_and_a_forced_promotion_is_audited(
    tenant: Tenant,
    partition: Partition,
    dnsnet: DnsTestNetwork,
    mtas: tuple[list[str], Issued],
) -> None:
    dane_hosts(tenant, partition, count=1)
    register_certificate(
        pem(self_signed("mx.provider.test")),
        name="new",
        state=InboundKeyState.NEXT,
        actor=Actor.cli(),
    )
    republish_tlsa_records()

    out = io.StringIO()
    call_command("inbound_key_status", stdout=out)
    status = json.loads(out.getvalue())
    (next_key,) = [key for key in status["Keys"] if key["Name"] == "new"]
    assert next_key["State"] == "next"
    assert next_key["DaneDomainsPublishing"] == 1
    assert next_key["Promotion"]["Allowed"] is False
    (zone,) = next_key["Promotion"]["Partitions"]
    assert zone["Zone"] == partition.zone
    assert zone["FirstSeenEverywhereAt"] is not None
    assert next_key["Promotion"]["AllowedAt"] == zone["PromotionAllowedAt"]
    assert status["Rollover"]["Phase"] == "pre-published"

    with pytest.raises(CommandError, match=f"refused.*{partition.zone}"):
        call_command("promote_inbound_key", "new")
    with pytest.raises(CommandError, match="needs a reason"):
        call_command("promote_inbound_key", "new", "--force")
    with pytest.raises(CommandError, match="only a next key"):
        call_command("promote_inbound_key", "old")
    with pytest.raises(CommandError, match="No inbound key"):
        call_command("retire_inbound_key", "nope")
    assert InboundKey.objects.get(name="new").state == InboundKeyState.NEXT
    assert not AuditEvent.objects.filter(action__startswith="inbound_key.p").exists()

    call_command("promote_inbound_key", "new", "--force", "--reason", "old key leaked")
    event = AuditEvent.objects.get(action=AuditAction.INBOUND_KEY_PROMOTION_FORCED)
    assert (event.target_id, event.actor, event.data["reason"]) == ("new", "cli", "old key leaked")
    assert event.data["not_ready"][0]["Zone"] == partition.zone
    with pytest.raises(InvalidRequest):
        rollover.promote("new", actor=Actor.cli(), force=True, reason=" ")

    # Both MTAs still serve the old key: retiring it would strand them.
    with pytest.raises(CommandError, match="DANE senders would fail"):
        call_command("retire_inbound_key", "old")
    assert InboundKey.objects.get(name="old").state == InboundKeyState.CURRENT


def test_the_beat_round_records_what_each_address_serves_and_purges_retired_keys(
    mtas: tuple[list[str], Issued],
) -> None:
    addresses, _ = mtas
    gone = register_certificate(
        pem(self_signed("mx.provider.test")),
        name="gone",
        state=InboundKeyState.RETIRED,
        actor=Actor.cli(),
    )
    InboundKey.objects.filter(pk=gone.pk).update(retired_at=gone.created_at - timedelta(days=1))

    assert tasks.probe_inbound_servers() == {"probed": 2, "observed": 0, "deleted": 1}

    served = rollover.served_status()
    assert [(entry["Address"], entry["ServedKey"], entry["Matches"]) for entry in served] == [
        (address, "old", True) for address in sorted(addresses)
    ]
    assert not InboundKey.objects.filter(name="gone").exists()
    assert AuditEvent.objects.get(action=AuditAction.INBOUND_KEY_DELETED).target_id == "gone"


def test_an_address_serving_an_unpublished_certificate_notifies_every_dane_domain(
    mtas: tuple[list[str], Issued],
    servers: LoopbackServers,
    tenant: Tenant,
    partition: Partition,
) -> None:
    addresses, _ = mtas
    dane_hosts(tenant, partition, count=1)
    domain = AcceptedDomain.objects.get(tenant=tenant, dane_state="enabled")
    rollover.probe_inbound_servers()
    assert not Event.objects.filter(type=EventType.TLSA_MISMATCH).exists()  # all match

    servers.deploy(addresses[0], credentials(self_signed("mx.provider.test")))  # too early
    rollover.probe_inbound_servers()
    event = Event.objects.get(type=EventType.TLSA_MISMATCH)
    assert (event.tenant_id, event.domain_name) == (tenant.pk, domain.name)
    assert [entry["address"] for entry in event.data["addresses"]] == [addresses[0]]
    assert "EK001" in event.data["addresses"][0]["codes"]

    rollover.probe_inbound_servers()  # still wrong: no second event
    assert Event.objects.filter(type=EventType.TLSA_MISMATCH).count() == 1

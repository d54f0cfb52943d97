"""The cmdlets through the API, carried out in-process by ``process_due_operations``:
results, error codes, idempotency, retries, audit trail. (tests/commands/test_worker.py runs
the same path through a real worker.)"""

from __future__ import annotations

import io
import json
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from dnsops.models import InboundKey, Partition, ZoneRRset
from dnsops.provisioning import detect_drift
from domains.inbound_keys import republish_tlsa_records
from domains.models import AcceptedDomain, AuditEvent, Operation, Tenant
from domains.operations import process_due_operations
from domains.transitions import PROCESS_OPERATIONS
from tests.dnsnet import DnsTestNetwork
from tests.factories import DomainFactory
from tests.support import enable_url, inbound_addresses, make_verified_domain, register_inbound_key

pytestmark = [pytest.mark.django_db, pytest.mark.dns]


def run_worker() -> None:
    """What a worker does when woken: carry out every due operation."""
    process_due_operations()


def test_enable_dnssec_publishes_a_validating_mx_host(
    api: APIClient,
    tenant: Tenant,
    partition: Partition,
    dnsnet: DnsTestNetwork,
    django_capture_on_commit_callbacks: object,
) -> None:
    name = make_verified_domain(tenant)
    with django_capture_on_commit_callbacks() as callbacks:  # type: ignore[operator]
        response = api.post(enable_url(name, "dnssec"))
    assert response.status_code == 202, response.content
    wakes = [c for c in callbacks if getattr(c, "args", ())[:1] == (PROCESS_OPERATIONS,)]
    assert len(wakes) == 1  # the worker is woken after commit
    operation_id = response.json()["id"]
    assert response["Location"] == f"/api/v1/operations/{operation_id}"
    assert response.json()["state"] == "pending"
    assert AcceptedDomain.objects.get(name=name).dnssec_state == "enabling"

    run_worker()

    body = api.get(f"/api/v1/operations/{operation_id}/").json()
    assert body["state"] == "succeeded", body
    token = name.replace(".", "-")
    mx_value = f"{token}.{partition.zone}"
    assert body["result"] == {"Result": "Success", "DnssecMxValue": mx_value, "ErrorData": None}
    assert body["steps"][-2:] == ["visible-on-all-servers", "state-updated"]
    assert AcceptedDomain.objects.get(name=name).dnssec_state == "pending_mx"
    partition.refresh_from_db()  # provisioned by this first command, with its DS audited
    provisioned = AuditEvent.objects.get(action="partition.provisioned", target_id=partition.zone)
    assert provisioned.data["ds_records"] == partition.ds_records != []
    a = dnsnet.resolve(mx_value, "A")
    assert (a.records, a.authenticated) == (inbound_addresses(4), True)
    aaaa = dnsnet.resolve(mx_value, "AAAA")
    assert (aaaa.records, aaaa.authenticated) == (inbound_addresses(6), True)
    partition.refresh_from_db()
    assert not detect_drift(partition)

    trail = list(
        AuditEvent.objects.filter(tenant=tenant).order_by("id").values_list("action", "data")
    )
    actions = [action for action, _ in trail]
    assert actions[-4:] == [
        "domain.dnssec_state",
        "operation.requested",
        "domain.dnssec_state",
        "operation.succeeded",
    ]
    assert trail[-4][1] == {
        "from": "disabled",
        "to": "enabling",
        "partition": partition.zone,
        "mx_host": mx_value,
    }
    assert trail[-2][1]["to"] == "pending_mx"


def test_enabling_twice_returns_the_same_operation_then_the_same_value(
    api: APIClient, tenant: Tenant, partition: Partition
) -> None:
    name = make_verified_domain(tenant)
    first = api.post(enable_url(name, "dnssec"))
    repeat = api.post(enable_url(name, "dnssec"))
    assert repeat.status_code == 202
    assert repeat.json()["id"] == first.json()["id"]
    run_worker()
    rows_before = ZoneRRset.objects.count()

    again = api.post(enable_url(name, "dnssec"))

    assert again.status_code == 200
    assert again.json()["state"] == "succeeded"
    assert (
        again.json()["result"]["DnssecMxValue"]
        == (api.get(f"/api/v1/operations/{first.json()['id']}/").json()["result"]["DnssecMxValue"])
    )
    assert ZoneRRset.objects.count() == rows_before
    assert AcceptedDomain.objects.get(name=name).dnssec_state == "pending_mx"


def test_idempotency_key_returns_the_same_operation_and_refuses_reuse(
    api: APIClient, tenant: Tenant, partition: Partition
) -> None:
    name = make_verified_domain(tenant)
    other = make_verified_domain(tenant)
    key = str(uuid.uuid4())
    first = api.post(enable_url(name, "dnssec"), HTTP_IDEMPOTENCY_KEY=key)
    run_worker()
    repeat = api.post(enable_url(name, "dnssec"), HTTP_IDEMPOTENCY_KEY=key)
    assert repeat.json()["id"] == first.json()["id"]
    assert repeat.json()["state"] == "succeeded"
    misuse = api.post(enable_url(other, "dnssec"), HTTP_IDEMPOTENCY_KEY=key)
    assert misuse.status_code == 422
    assert misuse.json()["code"] == "IdempotencyKeyReused"
    assert AcceptedDomain.objects.get(name=other).dnssec_state == "disabled"
    assert Operation.objects.filter(domain_name=other).count() == 0


def test_an_idempotency_key_expires_after_its_window(
    api: APIClient, tenant: Tenant, partition: Partition, settings: Settings
) -> None:
    name = make_verified_domain(tenant)
    key = str(uuid.uuid4())
    enabled = api.post(enable_url(name, "dnssec"), HTTP_IDEMPOTENCY_KEY=key)
    run_worker()
    api.post(enable_url(name, "dnssec", "disable"))
    run_worker()
    assert AcceptedDomain.objects.get(name=name).dnssec_state == "disabled"

    # Inside the window the key still names the enable: replayed, it is not run again.
    inside = api.post(enable_url(name, "dnssec"), HTTP_IDEMPOTENCY_KEY=key)
    assert (inside.status_code, inside.json()["id"]) == (200, enabled.json()["id"])
    assert AcceptedDomain.objects.get(name=name).dnssec_state == "disabled"

    window = settings.DANE_IDEMPOTENCY_KEY_TTL_SECONDS
    Operation.objects.filter(id=enabled.json()["id"]).update(
        created_at=timezone.now() - timedelta(seconds=window + 60)
    )
    replay = api.post(enable_url(name, "dnssec"), HTTP_IDEMPOTENCY_KEY=key)

    assert replay.status_code == 202, replay.content
    assert replay.json()["id"] != enabled.json()["id"]
    assert AcceptedDomain.objects.get(name=name).dnssec_state == "enabling"
    run_worker()
    assert AcceptedDomain.objects.get(name=name).dnssec_state == "pending_mx"
    again = api.post(enable_url(name, "dnssec"), HTTP_IDEMPOTENCY_KEY=key)
    assert again.json()["id"] == replay.json()["id"]  # the key now names the new operation


@pytest.mark.parametrize("feature", ["dnssec", "smtp-dane-inbound"])
@pytest.mark.parametrize("action", ["enable", "disable"])
def test_every_command_answers_domain_not_found(
    api: APIClient,
    other_api: APIClient,
    tenant: Tenant,
    other_tenant: Tenant,
    feature: str,
    action: str,
) -> None:
    theirs = make_verified_domain(other_tenant)
    unverified = f"u{uuid.uuid4().hex[:8]}.example"
    api.post("/api/v1/domains/", {"name": unverified}, format="json")
    for name in (theirs, unverified, "never-added.example", "not a domain"):
        response = api.post(enable_url(name, feature, action))
        assert response.status_code == 404, (name, response.content)
        body = response.json()
        assert body["Result"] == "Error"
        assert body["ErrorData"]["ErrorCode"] == "DomainNotFound"
    assert Operation.objects.count() == 0


@pytest.mark.parametrize("feature", ["dnssec", "smtp-dane-inbound"])
def test_initial_and_self_service_domains_are_not_supported(
    api: APIClient, tenant: Tenant, feature: str
) -> None:
    self_service = make_verified_domain(tenant)
    AcceptedDomain.objects.filter(name=self_service).update(is_self_service=True)
    for name in (f"{tenant.slug}.onprovider.test", self_service):
        response = api.post(enable_url(name, feature))
        assert response.status_code == 422
        assert response.json()["ErrorData"]["ErrorCode"] == "DomainNotSupported"
    assert Operation.objects.count() == 0


def test_dane_needs_dnssec_first(api: APIClient, tenant: Tenant) -> None:
    name = make_verified_domain(tenant)
    response = api.post(enable_url(name, "smtp-dane-inbound"))
    assert response.status_code == 409
    assert response.json()["ErrorData"]["ErrorCode"] == "PartitionNotFound"
    assert AcceptedDomain.objects.get(name=name).dane_state == "disabled"


def test_dane_publishes_tlsa_for_the_inbound_keys(
    api: APIClient, tenant: Tenant, partition: Partition, dnsnet: DnsTestNetwork
) -> None:
    current = register_inbound_key("current")
    upcoming = register_inbound_key("next")
    register_inbound_key("retired")
    name = DomainFactory.create(
        tenant=tenant, partition=partition, pending_mx=True, publish=True
    ).name
    response = api.post(enable_url(name, "smtp-dane-inbound"))
    assert response.status_code == 202
    run_worker()
    assert api.get(response["Location"]).json()["state"] == "succeeded"

    status = api.get(f"/api/v1/domains/{name}/smtp-dane-inbound/").json()
    expected = sorted([current.tlsa_record, upcoming.tlsa_record])
    assert status["SmtpDaneInboundState"] == "enabled"
    assert status["TlsaRecords"] == expected
    assert status["DnssecValidated"] is True
    assert status["MatchesExpected"] is True

    disable = api.post(enable_url(name, "dnssec", "disable"))
    run_worker()
    assert api.get(disable["Location"]).json()["state"] == "succeeded"
    domain = AcceptedDomain.objects.get(name=name)
    assert (domain.dnssec_state, domain.dane_state) == ("disabled", "disabled")
    assert not ZoneRRset.objects.filter(partition=partition).exists()
    assert not detect_drift(partition)


def test_transient_failures_retry_then_fail_cleanly(
    api: APIClient, tenant: Tenant, partition: Partition, settings: Settings
) -> None:
    settings.DANE_DNS_SERVERS = ["127.0.0.1:9"]  # nothing listens: connection refused
    settings.DANE_OPERATION_MAX_ATTEMPTS = 3
    settings.DANE_DNS_TIMEOUT = 0.5
    name = make_verified_domain(tenant)
    operation_id = api.post(enable_url(name, "dnssec")).json()["id"]
    for _ in range(3):
        run_worker()
        Operation.objects.filter(pk=operation_id, state="pending").update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )
    operation = Operation.objects.get(pk=operation_id)
    assert operation.state == "failed"
    assert operation.attempts == 3
    assert operation.result is not None
    assert operation.result["ErrorData"]["ErrorCode"] == "DnssecOperationFailed"
    assert name in operation.result["ErrorData"]["ErrorDetails"]
    domain = AcceptedDomain.objects.get(name=name)
    assert domain.dnssec_state == "failed"
    assert domain.last_error
    assert not ZoneRRset.objects.filter(partition=partition).exists()  # nothing half-wanted
    assert AuditEvent.objects.filter(action="operation.retry_scheduled").count() == 2
    assert AuditEvent.objects.filter(action="operation.failed").count() == 1

    settings.DANE_DNS_SERVERS = [
        f"{h}:{p}" for h, p in [DnsTestNetwork.from_environment().authoritative]
    ]
    retry = api.post(enable_url(name, "dnssec"))
    assert retry.status_code == 202
    run_worker()
    assert api.get(retry["Location"]).json()["state"] == "succeeded"
    assert AcceptedDomain.objects.get(name=name).dnssec_state == "pending_mx"


def test_a_full_partition_overflows_into_the_next_listed_one(
    api: APIClient,
    tenant: Tenant,
    partition: Partition,
    dnsnet: DnsTestNetwork,
    settings: Settings,
) -> None:
    Partition.objects.filter(pk=partition.pk).update(capacity=1)
    added = f"t{uuid.uuid4().hex[:8]}"  # an operator lists a new partition label
    settings.DANE_PARTITIONS = [partition.label, added]
    first, second = make_verified_domain(tenant), make_verified_domain(tenant)
    for name in (first, second):
        assert api.post(enable_url(name, "dnssec")).status_code == 202
    run_worker()

    zones = dict(
        AcceptedDomain.objects.filter(name__in=(first, second)).values_list(
            "name", "partition__zone"
        )
    )
    assert zones == {first: partition.zone, second: f"{added}.{settings.DANE_MX_SUFFIX}"}
    partition.refresh_from_db()
    assert partition.status == "full"  # later placements skip it without counting
    event = AuditEvent.objects.get(action="partition.status", target_id=partition.zone)
    assert event.data == {"from": "active", "to": "full", "domains": 1}
    host = AcceptedDomain.objects.select_related("partition").get(name=second).dnssec_mx_value
    assert host is not None
    answer = dnsnet.resolve(host, "A")
    assert (answer.records, answer.authenticated) == (inbound_addresses(4), True)

    Partition.objects.update(capacity=1)  # every partition full: refused, nothing changed
    third = make_verified_domain(tenant)
    events = AuditEvent.objects.count()
    response = api.post(enable_url(third, "dnssec"))
    assert response.status_code == 503
    assert response.json()["code"] == "DnssecOperationFailed"
    assert "room" in response.json()["detail"]
    domain = AcceptedDomain.objects.get(name=third)
    assert (domain.dnssec_state, domain.partition_id, domain.mx_token) == ("disabled", None, None)
    assert AuditEvent.objects.count() == events
    assert not Operation.objects.filter(domain_name=third).exists()


def test_deleting_a_domain_reopens_its_full_partition(
    api: APIClient,
    tenant: Tenant,
    partition: Partition,
    dnsnet: DnsTestNetwork,
    settings: Settings,
) -> None:
    Partition.objects.filter(pk=partition.pk).update(capacity=1)
    settings.DANE_PARTITIONS = [partition.label, f"z{uuid.uuid4().hex[:8]}"]  # sorts after
    first, second = make_verified_domain(tenant), make_verified_domain(tenant)
    for name in (first, second):  # the second overflows and marks the first partition full
        api.post(enable_url(name, "dnssec"))
        run_worker()
    api.post(enable_url(first, "dnssec", "disable"))
    run_worker()
    partition.refresh_from_db()
    assert partition.status == "full"  # a disabled domain keeps its token, and its place

    assert api.delete(f"/api/v1/domains/{first}/").status_code == 204

    partition.refresh_from_db()
    assert partition.status == "active"
    event = (
        AuditEvent.objects.filter(action="partition.status", target_id=partition.zone)
        .order_by("id")
        .last()
    )
    assert event is not None
    assert event.data == {"from": "full", "to": "active", "domains": 0}
    third = make_verified_domain(tenant)
    api.post(enable_url(third, "dnssec"))
    run_worker()
    assert AcceptedDomain.objects.get(name=third).partition_id == partition.pk


def test_re_enabling_leaves_a_retired_partition(
    api: APIClient,
    tenant: Tenant,
    partition: Partition,
    dnsnet: DnsTestNetwork,
    settings: Settings,
) -> None:
    name = make_verified_domain(tenant)
    api.post(enable_url(name, "dnssec"))
    run_worker()
    api.post(enable_url(name, "dnssec", "disable"))
    run_worker()
    Partition.objects.filter(pk=partition.pk).update(status="retired")  # being emptied
    added = f"t{uuid.uuid4().hex[:8]}"
    settings.DANE_PARTITIONS = [partition.label, added]

    operation_id = api.post(enable_url(name, "dnssec")).json()["id"]
    run_worker()

    result = api.get(f"/api/v1/operations/{operation_id}/").json()["result"]
    token = name.replace(".", "-")
    host = f"{token}.{added}.{settings.DANE_MX_SUFFIX}"
    assert result["DnssecMxValue"] == host
    answer = dnsnet.resolve(host, "A")
    assert (answer.records, answer.authenticated) == (inbound_addresses(4), True)
    assert not ZoneRRset.objects.filter(partition=partition).exists()


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ('{"force": true}', "application/json", 400),
        ("[]", "application/json", 400),
        ("{", "application/json", 400),
        ("force=1", "application/x-www-form-urlencoded", 415),
    ],
)
def test_malformed_command_requests_change_nothing(
    api: APIClient, tenant: Tenant, body: str, content_type: str, status: int
) -> None:
    name = make_verified_domain(tenant)
    response = api.generic("POST", enable_url(name, "dnssec"), body, content_type=content_type)
    assert response.status_code == status
    assert AcceptedDomain.objects.get(name=name).dnssec_state == "disabled"
    assert Operation.objects.count() == 0


def test_operations_of_other_tenants_are_404(
    api: APIClient, other_api: APIClient, tenant: Tenant, partition: Partition
) -> None:
    name = make_verified_domain(tenant)
    response = api.post(enable_url(name, "dnssec"))
    operation_id, location = response.json()["id"], response["Location"]
    assert other_api.get(f"/api/v1/operations/{operation_id}/").status_code == 404
    assert other_api.get(location).status_code == 404  # the Location form, without the slash
    assert other_api.get(f"/api/v1/operations/{uuid.uuid4()}/").status_code == 404
    assert api.get("/api/v1/operations/not-a-uuid").status_code == 404
    assert api.get(f"/api/v1/operations/{operation_id}/").status_code == 200
    assert api.get(location).status_code == 200


def test_cmdlet_management_command_prints_the_cmdlet_result(
    tenant: Tenant, partition: Partition
) -> None:
    name = make_verified_domain(tenant)
    out = io.StringIO()
    with pytest.raises(SystemExit) as pending:
        call_command(
            "enable_dnssec_for_verified_domain",
            name,
            "--tenant",
            tenant.slug,
            "--wait",
            "0",
            stdout=out,
        )
    assert pending.value.code == 2
    assert json.loads(out.getvalue())["Result"] == "Pending"
    run_worker()
    out = io.StringIO()
    call_command("enable_dnssec_for_verified_domain", name, "--tenant", tenant.slug, stdout=out)
    result = json.loads(out.getvalue())
    assert result["Result"] == "Success"
    assert result["DnssecMxValue"].endswith(partition.zone)

    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command(
            "enable_smtp_dane_inbound", "nope.example", "--tenant", tenant.slug, stdout=out
        )
    assert json.loads(out.getvalue())["ErrorData"]["ErrorCode"] == "DomainNotFound"


def test_key_rollover_republishes_tlsa_for_dane_domains(
    api: APIClient,
    tenant: Tenant,
    partition: Partition,
    dnsnet: DnsTestNetwork,
    settings: Settings,
) -> None:
    settings.DANE_RECORD_TTL = 1  # so the validating resolver's cache follows the rollover
    old = register_inbound_key("current")
    domain = DomainFactory.create(
        tenant=tenant, partition=partition, dane_enabled=True, publish=True
    )
    name = domain.name
    owner = f"_25._tcp.{AcceptedDomain.objects.get(name=name).dnssec_mx_value}"
    assert dnsnet.resolve(owner, "TLSA").records == [old.tlsa_record]

    new = register_inbound_key("next")  # step 1: publish the next key beside the current one
    assert republish_tlsa_records() == 1
    dnsnet.wait_until_resolved(owner, "TLSA", [old.tlsa_record, new.tlsa_record])
    both = dnsnet.resolve(owner, "TLSA")
    assert both.authenticated

    InboundKey.objects.filter(pk=old.pk).update(state="retired")  # step 2: after the switch
    InboundKey.objects.filter(pk=new.pk).update(state="current")
    republish_tlsa_records()
    dnsnet.wait_until_resolved(owner, "TLSA", [new.tlsa_record])
    assert not detect_drift(partition)
    event = AuditEvent.objects.filter(action="partition.tlsa_republished").latest("id")
    assert (event.target_id, event.data["hosts"]) == (partition.zone, 1)


def test_a_rollover_reaches_domains_whose_dane_is_being_enabled(
    api: APIClient, tenant: Tenant, partition: Partition, dnsnet: DnsTestNetwork
) -> None:
    old = register_inbound_key("current")
    enabling, disabled = (
        DomainFactory.create(tenant=tenant, partition=partition, pending_mx=True, publish=True).name
        for _ in range(2)
    )
    api.post(enable_url(enabling, "smtp-dane-inbound"))  # accepted, not carried out yet
    assert AcceptedDomain.objects.get(name=enabling).dane_state == "enabling"

    new = register_inbound_key("next")
    assert republish_tlsa_records() == 1  # the domain being enabled; not the one without DANE
    run_worker()

    host = AcceptedDomain.objects.select_related("partition").get(name=enabling).dnssec_mx_value
    tlsa = dnsnet.resolve(f"_25._tcp.{host}", "TLSA")
    assert (tlsa.records, tlsa.authenticated) == (
        sorted([old.tlsa_record, new.tlsa_record]),
        True,
    )
    other = AcceptedDomain.objects.select_related("partition").get(name=disabled).dnssec_mx_value
    assert not dnsnet.resolve(f"_25._tcp.{other}", "TLSA").records
    assert not detect_drift(partition)

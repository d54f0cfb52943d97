"""A DNS server that refuses one domain's records: only that domain's command fails.

Knot is given an ACL that lets the TSIG key update only the listed MX hosts (``update-owner``),
the way a provider restricts a key; an UPDATE touching any other name is refused whole.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from dnsops.backends.base import ChangeBatch
from dnsops.backends.knot_control import KnotControl
from dnsops.backends.rfc2136 import Rfc2136Backend, TsigKey
from dnsops.models import Partition
from domains.models import AcceptedDomain, Operation, Tenant
from domains.operations import process_due_operations
from tests.dnsnet import DnsTestNetwork
from tests.support import enable_url, inbound_addresses, make_verified_domain

pytestmark = [pytest.mark.django_db, pytest.mark.dns]


@contextmanager
def updates_allowed_only_for(partition: Partition, hosts: Sequence[str]) -> Iterator[None]:
    """Knot accepts UPDATEs to ``partition``'s zone only for ``hosts`` and names below them."""
    control = KnotControl(settings.DANE_KNOT_CONTROL_SOCKET)
    acl, zone = f"only-{partition.label}", f"{partition.zone}."
    key = TsigKey.from_file(settings.DANE_TSIG_KEY_FILE).name
    control.run("conf-begin")
    control.run("conf-set", f"acl[{acl}]")
    control.run("conf-set", f"acl[{acl}].key", key)
    control.run("conf-set", f"acl[{acl}].action", "update")
    control.run("conf-set", f"acl[{acl}].update-owner", "name")
    control.run("conf-set", f"acl[{acl}].update-owner-match", "sub-or-equal")
    for host in hosts:
        control.run("conf-set", f"acl[{acl}].update-owner-name", f"{host}.")
    control.run("conf-unset", f"zone[{zone}].acl")
    control.run("conf-set", f"zone[{zone}].acl", acl)
    control.run("conf-commit")
    try:
        yield
    finally:
        control.run("conf-begin")
        control.run("conf-unset", f"zone[{zone}].acl")
        control.run("conf-set", f"zone[{zone}].acl", "update")
        control.run("conf-unset", f"acl[{acl}]")
        control.run("conf-commit")


def test_refused_records_fail_only_their_own_commands(
    api: APIClient, tenant: Tenant, partition: Partition, dnsnet: DnsTestNetwork
) -> None:
    if settings.DANE_DNS_BACKEND != "rfc2136" or not settings.DANE_KNOT_CONTROL_SOCKET:
        pytest.skip("needs the test network's Knot (rfc2136 driver and control socket)")
    provisioning = make_verified_domain(tenant)  # the worker provisions the partition zone
    api.post(enable_url(provisioning, "dnssec"))
    process_due_operations()
    names = [make_verified_domain(tenant) for _ in range(5)]
    operations = {name: api.post(enable_url(name, "dnssec")).json()["id"] for name in names}
    hosts = dict(
        AcceptedDomain.objects.select_related("partition")
        .filter(name__in=names)
        .values_list("name", "mx_token")
    )
    refused = {names[1], names[3]}  # one in each half of the group
    allowed = [f"{hosts[name]}.{partition.zone}" for name in names if name not in refused]

    with updates_allowed_only_for(partition, allowed):
        process_due_operations()  # one group of five: refused, halved, down to the two

    for name in names:
        operation = Operation.objects.get(pk=operations[name])
        domain = AcceptedDomain.objects.get(name=name)
        answer = dnsnet.resolve(f"{hosts[name]}.{partition.zone}", "A")
        if name in refused:
            assert (operation.state, operation.error_code) == ("failed", "DnssecOperationFailed")
            assert "refused" in operation.error_detail
            assert domain.dnssec_state == "failed"
            assert answer.records == []
        else:
            assert operation.state == "succeeded", operation.error_detail
            assert operation.next_attempt_at is None
            assert domain.dnssec_state == "pending_mx"
            assert (answer.records, answer.authenticated) == (inbound_addresses(4), True)


class CountingBackend(Rfc2136Backend):
    """The real rfc2136 driver, counting the UPDATEs it sends."""

    updates = 0

    def apply(self, batch: ChangeBatch) -> None:
        type(self).updates += 1
        super().apply(batch)


def test_a_zone_wide_refusal_fails_every_command_after_four_pushes(
    api: APIClient, tenant: Tenant, partition: Partition, dnsnet: DnsTestNetwork
) -> None:
    if settings.DANE_DNS_BACKEND != "rfc2136" or not settings.DANE_KNOT_CONTROL_SOCKET:
        pytest.skip("needs the test network's Knot (rfc2136 driver and control socket)")
    provisioning = make_verified_domain(tenant)
    api.post(enable_url(provisioning, "dnssec"))
    process_due_operations()
    names = [make_verified_domain(tenant) for _ in range(8)]
    for name in names:
        api.post(enable_url(name, "dnssec"))
    backend = CountingBackend.from_settings()
    CountingBackend.updates = 0

    with updates_allowed_only_for(partition, [f"nobody.{partition.zone}"]):  # e.g. a bad ACL
        process_due_operations(backend)

    assert CountingBackend.updates == 4  # group, halves, one alone: not one per operation
    operations = Operation.objects.filter(domain_name__in=names)
    assert {(op.state, op.error_code) for op in operations} == {("failed", "DnssecOperationFailed")}
    assert set(
        AcceptedDomain.objects.filter(name__in=names).values_list("dnssec_state", flat=True)
    ) == {"failed"}

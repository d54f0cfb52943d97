"""Check batches (``/api/v1/check-batches/``): a batch of N domains reaches done = N on the
real worker with a result for every domain; bad input is a 400 naming what is wrong and
creates nothing; another tenant's batch is a 404; a batch whose chain of chunks was lost is
started again by the sweep and finishes."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper
from rest_framework.test import APIClient

from dane_admin.celery import app as celery_app
from domains import check_batches, services
from domains.audit import Actor
from domains.check_batches import MAX_DOMAINS, RESUME_AFTER
from domains.choices import AuditAction
from domains.models import AcceptedDomain, AuditEvent, CheckBatch, CheckRun, Tenant
from tests.support import make_verified_domain
from tests.worker import WorkerProcess

URL = "/api/v1/check-batches/"


@pytest.mark.django_db(transaction=True)
@pytest.mark.dns
def test_a_batch_of_every_domain_reaches_done_with_a_result_each(
    worker: WorkerProcess, tenant: Tenant, api: APIClient
) -> None:
    checked = sorted(make_verified_domain(tenant) for _ in range(3))
    unverified = services.add_domain(tenant, "unverified.example", actor=Actor.cli()).name
    initial = AcceptedDomain.objects.get(tenant=tenant, is_initial=True).name

    created = api.post(URL, {"domains": "all"}, format="json")
    assert created.status_code == 202, created.content
    assert created.headers["Location"] == f"{URL}{created.json()['id']}/"
    assert created.json()["total"] == 5

    deadline = time.monotonic() + 60
    while (progress := api.get(created.headers["Location"]).json())["state"] != "done":
        assert time.monotonic() < deadline, f"the batch did not finish: {progress}"
        time.sleep(0.2)
    assert (progress["done"], progress["total"]) == (5, 5)
    assert progress["counts"] == {"pending": 0, "checked": 3, "failed": 0, "skipped": 2}
    results = {result["domain"]: result for result in progress["results"]}
    assert sorted(results) == sorted([*checked, unverified, initial])
    for name in checked:
        run = CheckRun.objects.get(public_id=results[name]["check_run"])
        assert (run.domain.name, run.trigger) == (name, CheckRun.Trigger.BATCH)
        assert results[name]["overall_status"] == run.overall_status
    assert (results[unverified]["outcome"], results[unverified]["code"]) == ("skipped", "EG002")
    assert results[initial]["code"] == "DomainNotSupported"
    event = AuditEvent.objects.get(action=AuditAction.CHECK_BATCH_REQUESTED)
    assert (event.tenant, event.target_id, event.data["total"]) == (tenant, progress["id"], 5)


@pytest.mark.django_db
def test_bad_input_is_a_400_naming_it_and_creates_nothing(
    tenant: Tenant, other_tenant: Tenant, api: APIClient
) -> None:
    mine = make_verified_domain(tenant)
    theirs = make_verified_domain(other_tenant)

    unknown = api.post(URL, {"domains": [mine, theirs, "nowhere.example"]}, format="json")
    assert unknown.status_code == 400
    assert unknown.json()["code"] == "UnknownDomains"
    assert unknown.json()["unknown"] == sorted([theirs, "nowhere.example"])

    too_many = [f"d{n}.example" for n in range(MAX_DOMAINS + 1)]
    answer = api.post(URL, {"domains": too_many}, format="json")
    assert (answer.status_code, answer.json()["code"]) == (400, "TooManyDomains")

    bodies: list[dict[str, object]] = [
        {"domains": "some"},
        {"domains": [1, 2]},
        {"domains": []},
        {},
    ]
    for body in bodies:
        answer = api.post(URL, body, format="json")
        assert (answer.status_code, answer.json()["code"]) == (400, "InvalidRequest"), body
    answer = api.post(URL, {"domains": ["not a domain"]}, format="json")
    assert answer.status_code == 400
    assert "not a domain" in answer.json()["invalid"]
    assert not CheckBatch.objects.exists()


@pytest.mark.django_db
def test_another_tenants_batch_is_a_404(
    tenant: Tenant, api: APIClient, other_api: APIClient
) -> None:
    make_verified_domain(tenant)
    created = api.post(URL, {"domains": "all"}, format="json")
    assert created.status_code == 202
    assert other_api.get(created.headers["Location"]).status_code == 404
    assert api.get(f"{URL}00000000-0000-0000-0000-000000000000/").status_code == 404


@pytest.mark.django_db
def test_a_tenant_has_at_most_its_limit_of_unfinished_batches(
    tenant: Tenant,
    other_tenant: Tenant,
    api: APIClient,
    other_api: APIClient,
    settings: SettingsWrapper,
) -> None:
    """The batches stay unfinished here: their first chunk is enqueued at a commit that never
    comes in this test."""
    settings.DANE_CHECK_BATCHES_PER_TENANT = 2
    mine = make_verified_domain(tenant)
    for _ in range(2):
        assert api.post(URL, {"domains": [mine]}, format="json").status_code == 202

    refused = api.post(URL, {"domains": [mine]}, format="json")

    assert refused.status_code == 429
    assert refused.json()["code"] == "TooManyCheckBatches"
    assert refused.json()["limit"] == 2
    assert "detail" in refused.json()
    assert refused.headers["Retry-After"] == "30"
    assert CheckBatch.objects.filter(tenant=tenant).count() == 2  # nothing stored
    assert AuditEvent.objects.filter(action=AuditAction.CHECK_BATCH_REQUESTED).count() == 2
    theirs = make_verified_domain(other_tenant)  # the limit is the tenant's own
    assert other_api.post(URL, {"domains": [theirs]}, format="json").status_code == 202

    first, second = CheckBatch.objects.filter(tenant=tenant).order_by("created_at")
    CheckBatch.objects.filter(pk=first.pk).update(finished_at=timezone.now())
    assert api.post(URL, {"domains": [mine]}, format="json").status_code == 202  # one finished
    assert api.post(URL, {"domains": [mine]}, format="json").status_code == 429
    # A batch whose chain of chunks was lost (unfinished for over an hour) stops counting.
    CheckBatch.objects.filter(pk=second.pk).update(created_at=timezone.now() - timedelta(hours=2))
    assert api.post(URL, {"domains": [mine]}, format="json").status_code == 202


@pytest.mark.django_db
def test_the_sweep_starts_again_only_batches_that_stalled_and_each_once(tenant: Tenant) -> None:
    """The batches' first chunks are enqueued at a commit that never comes in this test: each
    is a batch whose chain was lost."""
    mine = make_verified_domain(tenant)
    stalled, recent, finished = (
        check_batches.create_check_batch(tenant, [mine], actor=Actor.cli()) for _ in range(3)
    )
    long_ago = timezone.now() - RESUME_AFTER - timedelta(seconds=1)
    CheckBatch.objects.filter(pk__in=[stalled.pk, finished.pk]).update(progressed_at=long_ago)
    CheckBatch.objects.filter(pk=finished.pk).update(finished_at=timezone.now())

    assert check_batches.resume_stalled_batches() == [str(stalled.pk)]
    assert check_batches.resume_stalled_batches() == []  # claimed: started again once
    moved = CheckBatch.objects.get(pk=stalled.pk).progressed_at
    assert moved > long_ago
    assert CheckBatch.objects.get(pk=recent.pk).finished_at is None  # it has not stalled yet


@pytest.mark.django_db(transaction=True)
@pytest.mark.dns
def test_a_batch_whose_chain_the_broker_lost_is_started_again_and_finishes(
    worker: WorkerProcess, tenant: Tenant, api: APIClient
) -> None:
    names = sorted(make_verified_domain(tenant) for _ in range(2))
    worker.stop()
    try:
        created = api.post(URL, {"domains": names}, format="json")
        assert created.status_code == 202, created.content
        celery_app.control.purge()  # the broker lost the first chunk's message
    finally:
        worker.start()
    location = created.headers["Location"]
    time.sleep(1)
    assert api.get(location).json()["state"] != "done"  # nothing runs it any more
    stalled_at = timezone.now() - RESUME_AFTER - timedelta(seconds=1)
    CheckBatch.objects.filter(pk=created.json()["id"]).update(progressed_at=stalled_at)

    check_batches.resume_stalled_batches()  # the beat sweep (every minute)

    deadline = time.monotonic() + 60
    while (progress := api.get(location).json())["state"] != "done":
        assert time.monotonic() < deadline, f"the batch did not finish: {progress}"
        time.sleep(0.2)
    assert progress["counts"] == {"pending": 0, "checked": 2, "failed": 0, "skipped": 0}

"""Benchmark: server time of the web UI's pages with 1,000 domains and 20 check runs each in
one tenant, on PostgreSQL.

Measures the domains page (first page, and a filter by migration step), and the domain page
with its wizard (which also asks the validating resolver for the live MX records: the names
are under the DNS test network's ``test.`` zone, so every query stays on loopback), p50/p95
over N requests each through Django's test client (the whole request: middleware, session,
queries, templates), and the number of SQL queries per page at two sizes (must not grow with
the number of domains).

    python3 deploy/stack.py up && set -a && . var/stack/stack.env && set +a
    SECRET_KEY=bench .venv/bin/python manage.py migrate
    SECRET_KEY=bench .venv/bin/python bench/ui_pages.py --domains 1000 --runs 20 --requests 200
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dane_admin.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from dnsops.models import Partition  # noqa: E402
from domains import migration, services  # noqa: E402
from domains.audit import Actor  # noqa: E402
from domains.models import AcceptedDomain, CheckRun, Tenant  # noqa: E402

CODES = ["EX007", "EX006", "EX005", None, "EX004"]


def populate(domains: int, runs: int) -> tuple[Tenant, Client, list[str]]:
    """A tenant with ``domains`` pending_mx domains, ``runs`` check runs each, and a member."""
    tag = uuid.uuid4().hex[:8]
    tenant = services.create_tenant(f"bench-{tag}", actor=Actor.cli())
    label = f"b{tag}"
    partition = Partition.objects.create(label=label, zone=f"{label}.{settings.DANE_MX_SUFFIX}")
    now = timezone.now()
    names = [f"d{index:06d}-{tag}.uibench.test" for index in range(domains)]
    AcceptedDomain.objects.bulk_create(
        [
            AcceptedDomain(
                tenant=tenant,
                name=name,
                display_name=name,
                verified_at=now,
                dnssec_state="pending_mx",
                partition=partition,
                mx_token=name.split(".")[0],
            )
            for name in names
        ],
        batch_size=1000,
    )
    rows = []
    for domain in AcceptedDomain.objects.filter(tenant=tenant, is_initial=False):
        for run in range(runs):
            code = CODES[(domain.pk + run) % len(CODES)]
            findings = (
                []
                if code is None
                else [{"code": code, "severity": "error", "message": "m", "action": "a"}]
            )
            started = now - timedelta(minutes=5 * (runs - run))
            rows.append(
                CheckRun(
                    domain=domain,
                    trigger="schedule",
                    started_at=started,
                    finished_at=started,
                    duration=timedelta(milliseconds=30),
                    overall_status="Failed" if findings else "Passed",
                    result={
                        "Domain": domain.name,
                        "DnssecFeatureStatus": "pending_mx",
                        "ExpectedMxRecord": {"Value": domain.dnssec_mx_value, "Preference": 0},
                        "DomainValidation": {"Status": "Passed", "Findings": []},
                        "DnsValidation": {"Status": "Warning", "Findings": []},
                        "MxValidation": {
                            "Status": "Failed" if findings else "Passed",
                            "Findings": findings,
                        },
                        "MtaStsValidation": {"Status": "NotApplicable", "Findings": []},
                        "TlsRpt": None,
                    },
                )
            )
    CheckRun.objects.bulk_create(rows, batch_size=2000)
    migration.refresh_steps(  # what storing the runs through domains.checks does
        list(AcceptedDomain.objects.filter(tenant=tenant).values_list("pk", flat=True))
    )
    membership, _ = services.provision_member(
        tenant, f"bench-{tag}", role="admin", actor=Actor.cli()
    )
    client = Client()
    client.force_login(membership.user)
    return tenant, client, names


def measure(client: Client, url: str, requests: int) -> tuple[float, float, float, int]:
    """p50 and p95 in ms over ``requests`` GETs, the p50 of this process's CPU time per
    request (ms; what a loaded machine's run queue does not inflate), and the SQL queries of
    one request."""
    client.get(url)  # warm: session, caches
    executed: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):  # (request_started resets connection.queries)
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    timings, cpu = [], []
    for _ in range(requests):
        start, start_cpu = time.perf_counter(), time.process_time()
        client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    timings.sort()
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    return statistics.median(timings), p95, statistics.median(cpu), len(executed)


def main() -> None:
    """Populate, measure, print a table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--domains", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--requests", type=int, default=200)
    options = parser.parse_args()
    small, small_client, _ = populate(10, options.runs)
    tenant, client, names = populate(options.domains, options.runs)
    pages = {
        "domains page": f"/t/{tenant.slug}/",
        "domains, step 6": f"/t/{tenant.slug}/?step=6",
        "domain page": f"/t/{tenant.slug}/domains/{names[len(names) // 2]}/",
    }
    small_pages = [f"/t/{small.slug}/", f"/t/{small.slug}/?step=6", None]
    print(f"{options.domains} domains x {options.runs} runs, {options.requests} requests each")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    header = f"{'page':<18} {'p50 ms':>8} {'p95 ms':>8} {'cpu p50':>8} {'queries':>8}"
    print(f"{header} {'queries@10':>11}")
    for (label, url), small_url in zip(pages.items(), small_pages, strict=True):
        p50, p95, cpu, queries = measure(client, url, options.requests)
        few = measure(small_client, small_url, 1)[3] if small_url else queries
        print(f"{label:<18} {p50:8.1f} {p95:8.1f} {cpu:8.1f} {queries:8d} {few:11d}")


if __name__ == "__main__":
    main()

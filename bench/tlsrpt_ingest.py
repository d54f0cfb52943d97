"""Benchmark: TLS-RPT reports of 5-50 KB (JSON; posted gzipped, as RFC 8460 §5.2 says they
SHOULD be) by concurrent clients to a real server process (gunicorn, sync workers, on the
stack's PostgreSQL) with Celery workers processing them as they come, as in production:

- the same bodies posted to two bare views of the same server (``bench/serving_urls.py``):
  one reads the body and answers 201 (HTTP, gunicorn and Django alone), the other also
  inserts the body into a table in one statement (the ceiling: any intake that stores the
  report before it answers does at least that);
- ingest: reports accepted (201: validated and stored, RFC 8460 §5.4) per second, as a ratio
  of the ceiling;
- processed: reports whose details and aggregates are written (what the API and pages show)
  per second, from the first post until none is pending (``--process-after``: the workers
  start once every report is in, and the rate counts from the first report processed to the
  last: the processing alone).

Then the summary endpoint on a domain holding 1 million failure-detail rows: latency
percentiles over HTTP.

    python3 deploy/stack.py up && set -a && . var/stack/stack.env && set +a
    SECRET_KEY=bench .venv/bin/python manage.py migrate
    SECRET_KEY=bench .venv/bin/python bench/tlsrpt_ingest.py --reports 10000 --clients 8

The reports go to ``--domains`` domains (one token each), so no token passes the default
rate limit of ``TLSRPT_RATE_PER_TOKEN``.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dane_admin.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Max, Min  # noqa: E402
from django.utils import timezone  # noqa: E402

from dnsops.tlsrpt.report import MEDIA_TYPE_JSON, ReportLimits, read_report  # noqa: E402
from domains import services  # noqa: E402
from domains.audit import Actor  # noqa: E402
from domains.models import AcceptedDomain  # noqa: E402
from domains.tlsrpt import services as tlsrpt_services  # noqa: E402
from domains.tlsrpt.models import Channel, TlsFailureDetail, TlsReport, TlsRptDaily  # noqa: E402

RESULT_TYPES = (
    "starttls-not-supported",
    "certificate-host-mismatch",
    "certificate-expired",
    "certificate-not-trusted",
    "validation-failure",
    "tlsa-invalid",
    "dnssec-invalid",
    "dane-required",
)
HOST = "127.0.0.1"


def make_report(rng: random.Random, domain: str, target_size: int, day: date) -> bytes:
    """A ``tlsa`` report for ``domain`` on ``day`` whose JSON is about ``target_size`` bytes."""

    def failure() -> dict[str, Any]:
        return {
            "result-type": rng.choice(RESULT_TYPES),
            "sending-mta-ip": f"198.51.100.{rng.randrange(1, 255)}",
            "receiving-mx-hostname": f"mx{rng.randrange(1, 4)}.{domain}",
            "receiving-ip": f"203.0.113.{rng.randrange(1, 255)}",
            "failed-session-count": rng.randrange(1, 50),
            "failure-reason-code": rng.choice(("X509_V_ERR_CERT_HAS_EXPIRED", "TLSA_MISMATCH")),
        }

    document: dict[str, Any] = {
        "organization-name": f"Reporter {rng.randrange(20)}",
        "date-range": {
            "start-datetime": f"{day}T00:00:00Z",
            "end-datetime": f"{day}T23:59:59Z",
        },
        "contact-info": "tlsrpt@reporter.example",
        "report-id": str(uuid.UUID(int=rng.getrandbits(128))),
        "policies": [
            {
                "policy": {
                    "policy-type": "tlsa",
                    "policy-string": ["3 1 1 " + "AB" * 32],
                    "policy-domain": domain,
                    "mx-host": [f"mx1.{domain}"],
                },
                "summary": {
                    "total-successful-session-count": rng.randrange(1000, 100000),
                    "total-failure-session-count": 0,
                },
                "failure-details": [],
            }
        ],
    }
    policy = document["policies"][0]
    base = len(json.dumps(document))
    per_failure = len(json.dumps(failure())) + 2
    details = [failure() for _ in range(max(1, (target_size - base) // per_failure))]
    policy["failure-details"] = details
    policy["summary"]["total-failure-session-count"] = sum(
        d["failed-session-count"] for d in details
    )
    return json.dumps(document).encode()


def prepare(domains: int) -> tuple[str, list[tuple[str, str]], AcceptedDomain]:
    """A tenant with ``domains`` verified domains: its API key, (name, token) of each, and one
    more domain for the summary measurement."""
    tenant = services.create_tenant(f"bench-{uuid.uuid4().hex[:8]}", actor=Actor.cli())
    names = [f"d{i:05d}-{tenant.slug}.example" for i in range(domains + 1)]
    AcceptedDomain.objects.bulk_create(
        AcceptedDomain(tenant=tenant, name=name, display_name=name, verified_at=timezone.now())
        for name in names
    )
    rows = list(AcceptedDomain.objects.filter(name__in=names).order_by("name"))
    targets = [(d.name, tlsrpt_services.endpoint_for(d).token) for d in rows[:-1]]
    _, raw_key = services.create_api_key(tenant, name="bench", actor=Actor.cli())
    return raw_key, targets, rows[-1]


def start_server(port: int, workers: int) -> subprocess.Popen[bytes]:
    """gunicorn with ``workers`` sync workers on the stack's database; waits until it answers."""
    log = (ROOT / "var" / "bench-gunicorn.log").open("wb")
    env = {
        **os.environ,
        "ALLOWED_HOSTS": HOST,
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "bench.serving_settings",  # the product plus the bare view
    }
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "dane_admin.wsgi",
            f"--workers={workers}",
            f"--bind={HOST}:{port}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120  # a loaded machine takes its time to import Django
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start: see var/bench-gunicorn.log")


def start_workers(count: int) -> list[subprocess.Popen[bytes]]:
    """``count`` Celery workers (solo pool: one task at a time each) on the stack's broker;
    waits until each answers a ping."""
    from dane_admin.celery import app

    workers = []
    for number in range(count):
        log = (ROOT / "var" / f"bench-celery-{number}.log").open("wb")
        hostname = f"bench-tlsrpt-{os.getpid()}-{number}@%h"
        workers.append(
            subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "dane_admin",
                    "worker",
                    "--pool=solo",
                    "--loglevel=WARNING",
                    f"--hostname={hostname}",
                    "--queues=celery",
                ],
                cwd=ROOT,
                env={**os.environ, "DEBUG": "0"},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        node = hostname.replace("%h", os.uname().nodename)
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=0.5, destination=[node]):
            if time.monotonic() > deadline:
                raise SystemExit("a Celery worker did not start: see var/bench-celery-*.log")
    return workers


def wait_until_processed(ids: set[int], timeout: float) -> float:
    """Wait until none of the reports ``ids`` is pending; the moment (perf_counter) it was."""
    deadline = time.monotonic() + timeout
    while TlsReport.objects.filter(pk__in=ids, processed_at__isnull=True).exists():
        if time.monotonic() > deadline:
            raise SystemExit("the reports were not processed in time: see var/bench-celery-*.log")
        time.sleep(0.05)
    return time.perf_counter()


def _post_chunk(job: tuple[int, list[tuple[str, bytes]]]) -> Counter[int]:
    """One client: POST each (path, gzip body) in turn; the count of each status."""
    port, bodies = job
    statuses: Counter[int] = Counter()
    for path, body in bodies:
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        conn.request("POST", path, body, {"Content-Type": "application/tlsrpt+gzip"})
        response = conn.getresponse()
        response.read()
        statuses[response.status] += 1
        conn.close()
    return statuses


def ingest(
    port: int, bodies: list[tuple[str, bytes]], clients: int
) -> tuple[float, float, Counter[int]]:
    """Post every body from ``clients`` processes; (start and end perf_counter, statuses)."""
    jobs = [(port, bodies[i::clients]) for i in range(clients)]
    connection.close()  # no database connection shared across fork
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        results = pool.map(_post_chunk, jobs)
    return start, time.perf_counter(), sum(results, Counter())


def load_failure_rows(domain: AcceptedDomain, rows: int, rng: random.Random) -> int:
    """Give ``domain`` ``rows`` failure-detail rows over the last 30 days: 30 reports (one a
    day) stored through the service layer, then their failure rows multiplied in SQL, and the
    daily aggregates rebuilt from the rows by GROUP BY (as ingestion would have summed them).
    The rows stored."""
    limits = ReportLimits(1 << 24, 1 << 24, 16)
    today = timezone.now().date()
    for index in range(30):
        raw = make_report(rng, domain.name, 52_000, today - timedelta(days=index))
        parsed, _ = read_report(raw, MEDIA_TYPE_JSON, limits)
        tlsrpt_services.store_report(parsed, raw, channel=Channel.HTTPS, domain=domain)
    tlsrpt_services.process_pending_reports()
    failures = TlsFailureDetail._meta.db_table
    daily = TlsRptDaily._meta.db_table
    stored = TlsFailureDetail.objects.filter(domain=domain).count()
    columns = ", ".join(tlsrpt_services.FAILURE_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {failures} ({columns}) SELECT {columns} FROM {failures}, "  # noqa: S608 - names from models
            "generate_series(1, %s) WHERE domain_id = %s",
            [max(1, rows // stored - 1), domain.pk],
        )
        cursor.execute(
            f"DELETE FROM {daily} WHERE domain_id = %s AND result_type <> ''",  # noqa: S608
            [domain.pk],
        )
        cursor.execute(
            f"INSERT INTO {daily} (domain_id, day, policy_type, result_type, successful_sessions, "  # noqa: S608
            f"failed_sessions, reports) SELECT domain_id, day, policy_type, result_type, 0, "
            f"SUM(failed_session_count), COUNT(DISTINCT report_id) FROM {failures} "
            "WHERE domain_id = %s GROUP BY domain_id, day, policy_type, result_type",
            [domain.pk],
        )
        cursor.execute("ANALYZE")
    return TlsFailureDetail.objects.filter(domain=domain).count()


def summary_latencies(port: int, raw_key: str, domain: str, requests: int) -> list[float]:
    """Milliseconds of each ``GET .../tls-reports/summary/?days=30``, one connection each."""
    latencies = []
    for _ in range(requests):
        start = time.perf_counter()
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        conn.request(
            "GET",
            f"/api/v1/domains/{domain}/tls-reports/summary/?days=30",
            headers={"Authorization": f"Api-Key {raw_key}"},
        )
        response = conn.getresponse()
        body = response.read()
        latencies.append((time.perf_counter() - start) * 1000)
        assert response.status == 200, body[:300]
        conn.close()
    return latencies


def main() -> None:
    """Prepare, measure and print."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--celery-workers", type=int, default=1, help="Celery worker processes")
    parser.add_argument("--domains", type=int, default=200)
    parser.add_argument("--failure-rows", type=int, default=1_000_000)
    parser.add_argument("--summary-requests", type=int, default=200)
    parser.add_argument("--port", type=int, default=18631)
    parser.add_argument(
        "--process-after",
        action="store_true",
        help="start the Celery workers only once every report is in: the processing's own rate",
    )
    args = parser.parse_args()

    rng = random.Random(8460)  # noqa: S311 - reproducible test data
    raw_key, targets, summary_domain = prepare(args.domains)
    today = timezone.now().date()
    bodies = []
    json_sizes = []
    for i in range(args.reports):
        name, token = targets[i % len(targets)]
        raw = make_report(rng, name, rng.randrange(5_000, 50_001), today - timedelta(days=i % 30))
        json_sizes.append(len(raw))
        bodies.append((f"/tlsrpt/{token}/", gzip.compress(raw, 6)))
    upload = sum(len(body) for _, body in bodies)
    print(
        f"{args.reports} reports: JSON {min(json_sizes)}-{max(json_sizes)} bytes "
        f"(mean {statistics.mean(json_sizes):.0f}), gzip {upload / args.reports:.0f} bytes mean"
    )

    server = start_server(args.port, args.workers)
    workers = [] if args.process_after else start_workers(args.celery_workers)
    try:
        bare = [(path.replace("/tlsrpt/", "/bench/tlsrpt-bare/"), body) for path, body in bodies]
        start, end, statuses = ingest(args.port, bare, args.clients)
        floor_rate = args.reports / (end - start)
        print(f"bare view (read the body, answer 201): {floor_rate:.0f} reports/s")
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS bench_tlsrpt_raw (token text, body bytea); "
                "TRUNCATE bench_tlsrpt_raw"
            )
        connection.close()
        inserted = [(p.replace("/tlsrpt/", "/bench/tlsrpt-raw-insert/"), b) for p, b in bodies]
        start, end, statuses = ingest(args.port, inserted, args.clients)
        ceiling = args.reports / (end - start)
        print(
            f"ceiling (raw insert: read the body, INSERT it, answer 201): {ceiling:.0f} "
            f"reports/s = {ceiling / floor_rate:.2f} of the bare view; statuses {dict(statuses)}"
        )
        first_id = TlsReport.objects.order_by("-id").values_list("id", flat=True).first() or 0
        start, end, statuses = ingest(args.port, bodies, args.clients)
        accepted = args.reports / (end - start)
        print(
            f"ingest: {args.reports} reports in {end - start:.1f} s = {accepted:.0f} reports/s "
            f"accepted = {accepted / ceiling:.2f} of the ceiling ({args.clients} clients, "
            f"{args.workers} gunicorn workers); statuses {dict(statuses)}"
        )
        ids = set(TlsReport.objects.filter(id__gt=first_id).values_list("id", flat=True))
        if args.process_after:  # the intake's wake-ups wait in the queue for the workers
            workers = start_workers(args.celery_workers)
        done = wait_until_processed(ids, timeout=600)
        since, counted = "from the first post", len(ids)
        if args.process_after:  # from the first batch's commit to the last (a worker's boot
            reports = TlsReport.objects.filter(pk__in=ids)  # and the first batch aside)
            span = reports.aggregate(first=Min("processed_at"), last=Max("processed_at"))
            counted = reports.filter(processed_at__gt=span["first"]).count()
            start, end = 0.0, 0.0
            done = max((span["last"] - span["first"]).total_seconds(), 1e-3)
            since = "after the first batch"
        processed = counted / (done - start)
        print(
            f"processed: {counted} reports in {done - start:.1f} s {since} = "
            f"{processed:.0f} reports/s = {processed / ceiling:.2f} "
            f"of the ceiling ({args.celery_workers} Celery workers; the last one "
            f"{done - end:.1f} s after its 201)"
        )
        started = time.perf_counter()
        rows = load_failure_rows(summary_domain, args.failure_rows, rng)
        print(
            f"summary domain: {rows} failure-detail rows over 30 days "
            f"(loaded in {time.perf_counter() - started:.0f} s)"
        )
        latencies = sorted(
            summary_latencies(args.port, raw_key, summary_domain.name, args.summary_requests)
        )
        p50 = latencies[len(latencies) // 2]
        p95 = latencies[int(len(latencies) * 0.95) - 1]
        print(
            f"summary ?days=30: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {latencies[-1]:.1f} ms "
            f"over {len(latencies)} requests (reads TlsRptDaily by its unique index "
            "(domain, day, policy_type, result_type), not the failure rows)"
        )
    finally:
        for process in (server, *workers):
            process.terminate()
        for process in (server, *workers):
            process.wait(30)


if __name__ == "__main__":
    main()

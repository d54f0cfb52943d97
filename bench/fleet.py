"""Benchmark: the operators' fleet overview (``/operator/``) and ``/metrics`` at provider scale,
on PostgreSQL: 100,000 domains over 10 partitions, 2 million check runs, 500,000 operations
(bulk-loaded with ``generate_series`` SQL in a database of its own, dropped at the end).

Prints p50/p95 of each over N requests through Django's test client (the whole request:
middleware, session, queries, template or exposition) against the 300 ms target, and as a
ratio to a ceiling measured in the same run: one scan of the check runs (``GROUP BY
overall_status``), what a page computing its figures from the history would pay at least.

    python3 deploy/stack.py up && set -a && . var/stack/stack.env && set +a
    SECRET_KEY=bench .venv/bin/python bench/fleet.py --requests 50
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dane_admin.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)  # this process's event metrics only

BENCH_DATABASE = "dane_bench_fleet"
SOURCE_URL = os.environ["DATABASE_URL"]  # the stack's; the benchmark's database sits beside it
os.environ["DATABASE_URL"] = urlunsplit(urlsplit(SOURCE_URL)._replace(path=f"/{BENCH_DATABASE}"))

import psycopg  # noqa: E402


def admin_connection() -> psycopg.Connection:
    """A connection to the stack's database, to create and drop the benchmark's."""
    return psycopg.connect(SOURCE_URL.replace("postgres://", "postgresql://"), autocommit=True)


def create_database() -> None:
    """A fresh, empty benchmark database."""
    with admin_connection() as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE}")
        connection.execute(f"CREATE DATABASE {BENCH_DATABASE}")


def database_exists() -> bool:
    """Whether a benchmark database is left from an earlier ``--reuse`` run."""
    with admin_connection() as connection:
        found = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DATABASE]
        ).fetchone()
    return found is not None


def drop_database() -> None:
    """Drop the benchmark database (after Django's connections are closed)."""
    with admin_connection() as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")


# The load, in SQL: states, codes and times drawn per row from the row number (stable, fast).
LOAD_SQL = [
    """INSERT INTO domains_tenant (slug, name, created_at)
       SELECT 'bench-' || t, 'Bench ' || t, now() FROM generate_series(1, 100) t""",
    """INSERT INTO dnsops_partition (label, zone, capacity, status, ds_records, created_at,
                                    drift_clean_digest)
       SELECT 'b' || p, 'b' || p || '.mx.provider.test', 20000, 'active', '[]', now(), ''
       FROM generate_series(1, 10) p""",
    """INSERT INTO domains_accepteddomain (tenant_id, name, display_name, is_initial,
           is_self_service, verification_token, verified_at, dnssec_state, dane_state,
           dnssec_state_since, partition_id, mx_token, last_error, next_check_at,
           checks_unchanged, check_fingerprint, last_check_codes, migration_step, version,
           created_at, updated_at)
       SELECT (SELECT min(id) FROM domains_tenant) + i % 100,
              'd' || i || '.bench.example', 'd' || i || '.bench.example', false, false, 'x',
              now() - interval '90 days',
              (ARRAY['disabled','enabling','pending_mx','pending_mx','pending_mx','enabled',
                     'enabled','enabled','enabled','enabled','enabled','failed'])[1 + i % 12],
              CASE WHEN i % 12 IN (6, 7, 8, 9) THEN 'enabled'
                   WHEN i % 12 = 10 THEN 'enabling' ELSE 'disabled' END,
              now() - (i % 60) * interval '1 day',
              (SELECT min(id) FROM dnsops_partition) + i % 10, 'd' || i, '',
              now() + ((i % 600) - 60) * interval '1 minute', 0, 'f' || i % 20,
              (ARRAY['', 'EX007', 'EX006 ET001', 'EX005', 'ES001 EX004', 'ED001', 'ET001', '',
                     'EX008', 'EX009 ES011', NULL])[1 + i % 11],
              1 + i % 9, 1, now() - interval '90 days', now()
       FROM generate_series(1, 100000) i""",
    """INSERT INTO domains_checkrun (domain_id, public_id, trigger, started_at, finished_at,
           duration, dns_queries, overall_status, result)
       SELECT d.min + r % 100000, gen_random_uuid(), 'schedule',
              now() - (r % 2592000) * interval '1 second',
              now() - (r % 2592000) * interval '1 second' + interval '30 ms',
              interval '30 ms', 8,
              (ARRAY['Passed','Warning','Failed','Failed'])[1 + r % 4], '{}'::jsonb
       FROM generate_series(1, 2000000) r, (SELECT min(id) FROM domains_accepteddomain) d""",
    # In-flight operations (the first 3,000) each on a domain of its own, as the constraint
    # "one in flight per domain and feature" wants; the rest finished.
    """INSERT INTO domains_operation (id, tenant_id, domain_id, domain_name, kind, feature,
           state, steps, attempts, next_attempt_at, actor, error_code, error_detail,
           created_at, updated_at, finished_at)
       SELECT gen_random_uuid(), dm.tenant_id, dm.id, dm.name,
              (ARRAY['Enable-DnssecForVerifiedDomain','Disable-DnssecForVerifiedDomain',
                     'Enable-SmtpDaneInbound','Disable-SmtpDaneInbound'])[1 + o % 4],
              CASE WHEN o % 4 < 2 THEN 'dnssec' ELSE 'smtp_dane_inbound' END,
              CASE WHEN o <= 2000 THEN 'pending' WHEN o <= 3000 THEN 'running'
                   WHEN o % 50 = 0 THEN 'failed' ELSE 'succeeded' END,
              '[]', CASE WHEN o <= 500 THEN 2 ELSE 1 END,
              CASE WHEN o <= 3000 THEN now() + interval '1 minute' END, 'bench',
              CASE WHEN o > 3000 AND o % 50 = 0 THEN 'DnssecOperationFailed' ELSE '' END, '',
              now() - (o % 2592000) * interval '1 second', now(),
              CASE WHEN o > 3000 THEN now() - (o % 2592000) * interval '1 second' END
       FROM generate_series(1, 500000) o
       JOIN domains_accepteddomain dm
         ON dm.id = (SELECT min(id) FROM domains_accepteddomain) + o % 100000""",
    """INSERT INTO dnsops_danevalidation (id, tenant_id, domain, port, verdict, disposition,
           status_code, result, requested_by, started_at, finished_at, duration_ms)
       SELECT gen_random_uuid(), NULL, 'v' || v || '.example', 25,
              (ARRAY['pass','no-tlsa','tlsa-invalid','dnssec-invalid'])[1 + v % 4],
              'delivered', '', '{}'::jsonb, 'bench',
              now() - (v % 5184000) * interval '1 second',
              now() - (v % 5184000) * interval '1 second', 100
       FROM generate_series(1, 50000) v""",
    # The daily rollup the checks keep: outcomes from the runs, codes from their domains.
    """INSERT INTO domains_checkrundaily (day, kind, key, count)
       SELECT (started_at AT TIME ZONE 'UTC')::date, 'outcome', overall_status, count(*)
       FROM domains_checkrun GROUP BY 1, 3""",
    """INSERT INTO domains_checkrundaily (day, kind, key, count)
       SELECT (r.started_at AT TIME ZONE 'UTC')::date, 'code', code, count(*)
       FROM domains_checkrun r JOIN domains_accepteddomain d ON d.id = r.domain_id,
            unnest(string_to_array(d.last_check_codes, ' ')) code
       GROUP BY 1, 3""",
    # The hourly rollup the commands, the worker and the validations keep.
    """INSERT INTO domains_activityhourly (hour, event, key, count)
       SELECT date_trunc('hour', created_at), 'operation.requested', kind, count(*)
       FROM domains_operation GROUP BY 1, 3""",
    """INSERT INTO domains_activityhourly (hour, event, key, count)
       SELECT date_trunc('hour', finished_at), 'operation.' || state,
              CASE WHEN state = 'failed' THEN kind || ' ' || error_code ELSE kind END, count(*)
       FROM domains_operation WHERE state IN ('succeeded', 'failed') GROUP BY 1, 2, 3""",
    """INSERT INTO domains_activityhourly (hour, event, key, count)
       SELECT date_trunc('hour', started_at), 'validation', verdict, count(*)
       FROM dnsops_danevalidation GROUP BY 1, 3""",
]

import django  # noqa: E402


def main() -> None:
    """Create, migrate, load, measure, print, drop."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--reuse", action="store_true", help="keep and reuse the loaded database")
    options = parser.parse_args()
    loaded = options.reuse and database_exists()
    if not loaded:
        create_database()
    try:
        django.setup()
        run(options.requests, load=not loaded)
    finally:
        from django.db import connections

        connections.close_all()
        if not options.reuse:
            drop_database()


def run(requests: int, *, load: bool) -> None:
    """Migrate and load the benchmark database (``load``), then time each aggregate and the
    two endpoints."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from domains import fleet
    from tests.support import make_operator

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if load:
        with connection.cursor() as cursor:
            for statement in LOAD_SQL:
                cursor.execute(statement)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # autovacuum's job in production: index-only scans
    print(f"migrated, loaded, vacuumed in {time.perf_counter() - started:.0f} s")
    with connection.cursor() as cursor:
        for table in ("accepteddomain", "checkrun", "operation"):
            cursor.execute(f"SELECT count(*) FROM domains_{table}")  # noqa: S608
            print(f"  domains_{table}: {cursor.fetchone()[0]:,} rows")

    settings.DANE_METRICS_TOKEN = "bench-token"  # noqa: S105 - a throw-away database
    operator, _ = make_operator(f"bench-operator-{time.time_ns()}")
    client = Client()
    client.force_login(operator)

    def scan() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT overall_status, count(*) FROM domains_checkrun GROUP BY overall_status"
            )
            cursor.fetchall()

    def page() -> None:
        response = client.get("/operator/")
        assert response.status_code == 200, response.status_code

    def metrics() -> None:
        response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer bench-token")
        assert response.status_code == 200, response.status_code

    ceiling = timings(scan, 5)
    now = timezone.now()
    aggregates = {
        "domain_groups": fleet.domain_groups,
        "stuck_pending_mx": lambda: fleet.stuck_pending_mx(now),
        "sweep_lag": lambda: fleet.sweep_lag(now),
        "operations_summary": lambda: fleet.operations_summary(now),
        "operations_per_hour": lambda: fleet.operations_per_hour(now),
        "daily (outcomes)": lambda: fleet.daily("outcome", fleet.trend_days(now.date())),
        "outbound_verdicts": lambda: fleet.outbound_verdicts(now),
    }
    print(f"{'aggregate':<22} {'p50 ms':>8}")
    for label, call in aggregates.items():
        print(f"{label:<22} {statistics.median(timings(call, 5)):8.1f}")
    overview = fleet.overview()
    print(
        f"{overview.domains:,} verified domains; funnel {dict(overview.funnel)}; "
        f"overdue {overview.sweep.overdue:,}; stuck {overview.stuck_count:,}"
    )
    print(f"{'request':<14} {'p50 ms':>8} {'p95 ms':>8} {'target':>7} {'p95/scan':>9}")
    scan_p50 = statistics.median(ceiling)
    print(f"{'(scan ceiling)':<14} {scan_p50:8.1f} {percentile(ceiling, 95):8.1f}")
    for label, call in (("/operator/", page), ("/metrics", metrics)):
        times = timings(call, requests)
        p95 = percentile(times, 95)
        verdict = "ok" if p95 < 300 else "SLOW"
        print(
            f"{label:<14} {statistics.median(times):8.1f} {p95:8.1f} {verdict:>7} "
            f"{p95 / scan_p50:9.2f}"
        )


def timings(call: object, count: int) -> list[float]:
    """Milliseconds of ``count`` calls, after two warm-up calls."""
    assert callable(call)
    for _ in range(2):
        call()
    times = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def percentile(values: list[float], pct: int) -> float:
    """The ``pct``-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


if __name__ == "__main__":
    main()

"""Benchmark: the API under the production server (gunicorn) on the real stack, loaded by wrk.

For each server configuration given (``--configs``: the database connections, ``cma0`` a new
PostgreSQL connection per request, ``cma60`` persistent ones with health checks, ``cma60-nohc``
without them, ``pool`` psycopg 3's pool; then ``@<processes>x<threads>``), gunicorn is started
with ``deploy/gunicorn.conf.py`` and the benchmark's URLconf (``bench/serving_urls.py``: the
product's routes plus two bare DRF views), then wrk (Debian ``wrk``) runs 50 concurrent
clients against, in turn:

- a bare DRF view without authentication, and the same view with the API-key authentication;
- ``GET /api/v1/domains/{name}/dnssec/`` (the stored status of a checked domain);
- ``GET /api/v1/domains/?limit=50``;
- ``POST /api/v1/domains/{name}/dnssec/enable/``, each request for another verified domain
  (the bench prepares them in the database); the rate of 202s is the acceptance rate (the
  Celery tasks are queued, no worker runs; the queue is purged at the end).

Then, end to end (unless ``--no-e2e``), with the first configuration and a Celery worker
running: wrk enables as above, and the clock runs until every accepted operation has
succeeded (the worker has pushed the records to Knot and seen them on every server); a
sample of the MX hosts is then resolved through the validating resolver, which must answer
them with AD. Then the worker alone: wrk enables other domains for ``--backlog-duration``
seconds with no worker running (the backlog), a worker is started and woken (the backlog's
wake-ups expired meanwhile), and the clock runs from its start until every one of them has
succeeded and a sample of their MX hosts answers with AD. Before each worker starts, the
queues are emptied of what an earlier worker left (check chunks of deferred domains).
Before each of the two phases the status checks of domains enabled earlier that are due
within the hour are pushed back (the worker's processes would otherwise be busy checking
them). The
ceiling of both ratios is as many names as the larger phase had sent as raw batched UPDATEs
(``bench/provision_rfc2136.py``), measured in the same run.

It prints req/s, p50 and p99 per endpoint, the ratios the targets of issue 16 use, and the
SQL statements each endpoint issues (counted in-process with ``CaptureQueriesContext``), with
its in-process time per request; then the CPU each request (and each enable end to end, and
each name of the ceiling) cost the machine, summed over its processes by kind
(``bench/cpu.py``), and the most requests per second the cores could carry at that cost.

    python3 deploy/stack.py up && set -a && . var/stack/stack.env && set +a
    export DEBUG=0 SECRET_KEY=bench
    .venv/bin/python bench/serving.py [--duration 10] [--configs cma60@3x4,pool@3x4]

``--only-reads`` measures the four GET endpoints alone, ``--only-e2e`` the end to end and the
worker alone (short runs while iterating).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.serving_settings"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from bench import cpu  # noqa: E402
from bench.commands_e2e import prepare, start_worker, until_done  # noqa: E402
from bench.provision_rfc2136 import NAMES_PER_UPDATE, new_partition, raw_updates  # noqa: E402
from dane_admin.celery import app as celery_app  # noqa: E402
from dnsops.backends.rfc2136 import Rfc2136Backend  # noqa: E402
from dnsops.dns import resolver  # noqa: E402
from domains import checks  # noqa: E402
from domains.choices import OperationKind  # noqa: E402
from domains.models import AcceptedDomain, Operation  # noqa: E402
from domains.transitions import PROCESS_OPERATIONS, enqueue  # noqa: E402

CLIENTS = 50
WRK_THREADS = 2
WRK_TIMEOUT = 30
ENABLE_PATH = "/api/v1/domains/{name}/dnssec/enable/"

# wrk script: every request enables another domain; thread t of T takes names t, t+T, t+2T...
ENABLE_SCRIPT = """
local threads = {}
local counter = 0
statuses = {}
setup = function(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end
init = function(args)
  step = tonumber(args[1])
  pattern = args[2]
  wrk.method = "POST"
  wrk.headers["Authorization"] = args[3]
end
request = function()
  local name = string.format(pattern, index + counter * step)
  counter = counter + 1
  return wrk.format(nil, string.format("/api/v1/domains/%s/dnssec/enable/", name))
end
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 300 and not shown then
    shown = true
    io.write(string.format("first refusal: %d %s\\n", status, body))
  end
end
done = function(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  for status, count in pairs(total) do
    io.write(string.format("status %d: %d\\n", status, count))
  end
end
"""


@dataclass(frozen=True)
class Load:
    """What wrk measured for one endpoint."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    failed: int  # non-2xx/3xx answers and socket errors
    statuses: dict[int, int]  # answers by HTTP status (the enable script only)
    first_refusal: str  # the first answer that was not 2xx (the enable script only)

    @property
    def accepted_per_second(self) -> float:
        """Requests answered 2xx/3xx per second."""
        if not self.requests:
            return 0.0
        return self.requests_per_second * (self.requests - self.failed) / self.requests


def _milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def parse_wrk(output: str) -> Load:
    """The figures of ``wrk --latency`` output."""
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+?)\s*$", output, re.MULTILINE))
    if len(percentiles) != 2:
        raise SystemExit(f"wrk measured no latencies:\n{output}")
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    failed = int(non_2xx.group(1)) if non_2xx else 0
    if errors:
        failed += sum(int(count) for count in errors.groups())
    statuses = {
        int(status): int(count)
        for status, count in re.findall(r"^status (\d+): (\d+)$", output, re.MULTILINE)
    }
    refusal = re.search(r"^first refusal: (.*)$", output, re.MULTILINE)
    return Load(
        rate,
        _milliseconds(percentiles["50"]),
        _milliseconds(percentiles["99"]),
        requests,
        failed,
        statuses,
        refusal.group(1) if refusal else "",
    )


def wrk(url: str, duration: int, headers: list[str], script_args: list[str] | None = None) -> Load:
    """Run wrk against ``url`` (with the enable script when ``script_args`` are given)."""
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{CLIENTS}", f"-d{duration}s", "--latency"]
    command.append(f"--timeout={WRK_TIMEOUT}s")  # a slow answer is measured, not dropped
    for header in headers:
        command += ["-H", header]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        if script_args is not None:
            script.write(ENABLE_SCRIPT)
            script.flush()
            command += ["-s", script.name]
        command.append(url)
        if script_args is not None:
            command += ["--", *script_args]
        result = subprocess.run(  # noqa: S603
            command, capture_output=True, text=True, check=True, timeout=duration + 60
        )
    if result.stderr.strip():  # e.g. the script did not load: wrk would still run, unscripted
        raise SystemExit(f"wrk: {result.stderr.strip()[:500]}")
    return parse_wrk(result.stdout)


def server_port() -> int:
    """The port the server listens on: ``DANE_HELPER_HTTP_PORT`` when set (a checkout's own
    ports), else one free on loopback now."""
    if os.environ.get("DANE_HELPER_HTTP_PORT"):
        return int(os.environ["DANE_HELPER_HTTP_PORT"])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


#: The database settings of each ``--configs`` name (environment of the server).
DATABASE_CONFIGS = {
    "cma0": {"DATABASE_CONN_MAX_AGE": "0", "DATABASE_POOL": "0"},
    "cma60": {"DATABASE_CONN_MAX_AGE": "60", "DATABASE_POOL": "0"},
    "cma60-nohc": {
        "DATABASE_CONN_MAX_AGE": "60",
        "DATABASE_CONN_HEALTH_CHECKS": "0",
        "DATABASE_POOL": "0",
    },
    "pool": {"DATABASE_POOL": "8"},
}


@dataclass(frozen=True)
class ServerConfig:
    """One way to run the server: database connections, processes and threads."""

    database: str
    processes: int
    threads: int

    @classmethod
    def parse(cls, text: str) -> ServerConfig:
        """``cma60@3x4`` → connections ``cma60``, 3 processes of 4 threads."""
        database, _, size = text.partition("@")
        processes, _, threads = (size or "3x4").partition("x")
        if database not in DATABASE_CONFIGS:
            raise SystemExit(f"--configs: {database!r} is not one of {sorted(DATABASE_CONFIGS)}")
        return cls(database, int(processes), int(threads))

    def __str__(self) -> str:
        return f"{self.database}@{self.processes}x{self.threads}"

    def environment(self) -> dict[str, str]:
        """The server's environment variables for this configuration."""
        return {
            **DATABASE_CONFIGS[self.database],
            "WEB_CONCURRENCY": str(self.processes),
            "DANE_WEB_THREADS": str(self.threads),
        }


@contextmanager
def gunicorn(config: ServerConfig) -> Iterator[str]:
    """The production server with the benchmark's URLconf; yields its base URL."""
    address = f"127.0.0.1:{server_port()}"
    environment = {
        **os.environ,
        **config.environment(),
        "DJANGO_SETTINGS_MODULE": "bench.serving_settings",
        "DANE_ADMIN_ADDR": address,
    }
    log = (ROOT / "var" / "bench-serving-gunicorn.log").open("ab")
    server = subprocess.Popen(  # noqa: S603
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            str(ROOT / "deploy" / "gunicorn.conf.py"),
            "dane_admin.wsgi",
        ],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://{address}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/bench/bare", timeout=2):  # noqa: S310
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log_name = "var/bench-serving-gunicorn.log"
                    raise SystemExit(f"gunicorn did not start: see {log_name}") from None
                time.sleep(0.2)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
        log.close()


def enable_load(url: str, duration: int, raw_key: str, names: list[str]) -> Load:
    """wrk enabling DNSSEC for ``names`` in turn (each request another domain)."""
    pattern = names[0].replace("000000", "%06d", 1)
    load = wrk(url, duration, [], [str(WRK_THREADS), pattern, f"Api-Key {raw_key}"])
    if load.requests > len(names) - 2:
        print(f"warning: {load.requests} enables for {len(names)} domains (--domains)")
    return load


@dataclass(frozen=True)
class EndToEnd:
    """Enables carried out by the worker until served, against the raw UPDATE ceiling."""

    accepted: int
    api_per_second: float
    per_second: float
    ceiling_per_second: float
    authenticated: int  # of the sampled MX hosts, answered with AD
    sampled: int
    backlog: int  # enables accepted with no worker running, then drained by the worker alone
    worker_seconds: float  # from the worker's start until all succeeded and the sample has AD
    worker_authenticated: int
    worker_sampled: int
    deferred_checks: int  # due checks of domains enabled earlier, pushed back (see below)
    cpu_end_to_end: cpu.CpuUse  # the machine's CPU of each phase
    cpu_worker_alone: cpu.CpuUse
    cpu_ceiling: cpu.CpuUse

    @property
    def worker_per_second(self) -> float:
        """Enables the worker alone carried out per second."""
        return self.backlog / self.worker_seconds


def accepted_enables(names: list[str]) -> list[str]:
    """The domains among ``names`` whose enable the API accepted."""
    return list(
        Operation.objects.filter(
            domain_name__in=names, kind=OperationKind.ENABLE_DNSSEC
        ).values_list("domain_name", flat=True)
    )


def served_with_ad(accepted: list[str]) -> tuple[int, int]:
    """Of about 20 MX hosts spread over ``accepted``, how many the validating resolver
    answers with AD (and records), and how many were asked."""
    every = max(1, len(accepted) // 20)
    sample = AcceptedDomain.objects.select_related("partition").filter(name__in=accepted[::every])
    hosts = [domain.dnssec_mx_value for domain in sample if domain.dnssec_mx_value]
    authenticated = sum(
        1
        for host in hosts
        if (answer := resolver.query(host, "A", timeout=5)).authenticated and answer.records
    )
    return authenticated, len(hosts)


def defer_earlier_checks() -> int:
    """Push back the status checks of the domains enabled before this phase (earlier phases
    and runs on the same stack) that are due now or within the hour, so that the worker's
    processes are not busy with their check batches: a phase then measures its own enables
    and the checks they cause. (Checks due later than now count too: a stack that earlier
    runs filled has checks coming due every second.) How many were deferred."""
    now = timezone.now()
    later = now + timedelta(hours=1)
    return checks.due_domains(later).update(next_check_at=later + timedelta(hours=1))


def end_to_end(config: ServerConfig, args: argparse.Namespace) -> EndToEnd:
    """wrk enables with a worker running; the clock stops when every accepted one succeeded.
    Then the worker alone: enables accepted with no worker running, and the time a worker
    takes from its start until every one succeeded and a sample resolves with AD."""
    raw_key, names = prepare(args.domains)
    deferred = defer_earlier_checks()
    celery_app.control.purge()  # tasks an earlier worker left queued (their checks, deferred)
    connection.close()  # nothing held open across the worker's fork
    worker = start_worker(args.worker_concurrency)
    try:
        with gunicorn(config) as url, cpu.measured() as cpu_end_to_end:
            started = time.perf_counter()
            load = enable_load(url, args.duration, raw_key, names)
            accepted = accepted_enables(names)
            until_done(accepted, OperationKind.ENABLE_DNSSEC)
            elapsed = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    authenticated, sampled = served_with_ad(accepted)

    raw_key, names = prepare(args.domains)
    connection.close()
    with gunicorn(config) as url:
        enable_load(url, args.backlog_duration, raw_key, names)
    backlog = accepted_enables(names)
    deferred += defer_earlier_checks()
    celery_app.control.purge()  # the first phase's queued checks, and expired wake-ups
    connection.close()
    started = time.perf_counter()
    worker = start_worker(args.worker_concurrency)
    enqueue(PROCESS_OPERATIONS)  # the backlog's own wake-ups expired while no worker ran
    try:
        with cpu.measured() as cpu_worker_alone:
            until_done(backlog, OperationKind.ENABLE_DNSSEC)
            worker_authenticated, worker_sampled = served_with_ad(backlog)
        worker_seconds = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(timeout=60)

    backend = Rfc2136Backend.from_settings()
    zone = new_partition(backend, "r").zone
    sent = max(len(accepted), len(backlog))  # the larger phase: fewer fixed costs per name
    ceiling_started = time.perf_counter()
    with cpu.measured() as cpu_ceiling:
        raw_updates(backend, zone, sent, NAMES_PER_UPDATE)
    ceiling = sent / (time.perf_counter() - ceiling_started)
    return EndToEnd(
        len(accepted),
        load.accepted_per_second,
        len(accepted) / elapsed,
        ceiling,
        authenticated,
        sampled,
        len(backlog),
        worker_seconds,
        worker_authenticated,
        worker_sampled,
        deferred,
        cpu_end_to_end,
        cpu_worker_alone,
        cpu_ceiling,
    )


def in_process(raw_key: str, method: str, path: str, repeat: int) -> tuple[int, float]:
    """SQL statements one request to ``path`` issues, and its mean in-process milliseconds
    over ``repeat`` requests (``POST`` is counted once: it changes the domain). A ``GET`` is
    counted after one first request (the domain list allocates a page's TLS-RPT endpoints
    on its first read; the server's requests all come after)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    send = client.post if method == "POST" else client.get
    if method == "GET":
        send(path)
    with CaptureQueriesContext(connection) as queries:
        response = send(path)
    count = len(queries)  # read now: the next request resets the connection's query log
    if response.status_code not in (200, 202):
        raise SystemExit(f"{method} {path}: {response.status_code} {response.content[:300]!r}")
    started = time.perf_counter()
    for _ in range(repeat if method == "GET" else 0):
        send(path)
    elapsed = (time.perf_counter() - started) / repeat if method == "GET" else float("nan")
    return count, 1000 * elapsed


def print_cpu_table(
    heading: str, first_column: str, kinds: list[str], rows: list[tuple[str, cpu.CpuUse, int]]
) -> dict[str, float]:
    """A table of the CPU ms each of ``rows`` (label, use, how many requests) cost the
    machine, by kind of process, with the most per second the cores carry at that cost;
    returns that most, by label."""
    cores = os.cpu_count() or 1
    print(f"\n{heading} ({cores} cores; 'all' is the machine's busy time, the kernel's included)")
    print(f"| {first_column} | {' | '.join(kinds)} | other | all | cores busy | at most per s |")
    print("|---|" + "---|" * (len(kinds) + 4))
    at_most: dict[str, float] = {}
    for label, use, count in rows:
        per = use.milliseconds_per(count)
        other = per["all"] - sum(per.get(kind, 0.0) for kind in kinds)
        at_most[label] = cores * 1000 / per["all"]
        columns = " | ".join(f"{per.get(kind, 0.0):.2f}" for kind in kinds)
        print(
            f"| {label} | {columns} | {other:.2f} | {per['all']:.2f} | "
            f"{100 * use.busy_share:.0f} % | {at_most[label]:,.0f} |"
        )
    return at_most


def print_cpu(loads: dict[str, Load], uses: dict[str, cpu.CpuUse]) -> None:
    """The CPU each request cost the machine, by kind of process, and the most requests per
    second the machine's cores could carry at that cost."""
    rows = [(label, uses[label], load.requests) for label, load in loads.items()]
    kinds = ["web", "database", "broker", "load generator"]
    print_cpu_table("CPU ms per request, every process", "endpoint", kinds, rows)


def print_end_to_end_cpu(e2e: EndToEnd) -> None:
    """The CPU each enable cost the machine end to end and with the worker alone, each name
    of the ceiling, and the end-to-end ratio the machine's cores allow at those costs."""
    rows = [
        ("end to end", e2e.cpu_end_to_end, e2e.accepted),
        ("worker alone", e2e.cpu_worker_alone, e2e.backlog),
        ("raw UPDATE ceiling", e2e.cpu_ceiling, max(e2e.accepted, e2e.backlog)),
    ]
    kinds = ["web", "worker", "database", "broker", "dns", "load generator"]
    heading = "CPU ms per enable (per name for the ceiling), every process"
    at_most = print_cpu_table(heading, "phase", kinds, rows)["end to end"]
    print(
        f"at these costs the cores carry at most {at_most:.0f} enables/s end to end: "
        f"{at_most / e2e.ceiling_per_second:.2f} times the ceiling measured "
        f"({e2e.ceiling_per_second:.0f} names/s)"
    )


def main() -> None:
    """Prepare the data, measure every endpoint under each server configuration, print."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per endpoint")
    parser.add_argument(
        "--configs",
        default="cma60@3x4",
        help="server configurations, comma-separated: <connections>@<processes>x<threads>, "
        f"connections one of {', '.join(DATABASE_CONFIGS)}",
    )
    parser.add_argument("--domains", type=int, default=20_000, help="verified domains to enable")
    parser.add_argument("--no-e2e", action="store_true", help="skip the end-to-end enables")
    parser.add_argument(
        "--backlog-duration", type=int, default=30, help="seconds of wrk enabling the backlog"
    )
    parser.add_argument("--worker-concurrency", type=int, default=2, help="of the e2e worker")
    parser.add_argument(
        "--only-reads",
        action="store_true",
        help="only the four GET endpoints (no enables, no end to end)",
    )
    parser.add_argument(
        "--only-e2e",
        action="store_true",
        help="only the end-to-end enables and the worker alone (no endpoint loads)",
    )
    args = parser.parse_args()
    configs = [ServerConfig.parse(text) for text in args.configs.split(",")]
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: deploy/setup --servers installs it (Debian wrk).")
    if connection.vendor != "postgresql":
        raise SystemExit("Run on the real stack: set -a && . var/stack/stack.env && set +a")
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)

    figures: dict[str, tuple[int, float]] = {}
    results: list[tuple[ServerConfig, dict[str, Load], dict[str, cpu.CpuUse]]] = []
    for config in [] if args.only_e2e else configs:
        raw_key, names = prepare(args.domains)
        tenant = AcceptedDomain.objects.get(name=names[0]).tenant
        checked = names[-1]
        checks.dnssec_status(tenant, checked, refresh=True)  # a stored status to read
        auth = f"Api-Key {raw_key}"
        paths = {
            "bare DRF view, no authentication": "/bench/bare",
            "bare DRF view, API-key authentication": "/bench/bare-auth",
            "GET /api/v1/domains/{name}/dnssec/": f"/api/v1/domains/{checked}/dnssec/",
            "GET /api/v1/domains/?limit=50": "/api/v1/domains/?limit=50",
        }
        if not figures:
            for label, path in paths.items():
                figures[label] = in_process(raw_key, "GET", path, repeat=200)
            if not args.only_reads:
                figures["POST …/dnssec/enable/ (accepted/s)"] = in_process(
                    raw_key, "POST", ENABLE_PATH.format(name=names[-2]), repeat=1
                )
        connection.close()  # nothing held open while the server runs
        loads: dict[str, Load] = {}
        uses: dict[str, cpu.CpuUse] = {}
        with gunicorn(config) as url:
            for label, path in paths.items():
                with cpu.measured() as uses[label]:
                    loads[label] = wrk(f"{url}{path}", args.duration, [f"Authorization: {auth}"])
            if not args.only_reads:
                label = "POST …/dnssec/enable/ (accepted/s)"
                with cpu.measured() as uses[label]:
                    loads[label] = enable_load(url, args.duration, raw_key, names[:-2])
        results.append((config, loads, uses))
        celery_app.control.purge()  # the enable tasks no worker ran
    e2e = None if args.no_e2e or args.only_reads else end_to_end(configs[0], args)

    print(f"{CLIENTS} concurrent clients (wrk -t{WRK_THREADS}), {args.duration} s per endpoint")
    for config, loads, uses in results:
        print(f"\n{config} ({config.environment()})")
        print("| endpoint | req/s | p50 ms | p99 ms | SQL/request | in-process ms |")
        print("|---|---|---|---|---|---|")
        for label, load in loads.items():
            queries, milliseconds = figures[label]
            rate = load.accepted_per_second if "accepted" in label else load.requests_per_second
            print(
                f"| {label} | {rate:,.0f} | {load.p50_ms:.1f} | {load.p99_ms:.1f} | {queries} | "
                f"{milliseconds:.2f} |"
            )
        print_cpu(loads, uses)
        status = loads["GET /api/v1/domains/{name}/dnssec/"]
        bare = loads["bare DRF view, API-key authentication"]
        print(
            f"status read p99 {status.p99_ms:.1f} ms (target < 50); status read / authenticated "
            f"bare view throughput {status.requests_per_second / bare.requests_per_second:.2f} "
            "(target >= 0.5)"
        )
        enable = loads.get("POST …/dnssec/enable/ (accepted/s)")
        if enable is not None:
            print(
                f"enables accepted {enable.accepted_per_second:.0f}/s (target >= 300), "
                f"{enable.failed} of {enable.requests} not accepted (answers by status: "
                f"{enable.statuses})"
            )
        if enable is not None and enable.first_refusal:
            print(f"first refused enable: {enable.first_refusal[:300]}")
    if e2e is not None:
        print(
            f"\nend to end ({configs[0]}, worker --concurrency={args.worker_concurrency}): "
            f"{e2e.accepted} enables accepted at {e2e.api_per_second:.0f}/s, all served in "
            f"{e2e.accepted / e2e.per_second:.1f} s: {e2e.per_second:.0f}/s; raw UPDATE ceiling "
            f"({NAMES_PER_UPDATE} names/message) {e2e.ceiling_per_second:.0f} names/s; ratio "
            f"{e2e.per_second / e2e.ceiling_per_second:.2f} (target >= 0.5); "
            f"{e2e.authenticated} of {e2e.sampled} sampled MX hosts answered with AD"
        )
        print(
            f"worker alone (--concurrency={args.worker_concurrency}): {e2e.backlog} enables "
            f"accepted with no worker running, all served {e2e.worker_seconds:.1f} s after the "
            f"worker started: {e2e.worker_per_second:.0f}/s; ratio "
            f"{e2e.worker_per_second / e2e.ceiling_per_second:.2f} against the same ceiling; "
            f"{e2e.worker_authenticated} of {e2e.worker_sampled} sampled MX hosts answered with "
            "AD (within the time)"
        )
        print_end_to_end_cpu(e2e)
        print(
            f"({e2e.deferred_checks} status checks of domains enabled before each phase, due "
            "within the hour, were pushed back, so that the phases measure their own work)"
        )
    print(f"load average {' '.join(f'{value:.1f}' for value in os.getloadavg())}")


if __name__ == "__main__":
    main()

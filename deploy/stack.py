#!/usr/bin/env python3
"""Start and stop the real stack as the project's own processes on loopback.

    deploy/stack.py up [postgres] [redis] [dns] [powerdns]   (no names: all of them)
    deploy/stack.py up --app [--workers N]    (the servers, then the service's own processes)
    deploy/stack.py down                      (the service's processes first, then the servers)
    deploy/stack.py status                    (what runs, with its pid)
    deploy/stack.py env                       (the variables to export)

Data lives under ``var/stack/`` (PostgreSQL falls back to a directory under /tmp when the
checkout is not reachable by the ``postgres`` user that root must run it as). Every server
listens on 127.0.0.1 only. ``up`` writes ``var/stack/stack.env`` with DATABASE_URL,
CELERY_BROKER_URL, DANE_RESOLVER, DANE_DNS_SERVERS, DANE_TSIG_KEY_FILE and the inbound
addresses (loopback).

The DNS part is the test network: Knot DNS serving the DNSSEC-signed top zone ``test.``
(ECDSA P-256, automatic signing, RFC 2136 updates with TSIG) and Unbound validating with
that zone's DS as its only trust anchor. Standard library only: it runs before the venv.

``app`` (``--app``) is a production-shaped run of the service on one machine, as the project's
own processes under ``var/stack/app/`` (a pidfile and a log each): the database migrated and
the static files collected, gunicorn (``deploy/gunicorn.conf.py``) on ``DANE_ADMIN_ADDR``
(default 127.0.0.1:8000), ``--workers`` Celery workers (default 2, each one process per
``DANE_WORKER_CONCURRENCY``, default 1) and Celery beat. Their environment is ``stack.env``,
``SECRET_KEY`` (made once, kept in ``var/stack/app/secret_key``) and ``DEBUG=0``; any of these
variables set in the caller's environment wins (a test points them at its own database).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STACK = Path(os.environ.get("DANE_STACK_DIR", ROOT / "var" / "stack"))
HOST = "127.0.0.1"
PG_PORT = int(os.environ.get("DANE_STACK_PG_PORT", "15432"))
REDIS_PORT = int(os.environ.get("DANE_STACK_REDIS_PORT", "16379"))
KNOT_PORT = int(os.environ.get("DANE_STACK_KNOT_PORT", "5300"))
UNBOUND_PORT = int(os.environ.get("DANE_STACK_UNBOUND_PORT", "5301"))
TOP_ZONE = "test."
TSIG_KEY_NAME = "dane-admin-update"
MX_SUFFIX = "mx.provider.test."  # the provider's signed parent of the DNSSEC MX partitions
LEGACY_MX_SUFFIX = "mail.protection.provider.test."  # the provider's pre-DNSSEC MX hosts
SIGNED_CHILD_ZONES = (MX_SUFFIX,)
UNSIGNED_CHILD_ZONES = (LEGACY_MX_SUFFIX,)
os.environ["PATH"] = f"/usr/sbin:/sbin:{os.environ.get('PATH', '')}"  # Debian's daemons
COMPONENTS = ("postgres", "redis", "dns", "powerdns")
APP = "app"  # started only when asked for (--app): the servers alone are what the tests use


def log(message: str) -> None:
    """Progress on stderr (stdout is kept for ``env``)."""
    print(f"stack: {message}", file=sys.stderr, flush=True)


def run(*args: str | Path, user: str | None = None, check: bool = True) -> str:
    """Run a command (as ``user`` when given), returning its stdout."""
    command = [str(arg) for arg in args]
    if user is not None:
        command = ["runuser", "-u", user, "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
    if check and result.returncode != 0:
        raise SystemExit(f"stack: {' '.join(command)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def wait_until(what: str, ready: object, timeout: float = 60.0) -> None:
    """Poll ``ready()`` until it is true or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise SystemExit(f"stack: {what} did not become ready within {timeout:.0f} s")


def port_open(port: int) -> bool:
    """True when something accepts TCP connections on HOST:port."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def claim_port(name: str, port: int, pidfile: Path, *, clear_stale: bool = True) -> bool:
    """Whether ``name`` must be started: False when our own process (``pidfile``) runs and
    holds the port; a port held by any other process is refused, never mistaken for ours. A
    pidfile left by a crash (its pid now another process's) is removed (``clear_stale``)."""
    ours = read_pid(pidfile) is not None
    if port_open(port):
        if ours:
            return False
        raise SystemExit(
            f"stack: {HOST}:{port} (for {name}) is taken by another process; stop it or "
            "choose other ports (DANE_STACK_*_PORT)"
        )
    if clear_stale:
        pidfile.unlink(missing_ok=True)
    return True


def read_pid(pidfile: Path) -> int | None:
    """The pid in ``pidfile`` when that process is alive (a zombie is not: where PID 1 does
    not reap, a stopped daemon stays one)."""
    try:
        pid = int(pidfile.read_text().split()[0])
        os.kill(pid, 0)
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, ValueError, IndexError):
        return None
    return None if state == "Z" else pid


def stop_pid(name: str, pidfile: Path) -> None:
    """SIGTERM the process in ``pidfile`` and wait for it to end (SIGKILL after 20 s)."""
    pid = read_pid(pidfile)
    if pid is None:
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and read_pid(pidfile) == pid:
        time.sleep(0.1)
    if read_pid(pidfile) == pid:
        os.kill(pid, signal.SIGKILL)
    pidfile.unlink(missing_ok=True)
    log(f"{name} stopped")


# --- PostgreSQL -------------------------------------------------------------------------------


def pg_bin(tool: str) -> Path:
    """A PostgreSQL server binary (Debian keeps them under /usr/lib/postgresql/<v>/bin)."""
    found = shutil.which(tool)
    if found:
        return Path(found)
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not versions:
        raise SystemExit("stack: PostgreSQL is not installed (apt-get install postgresql)")
    return versions[-1] / tool


def pg_user() -> str | None:
    """PostgreSQL refuses to run as root: then it runs as the ``postgres`` user."""
    return "postgres" if os.geteuid() == 0 else None


def pg_dir() -> Path:
    """The data directory: under var/stack when the server's user can reach it."""
    preferred = STACK / "postgres"
    user = pg_user()
    if user is None:
        return preferred
    STACK.mkdir(parents=True, exist_ok=True)
    probe = ["runuser", "-u", user, "--", "test", "-x", str(STACK)]
    reachable = subprocess.run(probe, check=False).returncode == 0  # noqa: S603
    if reachable:
        return preferred
    digest = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    return Path(f"/tmp/dane-admin-postgres-{digest}")  # noqa: S108


def postgres_up() -> None:
    """Initialise (once) and start PostgreSQL on HOST:PG_PORT with database ``dane_admin``."""
    data = pg_dir()
    user = pg_user()
    if not (data / "PG_VERSION").exists():
        data.mkdir(parents=True, exist_ok=True)
        if user:
            shutil.chown(data, user)
        data.chmod(0o700)
        run(
            pg_bin("initdb"),
            "-D",
            data,
            "-U",
            "dane",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            user=user,
        )
        log(f"PostgreSQL initialised in {data}")
    if claim_port("PostgreSQL", PG_PORT, data / "postmaster.pid", clear_stale=False):
        options = f"-c listen_addresses={HOST} -p {PG_PORT} -c unix_socket_directories=''"
        run(
            pg_bin("pg_ctl"),
            "-D",
            data,
            "-o",
            options,
            "-l",
            data / "server.log",
            "-w",
            "-t",
            "60",
            "start",
            user=user,
        )
    wait_until("PostgreSQL", lambda: port_open(PG_PORT))
    databases = run(
        pg_bin("psql"),
        "-h",
        HOST,
        "-p",
        str(PG_PORT),
        "-U",
        "dane",
        "-d",
        "postgres",
        "-Atc",
        "SELECT datname FROM pg_database",
    )
    if "dane_admin" not in databases.split():
        run(pg_bin("createdb"), "-h", HOST, "-p", str(PG_PORT), "-U", "dane", "dane_admin")
    log(f"PostgreSQL ready on {HOST}:{PG_PORT}")


def postgres_down() -> None:
    """Stop PostgreSQL if it runs."""
    data = pg_dir()
    if (data / "postmaster.pid").exists():
        run(pg_bin("pg_ctl"), "-D", data, "-m", "fast", "-w", "stop", user=pg_user(), check=False)
        log("PostgreSQL stopped")


# --- Redis ------------------------------------------------------------------------------------


def redis_up() -> None:
    """Start Redis on HOST:REDIS_PORT with an append-only file (no lost task messages)."""
    data = STACK / "redis"
    data.mkdir(parents=True, exist_ok=True)
    if claim_port("Redis", REDIS_PORT, data / "redis.pid"):
        run(
            "redis-server",
            "--bind",
            HOST,
            "--port",
            str(REDIS_PORT),
            "--daemonize",
            "yes",
            "--pidfile",
            data / "redis.pid",
            "--dir",
            data,
            "--logfile",
            data / "redis.log",
            "--appendonly",
            "yes",
            "--save",
            "",
            "--protected-mode",
            "yes",
        )
    wait_until("Redis", redis_answers)  # not just the port: it may still be loading its log
    log(f"Redis ready on {HOST}:{REDIS_PORT}")


def redis_answers() -> bool:
    """True when Redis answers PING with PONG."""
    with socket.socket() as sock:
        sock.settimeout(1)
        try:
            sock.connect((HOST, REDIS_PORT))
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False


def redis_down() -> None:
    """Stop Redis if it runs."""
    stop_pid("Redis", STACK / "redis" / "redis.pid")


# --- DNS test network: Knot (signing authoritative) + Unbound (validating resolver) ---------


def dns_dir() -> Path:
    """Where the test network keeps its configuration, zones, keys and logs."""
    return STACK / "dns"


def tsig_secret() -> str:
    """The TSIG secret for updates, created once and kept (mode 0600)."""
    key_file = dns_dir() / "tsig.key"
    if not key_file.exists():
        secret = base64.b64encode(secrets.token_bytes(32)).decode()
        key_file.write_text(f"hmac-sha256:{TSIG_KEY_NAME}:{secret}\n")
        key_file.chmod(0o600)
    return key_file.read_text().strip().split(":", 2)[2]


def zone_file_text(zone: str) -> str:
    """A minimal zone (SOA, NS at ns.test.) for a zone the test network starts with."""
    glue = f"ns A {HOST}\n" if zone == TOP_ZONE else ""
    return (
        f"$ORIGIN {zone}\n$TTL 60\n"
        f"@ SOA ns.{TOP_ZONE} hostmaster.{TOP_ZONE} 1 60 60 3600 5\n"
        f"@ NS ns.{TOP_ZONE}\n{glue}"
    )


def knot_conf() -> Path:
    """Write the seed knot.conf (imported once into Knot's configuration database)."""
    base = dns_dir() / "knot"
    (base / "zones").mkdir(parents=True, exist_ok=True)
    (base / "db").mkdir(parents=True, exist_ok=True)
    for zone in (TOP_ZONE, *SIGNED_CHILD_ZONES, *UNSIGNED_CHILD_ZONES):
        zone_file = base / "zones" / f"{zone}zone"
        if not zone_file.exists():
            zone_file.write_text(zone_file_text(zone))
    signed = "".join(
        f"""  - domain: {zone}
    dnssec-signing: on
    dnssec-policy: ecdsa-csk
    acl: update
"""
        for zone in (TOP_ZONE, *SIGNED_CHILD_ZONES)
    )
    unsigned = "".join(
        f"""  - domain: {zone}
    acl: update
"""
        for zone in UNSIGNED_CHILD_ZONES
    )
    conf = base / "knot.conf"
    conf.write_text(f"""server:
    rundir: "{base}"
    listen: {HOST}@{KNOT_PORT}
    pidfile: "{base}/knotd.pid"
    # A busy test machine reads large zone transfers slowly; Knot's 0.5 s default would cut
    # them off mid-transfer (an EOF that is the test machine's, not the product's).
    tcp-io-timeout: 10000
log:
  - target: "{base}/knotd.log"
    any: info
database:
    storage: "{base}/db"
key:
  - id: {TSIG_KEY_NAME}
    algorithm: hmac-sha256
    secret: {tsig_secret()}
acl:
  - id: update
    key: {TSIG_KEY_NAME}
    action: [update, transfer]
policy:
  - id: ecdsa-csk
    algorithm: ecdsap256sha256
    single-type-signing: on
    nsec3: off
  - id: ecdsa-csk-short-rrsig  # a DNS host that signs for 3 days: expiry warnings
    algorithm: ecdsap256sha256
    single-type-signing: on
    nsec3: off
    rrsig-lifetime: 3d
    rrsig-refresh: 1d
template:
  - id: default
    storage: "{base}/zones"
    file: "%s.zone"
    zonefile-sync: 0
    zonefile-load: difference-no-serial
    journal-content: all
    semantic-checks: on
zone:
{signed}{unsigned}""")
    conf.chmod(0o600)
    return conf


def knot_confdb() -> Path:
    """Knot's configuration database: zones added at run time survive a restart."""
    confdb = dns_dir() / "knot" / "confdb"
    if not confdb.exists():
        run("knotc", "-C", confdb, "conf-import", knot_conf())
    return confdb


def knot_socket() -> Path:
    """Knot's control socket (the driver creates partition zones through it)."""
    return dns_dir() / "knot" / "knot.sock"


def knotc(*args: str, check: bool = True) -> str:
    """Run a knotc command against the running Knot."""
    return run("knotc", "-s", knot_socket(), *args, check=check)


def knotc_transaction(
    zone: str, optional: list[tuple[str, ...]], required: list[tuple[str, ...]]
) -> None:
    """Apply zone edits in one Knot transaction; abort it when a required edit fails."""
    knotc("zone-abort", zone, check=False)
    knotc("zone-begin", zone)
    try:
        for command, *args in optional:
            knotc(command, zone, *args, check=False)
        for command, *args in required:
            knotc(command, zone, *args)
        knotc("zone-commit", zone)
    except SystemExit:
        knotc("zone-abort", zone, check=False)
        raise


def delegate_signed_child(child: str) -> None:
    """Publish NS and the current DS of ``child`` in the top zone (idempotent)."""
    parent = TOP_ZONE
    ds_lines = run("keymgr", "-C", knot_confdb(), child, "ds").splitlines()
    ds = [" ".join(line.split()[2:]) for line in ds_lines if " DS " in line and " 13 2 " in line]
    present = knotc("zone-read", parent, child, "DS", check=False)
    if ds and all(value.split()[-1].lower() in present.lower() for value in ds):
        return
    knotc_transaction(
        parent,
        [("zone-unset", child, "DS"), ("zone-unset", child, "NS")],
        [("zone-set", child, "60", "NS", f"ns.{TOP_ZONE}")]
        + [("zone-set", child, "60", "DS", *value.split()) for value in ds],
    )


def delegate_unsigned_child(child: str) -> None:
    """Publish NS (no DS) of ``child`` in the top zone (idempotent)."""
    if f" NS ns.{TOP_ZONE}" in knotc("zone-read", TOP_ZONE, child, "NS", check=False):
        return
    knotc_transaction(TOP_ZONE, [], [("zone-set", child, "60", "NS", f"ns.{TOP_ZONE}")])


def dig(name: str, rdtype: str, port: int, *flags: str) -> str:
    """A short kdig answer (empty when the server does not answer)."""
    return run(
        "kdig",
        f"@{HOST}",
        "-p",
        str(port),
        "+short",
        "+time=1",
        "+retry=0",
        *flags,
        name,
        rdtype,
        check=False,
    )


def unbound_conf(
    trust_anchor: str, *, name: str = "unbound", port: int = UNBOUND_PORT, test_caching: bool = True
) -> Path:
    """Write ``<name>/unbound.conf``: validating, trusting only the test network's top zone.

    It never recurses off loopback: every name outside the top zone is REFUSED locally (and
    ``.`` is forwarded to the test Knot, which refuses it too, so nothing reaches the roots).

    ``test_caching`` keeps negative answers one second, so a test that adds a record it has
    just found missing sees it at once; off, the resolver caches as in production (what the
    benchmarks measure against).
    """
    base = dns_dir() / name
    base.mkdir(parents=True, exist_ok=True)
    conf = base / "unbound.conf"
    negative_ttl = 1 if test_caching else 3600
    conf.write_text(f"""server:
    interface: {HOST}@{port}
    port: {port}
    do-daemonize: yes
    pidfile: "{base}/unbound.pid"
    username: ""
    chroot: ""
    directory: "{base}"
    logfile: "{base}/unbound.log"
    use-syslog: no
    verbosity: 1
    do-not-query-localhost: no
    local-zone: "." refuse
    local-zone: "{TOP_ZONE}" transparent
    access-control: 127.0.0.0/8 allow
    module-config: "validator iterator"
    trust-anchor: "{trust_anchor}"
    val-log-level: 2
    ede: yes
    cache-max-negative-ttl: {negative_ttl}
    msg-cache-size: 64m
    rrset-cache-size: 128m
    key-cache-size: 16m
    aggressive-nsec: no
    num-threads: 2
    so-reuseport: yes
    outgoing-range: 4096
    num-queries-per-thread: 2048
forward-zone:
    name: "{TOP_ZONE}"
    forward-addr: {HOST}@{KNOT_PORT}
forward-zone:
    name: "."
    forward-addr: {HOST}@{KNOT_PORT}
remote-control:
    control-enable: no
""")
    return conf


def top_zone_trust_anchor() -> str:
    """The DS record of the signed top zone, as Unbound's ``trust-anchor`` wants it."""
    ds_lines = run("keymgr", "-C", knot_confdb(), TOP_ZONE, "ds").splitlines()
    ds = next(line for line in ds_lines if " DS " in line and " 13 2 " in line)
    return " ".join(ds.split())


def dns_up() -> None:
    """Start Knot with the signed top zone, then Unbound anchored on its DS."""
    confdb = knot_confdb()
    pidfile = dns_dir() / "knot" / "knotd.pid"
    if claim_port("Knot", KNOT_PORT, pidfile):
        run("knotd", "-C", confdb, "-d")
    for zone in (TOP_ZONE, *SIGNED_CHILD_ZONES):
        wait_until(f"Knot (signed {zone})", lambda z=zone: " 13 " in dig(z, "DNSKEY", KNOT_PORT))
    for zone in SIGNED_CHILD_ZONES:
        delegate_signed_child(zone)
    for zone in UNSIGNED_CHILD_ZONES:
        delegate_unsigned_child(zone)
    trust_anchor = top_zone_trust_anchor()
    log(f"Knot ready on {HOST}:{KNOT_PORT}; trust anchor {trust_anchor}")
    unbound_start(trust_anchor)


def unbound_start(trust_anchor: str | None = None) -> None:
    """Start Unbound anchored on the top zone's DS and wait until it validates."""
    unbound = unbound_conf(trust_anchor or top_zone_trust_anchor())
    if claim_port("Unbound", UNBOUND_PORT, dns_dir() / "unbound" / "unbound.pid"):
        run("unbound", "-c", unbound)
    wait_until(
        "Unbound (validating)",
        lambda: (
            "ad"
            in run(
                "kdig",
                f"@{HOST}",
                "-p",
                str(UNBOUND_PORT),
                "+dnssec",
                "+time=1",
                "+retry=0",
                TOP_ZONE,
                "SOA",
                check=False,
            )
            .split("Flags:")[-1]
            .split(";")[0]
        ),
    )
    log(f"Unbound ready on {HOST}:{UNBOUND_PORT}")


def unbound_stop() -> None:
    """Stop Unbound (tests: the validating resolver is down)."""
    stop_pid("Unbound", dns_dir() / "unbound" / "unbound.pid")


def knot_stop() -> None:
    """Stop Knot (tests: a DNS server that is down)."""
    stop_pid("Knot", dns_dir() / "knot" / "knotd.pid")


def knot_start() -> None:
    """Start Knot again from its configuration database and wait until it answers."""
    run("knotd", "-C", knot_confdb(), "-d")
    wait_until("Knot", lambda: " 13 " in dig(TOP_ZONE, "DNSKEY", KNOT_PORT))


def knot_restart() -> None:
    """Stop Knot and start it again (tests: nothing published may be lost)."""
    knot_stop()
    knot_start()


def knot_signal(signum: int) -> None:
    """Send a signal to Knot (tests: SIGSTOP makes a server that accepts and never answers)."""
    pid = read_pid(dns_dir() / "knot" / "knotd.pid")
    if pid is None:
        raise SystemExit("stack: Knot is not running")
    os.kill(pid, signum)


def dns_down() -> None:
    """Stop Unbound and Knot if they run."""
    stop_pid("Unbound", dns_dir() / "unbound" / "unbound.pid")
    stop_pid("Knot", dns_dir() / "knot" / "knotd.pid")


# --- the service's own processes: gunicorn, Celery workers, beat -----------------------------


def app_dir() -> Path:
    """Pidfiles, logs, the beat schedule and the secret key of the service's processes."""
    return STACK / "app"


def app_secret_key() -> str:
    """The service's SECRET_KEY for this stack, made once and kept (mode 0600)."""
    key_file = app_dir() / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48) + "\n")
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def app_address() -> tuple[str, int]:
    """Where gunicorn listens (``DANE_ADMIN_ADDR``, loopback by default)."""
    host, _, port = os.environ.get("DANE_ADMIN_ADDR", f"{HOST}:8000").rpartition(":")
    return host, int(port)


def app_env() -> dict[str, str]:
    """The environment of the service's processes: stack.env, a kept SECRET_KEY, DEBUG off;
    the caller's environment wins."""
    stack_env = dict(line.split("=", 1) for line in env_lines())
    defaults = {**stack_env, "SECRET_KEY": app_secret_key(), "DEBUG": "0"}
    host, port = app_address()
    return {**defaults, **os.environ, "DANE_ADMIN_ADDR": f"{host}:{port}"}


def venv_tool(name: str) -> Path:
    """A program of the project's virtual environment (deploy/setup makes it)."""
    tool = ROOT / ".venv" / "bin" / name
    if not tool.exists():
        raise SystemExit(f"stack: {tool} is missing: run deploy/setup first")
    return tool


#: The service uses neither mingle (a start-up exchange of revoked task ids and clocks: it
#: revokes nothing by id, its tasks expire) nor gossip (every worker following the others'
#: events); without them a worker is ready a second sooner and sends less to Redis.
WORKER_WITHOUT = ("--without-mingle", "--without-gossip")


def app_processes(workers: int) -> dict[str, list[str]]:
    """The service's processes by name, with their command lines."""
    concurrency = os.environ.get("DANE_WORKER_CONCURRENCY", "1")
    celery = str(venv_tool("celery"))
    processes = {
        "web": [
            str(venv_tool("gunicorn")),
            "-c",
            str(ROOT / "deploy" / "gunicorn.conf.py"),
            "dane_admin.wsgi",
        ],
        "beat": [
            celery,
            "-A",
            "dane_admin",
            "beat",
            "--loglevel=INFO",
            "--pidfile=",
            "--schedule",
            str(app_dir() / "beat-schedule"),
        ],
    }
    for number in range(1, workers + 1):
        processes[f"worker-{number}"] = [
            celery,
            "-A",
            "dane_admin",
            "worker",
            "--loglevel=INFO",
            f"--concurrency={concurrency}",
            f"--hostname=stack-{number}@%h",
            *WORKER_WITHOUT,
        ]
    return processes


def app_pidfiles() -> dict[str, Path]:
    """The pidfiles of the service's processes that ``up`` started (running or not)."""
    return {path.stem: path for path in sorted(app_dir().glob("*.pid"))}


def start_process(name: str, command: list[str], env: dict[str, str]) -> int:
    """Start ``command`` in a session of its own, logging to ``<name>.log``; its pidfile."""
    pidfile = app_dir() / f"{name}.pid"
    if read_pid(pidfile) is not None:
        return int(pidfile.read_text())
    with (app_dir() / f"{name}.log").open("ab") as logfile:
        process = subprocess.Popen(  # noqa: S603
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=logfile,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a worker's children go with it
        )
    pidfile.write_text(f"{process.pid}\n")
    return process.pid


def http_ready(host: str, port: int) -> bool:
    """True when ``/readyz`` answers 200 (the database and the broker answer the service)."""
    try:
        with socket.create_connection((host, port), timeout=2) as sock:
            sock.sendall(f"GET /readyz HTTP/1.0\r\nHost: {host}:{port}\r\n\r\n".encode())
            return sock.recv(64).split(b"\r\n", 1)[0].split()[1:2] == [b"200"]
    except (OSError, IndexError):
        return False


def worker_ready(name: str) -> bool:
    """True when the Celery worker's log says it is ready (it consumes its queues)."""
    log_file = app_dir() / f"{name}.log"
    return log_file.exists() and b" ready." in log_file.read_bytes()


def app_up(workers: int) -> None:
    """Migrate, collect the static files, start gunicorn, the workers and beat; wait until
    ``/readyz`` is ok and every worker is ready."""
    app_dir().mkdir(parents=True, exist_ok=True)
    env = app_env()
    python = str(venv_tool("python"))
    manage = str(ROOT / "manage.py")
    for command in (
        ["migrate", "--no-input", "-v", "0"],
        ["collectstatic", "--no-input", "-v", "0"],
    ):
        result = subprocess.run(  # noqa: S603
            [python, manage, *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if result.returncode != 0:
            raise SystemExit(
                f"stack: manage.py {command[0]} failed:\n{result.stdout}{result.stderr}"
            )
    host, port = app_address()
    if read_pid(app_dir() / "web.pid") is None and port_open(port):
        raise SystemExit(
            f"stack: {host}:{port} (for the web server) is taken by another process; stop it "
            "or choose another DANE_ADMIN_ADDR"
        )
    for stale in app_pidfiles().values():
        if read_pid(stale) is None:
            stale.unlink()
    for name, command in app_processes(workers).items():
        if name.startswith("worker-") and read_pid(app_dir() / f"{name}.pid") is None:
            (app_dir() / f"{name}.log").unlink(missing_ok=True)  # "ready" is read from it
        start_process(name, command, env)

    def all_ready() -> bool:
        for name, pidfile in app_pidfiles().items():
            if read_pid(pidfile) is None:
                tail = (app_dir() / f"{name}.log").read_text(errors="replace")[-2000:]
                raise SystemExit(f"stack: {name} exited at start:\n{tail}")
        names = [name for name in app_pidfiles() if name.startswith("worker-")]
        return http_ready(host, port) and all(worker_ready(name) for name in names)

    wait_until("the service (gunicorn, workers, beat)", all_ready, timeout=180)
    log(f"service ready on http://{host}:{port}/ with {workers} worker(s) and beat")


def stop_group(name: str, pidfile: Path) -> None:
    """SIGTERM the process group started from ``pidfile`` and wait for its leader to end
    (a warm shutdown lets a worker finish its task); SIGKILL the group after 30 s."""
    pid = read_pid(pidfile)
    if pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and read_pid(pidfile) == pid:
            time.sleep(0.1)
        if read_pid(pidfile) == pid:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        log(f"{name} stopped")
    pidfile.unlink(missing_ok=True)


def app_down() -> None:
    """Stop beat first (no new work), then the workers and the web server."""
    pidfiles = app_pidfiles()
    for name in sorted(pidfiles, key=lambda name: (name != "beat", name)):
        stop_group(name, pidfiles[name])


def server_pids() -> dict[str, int | None]:
    """The pid of every server ``up`` starts (None: stopped), component by component."""
    import stack_powerdns

    return {
        "postgres": read_pid(pg_dir() / "postmaster.pid"),
        "redis": read_pid(STACK / "redis" / "redis.pid"),
        "knot": read_pid(dns_dir() / "knot" / "knotd.pid"),
        "unbound": read_pid(dns_dir() / "unbound" / "unbound.pid"),
        "powerdns": stack_powerdns.server_pid(),
    }


def status_lines() -> list[str]:
    """One line per server and service process (gunicorn, each worker, beat, when ``up
    --app`` started them): running (with its pid) or stopped."""
    pids = {
        **server_pids(),
        **{f"app {name}": read_pid(pidfile) for name, pidfile in app_pidfiles().items()},
    }
    return [
        f"{name:16} {'stopped' if pid is None else f'running (pid {pid})'}"
        for name, pid in pids.items()
    ]


# --- entry points -----------------------------------------------------------------------------


def env_lines() -> list[str]:
    """The variables that point the service, tests and benchmarks at this stack."""
    return [
        f"DATABASE_URL=postgres://dane@{HOST}:{PG_PORT}/dane_admin",
        f"CELERY_BROKER_URL=redis://{HOST}:{REDIS_PORT}/0",
        f"DANE_RESOLVER={HOST}:{UNBOUND_PORT}",
        f"DANE_DNS_SERVERS={HOST}:{KNOT_PORT}",
        f"DANE_TSIG_KEY_FILE={dns_dir() / 'tsig.key'}",
        f"DANE_TESTNET_TOP_ZONE={TOP_ZONE}",
        f"DANE_MX_SUFFIX={MX_SUFFIX.rstrip('.')}",
        f"DANE_LEGACY_MX_SUFFIXES={LEGACY_MX_SUFFIX.rstrip('.')}",
        "DANE_DNS_BACKEND=rfc2136",
        "DANE_MX_PARENT_MANAGED=1",
        # Plain http on loopback: no redirect to HTTPS and no HSTS. The cookies stay Secure as
        # in production (browsers keep Secure cookies for loopback addresses).
        "SECURE_SSL_REDIRECT=0",
        "SECURE_HSTS_SECONDS=0",
        # The MX hosts' A/AAAA records; loopback, so an inbound probe never leaves the machine.
        "DANE_INBOUND_ADDRESSES=127.0.0.25,::1",
        f"DANE_KNOT_CONTROL_SOCKET={knot_socket()}",
        # The stack's own ports: a test that restarts one of its servers restarts it here.
        f"DANE_STACK_PG_PORT={PG_PORT}",
        f"DANE_STACK_REDIS_PORT={REDIS_PORT}",
        f"DANE_STACK_KNOT_PORT={KNOT_PORT}",
        f"DANE_STACK_UNBOUND_PORT={UNBOUND_PORT}",
        *powerdns_env_lines(),
        # prometheus-client's multiprocess mode: the web servers and workers started with this
        # environment write their event metrics here, and /metrics adds them up.
        f"PROMETHEUS_MULTIPROC_DIR={metrics_dir()}",
    ]


def metrics_dir() -> Path:
    """The directory of the processes' metric files (emptied by ``up``)."""
    return STACK / "prometheus"


def metrics_dir_up() -> None:
    """An empty metrics directory: files of processes of an earlier run would add up."""
    shutil.rmtree(metrics_dir(), ignore_errors=True)
    metrics_dir().mkdir(parents=True)


def powerdns_env_lines() -> list[str]:
    """Where the PowerDNS driver finds its server."""
    import stack_powerdns

    return stack_powerdns.env_lines()


def powerdns_up() -> None:
    """PowerDNS Authoritative with its HTTP API (deploy/stack_powerdns.py)."""
    import stack_powerdns

    stack_powerdns.up()


def powerdns_down() -> None:
    """Stop PowerDNS if it runs."""
    import stack_powerdns

    stack_powerdns.down()


UP = {"postgres": postgres_up, "redis": redis_up, "dns": dns_up, "powerdns": powerdns_up}
DOWN = {"postgres": postgres_down, "redis": redis_down, "dns": dns_down, "powerdns": powerdns_down}


def main(argv: list[str]) -> int:
    """Dispatch ``up``, ``down``, ``status`` and ``env``."""
    if not argv or argv[0] not in ("up", "down", "status", "env"):
        print(__doc__, file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    with_app = "--app" in rest or APP in rest
    workers = 2
    if "--workers" in rest:
        index = rest.index("--workers")
        try:
            workers = int(rest[index + 1])
        except (IndexError, ValueError):
            print("stack: --workers takes a number", file=sys.stderr)
            return 2
        del rest[index : index + 2]
    names = [name for name in rest if name not in ("--app", APP)]
    unknown = set(names) - set(COMPONENTS)
    if unknown or workers < 0:
        print(f"stack: unknown component(s) or option(s) {sorted(unknown)}", file=sys.stderr)
        return 2
    # "app" alone: the service's processes only (the servers already run, or stay up).
    servers = names or ([] if APP in rest else list(COMPONENTS))
    STACK.mkdir(parents=True, exist_ok=True)
    dns_dir().mkdir(parents=True, exist_ok=True)
    if command == "env":
        print("\n".join(env_lines()))
    elif command == "status":
        print("\n".join(status_lines()))
    elif command == "up":
        for name in servers:
            UP[name]()
        metrics_dir_up()
        (STACK / "stack.env").write_text("\n".join(env_lines()) + "\n")
        if with_app:
            app_up(workers)
    else:
        if with_app or not names:
            app_down()  # the service's processes before the servers they use
        for name in reversed(servers):
            DOWN[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Start and stop PowerDNS Authoritative as the project's own process on loopback.

    deploy/stack_powerdns.py up | down | env

PowerDNS (Debian ``pdns-server pdns-backend-sqlite3``) serves on HOST:DANE_STACK_PDNS_PORT
(5355) with its HTTP API on HOST:DANE_STACK_PDNS_API_PORT (8053), keeping zones and DNSSEC
keys in SQLite under ``var/stack/powerdns/`` and signing answers live. The API key is created
once and kept in ``api.key`` (mode 0600; ``pdns.conf``, which repeats it, is 0600 too).
Standard library only: it runs before the venv exists.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import sqlite3
import struct
import sys
import time
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from stack import HOST, STACK, log, port_open, read_pid, run, wait_until

PDNS_PORT = int(os.environ.get("DANE_STACK_PDNS_PORT", "5355"))
PDNS_API_PORT = int(os.environ.get("DANE_STACK_PDNS_API_PORT", "8053"))
SCHEMA = Path("/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql")
PACKAGES = "pdns-server pdns-backend-sqlite3"


def pdns_dir() -> Path:
    """Where PowerDNS keeps its configuration, database, key, pid and log."""
    return STACK / "powerdns"


def pidfile() -> Path:
    """The pid of the server this script started."""
    return pdns_dir() / "pdns_server.pid"


def key_file() -> Path:
    """The file holding the API key (mode 0600)."""
    return pdns_dir() / "api.key"


def api_url() -> str:
    """The API base for the server's only instance, ``localhost``."""
    return f"http://{HOST}:{PDNS_API_PORT}/api/v1/servers/localhost"


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, readable by its owner only (never briefly by others)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(text)


def api_key() -> str:
    """The API key, created once (a random 256-bit secret) and kept in ``key_file()``."""
    if not key_file().exists():
        write_private(key_file(), secrets.token_urlsafe(32) + "\n")
    return key_file().read_text().strip()


def database() -> Path:
    """The SQLite database, created once from the schema Debian ships."""
    db = pdns_dir() / "pdns.sqlite3"
    if not db.exists():
        partial = db.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        with closing(sqlite3.connect(partial)) as connection:
            connection.executescript(SCHEMA.read_text())
        partial.chmod(0o600)  # it holds the zones' private DNSSEC keys
        partial.rename(db)
        log(f"PowerDNS database created in {db}")
    return db


def write_conf() -> None:
    """Write ``pdns.conf``: loopback only, live DNSSEC signing, the API, no phoning home."""
    base = pdns_dir()
    write_private(
        base / "pdns.conf",
        f"""launch=gsqlite3
gsqlite3-database={database()}
gsqlite3-dnssec=yes
local-address={HOST}
local-port={PDNS_PORT}
api=yes
api-key={api_key()}
webserver=yes
webserver-address={HOST}
webserver-port={PDNS_API_PORT}
webserver-allow-from={HOST}
socket-dir={base}
write-pid=no
guardian=no
daemon=no
disable-syslog=yes
default-soa-content=ns.test. hostmaster.@ 0 10800 3600 604800 60
security-poll-suffix=
""",
    )


def server_pid() -> int | None:
    """The pid of the running server; an exited one (a zombie: PID 1 here does not reap
    orphans) or a pid reused by another program counts as not running."""
    pid = read_pid(pidfile())
    if pid is None:
        return None
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        name = Path(f"/proc/{pid}/comm").read_text().strip()
    except (OSError, IndexError):
        return None
    return pid if state not in ("Z", "X") and name == "pdns_server" else None


def api_answers() -> bool:
    """True when the API answers 200 to an authenticated request."""
    request = urllib.request.Request(api_url(), headers={"X-API-Key": api_key()})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=1) as response:  # noqa: S310
            return bool(response.status == 200)
    except (OSError, ValueError):
        return False


def dns_answers() -> bool:
    """True when the DNS port answers a query (root SOA; any rcode will do) over UDP."""
    query_id = secrets.randbits(16)
    query = struct.pack("!6H", query_id, 0, 1, 0, 0, 0) + b"\x00" + struct.pack("!2H", 6, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.5)
        try:
            sock.sendto(query, (HOST, PDNS_PORT))
            reply = sock.recv(512)
        except OSError:
            return False
    return reply[:2] == query[:2]


def ready() -> bool:
    """The server runs and both its API and its DNS port answer (fails fast if it exited)."""
    if server_pid() is None:
        lines = (pdns_dir() / "pdns.log").read_text(errors="replace").splitlines()[-15:]
        raise SystemExit("stack: PowerDNS exited:\n" + "\n".join(lines))
    return api_answers() and dns_answers()


def up() -> None:
    """Start PowerDNS (unless it runs) and wait until its API and DNS port answer."""
    if shutil.which("pdns_server") is None or not SCHEMA.exists():
        raise SystemExit(f"stack: PowerDNS is not installed (apt-get install {PACKAGES})")
    pdns_dir().mkdir(parents=True, exist_ok=True)
    pdns_dir().chmod(0o700)
    write_conf()
    if server_pid() is None:
        for port in (PDNS_PORT, PDNS_API_PORT):
            if port_open(port):
                raise SystemExit(
                    f"stack: {HOST}:{port} is taken by another program; choose other ports "
                    "with DANE_STACK_PDNS_PORT / DANE_STACK_PDNS_API_PORT"
                )
        pid = run(
            "sh",
            "-c",
            'umask 077; pdns_server --config-dir="$1" >>"$1/pdns.log" 2>&1 </dev/null & echo $!',
            "sh",
            pdns_dir(),
        ).strip()
        pidfile().write_text(f"{pid}\n")
    wait_until("PowerDNS", ready)
    log(f"PowerDNS ready on {HOST}:{PDNS_PORT}, API on {HOST}:{PDNS_API_PORT}")


def down() -> None:
    """Stop PowerDNS if it runs: SIGTERM, then SIGKILL after 20 s."""
    pid = server_pid()
    if pid is not None:
        for sig, grace in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 5.0)):
            os.kill(pid, sig)
            deadline = time.monotonic() + grace
            while server_pid() == pid and time.monotonic() < deadline:
                time.sleep(0.1)
            if server_pid() != pid:
                break
        log("PowerDNS stopped")
    pidfile().unlink(missing_ok=True)


def env_lines() -> list[str]:
    """The variables that point the ``powerdns`` driver, tests and benchmarks at this server."""
    return [
        f"DANE_POWERDNS_API_URL={api_url()}",
        f"DANE_POWERDNS_API_KEY_FILE={key_file()}",
        f"DANE_POWERDNS_DNS={HOST}:{PDNS_PORT}",
        f"DANE_STACK_PDNS_PORT={PDNS_PORT}",
        f"DANE_STACK_PDNS_API_PORT={PDNS_API_PORT}",
    ]


def main(argv: list[str]) -> int:
    """Dispatch ``up``, ``down`` and ``env``."""
    commands = {"up": up, "down": down, "env": lambda: print("\n".join(env_lines()))}
    if len(argv) != 1 or argv[0] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    commands[argv[0]]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

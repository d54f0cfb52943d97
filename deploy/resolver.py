#!/usr/bin/env python3
"""A validating resolver for the embedded default, as the project's own process.

    deploy/resolver.py up PORT      Unbound on 127.0.0.1:PORT, recursing from the root with
                                    the IANA root trust anchor (Debian's dns-root-data)
    deploy/resolver.py down

``deploy/run`` starts it when ``DANE_RESOLVER`` is not set, so ownership verification and the
status checks work on a fresh machine; the real stack runs its own (``deploy/stack.py``).
Data under ``var/resolver/`` (``DANE_RESOLVER_DIR``), loopback only. Standard library only.
``DANE_RESOLVER_OFFLINE=1`` starts it with every upstream address forbidden (its own
configuration otherwise): the test suite checks it that way, never sending a packet off
loopback (Unbound would otherwise probe the root for its trust anchor at start-up).
"""

from __future__ import annotations

import os
import shutil
import socket
import struct
import sys
from pathlib import Path

from stack import HOST, ROOT, log, read_pid, run, stop_pid, wait_until

BASE = Path(os.environ.get("DANE_RESOLVER_DIR", ROOT / "var" / "resolver"))
PIDFILE = BASE / "unbound.pid"
ROOT_KEY = Path("/usr/share/dns/root.key")  # package dns-root-data (a dependency of unbound)
OFFLINE = os.environ.get("DANE_RESOLVER_OFFLINE", "") == "1"


def conf(port: int) -> Path:
    """Write ``unbound.conf``: recursive, validating from the root, loopback only."""
    BASE.mkdir(parents=True, exist_ok=True)
    anchor = BASE / "root.key"
    if not anchor.exists():  # Unbound keeps it current itself (RFC 5011)
        shutil.copyfile(ROOT_KEY, anchor)
    path = BASE / "unbound.conf"
    offline = (
        "    do-not-query-address: 0.0.0.0/0\n    do-not-query-address: ::/0\n" if OFFLINE else ""
    )
    path.write_text(f"""server:
    interface: {HOST}@{port}
    port: {port}
    do-daemonize: yes
    pidfile: "{PIDFILE}"
    username: ""
    chroot: ""
    directory: "{BASE}"
    logfile: "{BASE}/unbound.log"
    use-syslog: no
    access-control: 127.0.0.0/8 allow
    module-config: "validator iterator"
    auto-trust-anchor-file: "{anchor}"
    ede: yes
    val-log-level: 1
{offline}remote-control:
    control-enable: no
""")
    return path


def answers(port: int) -> bool:
    """True when the resolver answers ``localhost. A`` (a built-in local zone) on ``port``."""
    query = (
        struct.pack(">HHHHHH", 0x2A2A, 0x0100, 1, 0, 0, 0) + b"\x09localhost\x00\x00\x01\x00\x01"
    )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(1)
        try:
            sock.sendto(query, (HOST, port))
            reply = sock.recv(512)
        except OSError:
            return False
    return reply[:2] == query[:2] and reply[3] & 0x0F == 0  # our id, NOERROR


def up(port: int) -> None:
    """Start the resolver unless it runs, and wait until it answers."""
    if read_pid(PIDFILE) is None:
        run("unbound", "-c", conf(port))
    wait_until("the resolver", lambda: answers(port), timeout=30)
    log(f"resolver ready on {HOST}:{port} (root trust anchor)")


def main(argv: list[str]) -> int:
    """``up PORT`` or ``down``."""
    if argv[:1] == ["up"] and len(argv) == 2 and argv[1].isdigit():
        up(int(argv[1]))
    elif argv == ["down"]:
        stop_pid("resolver", PIDFILE)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

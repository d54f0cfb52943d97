"""The machine's CPU time during a measured phase, by kind of process (benchmarks only).

A benchmark on a shared machine whose cores are all busy measures how the CPU is shared as
much as the code: the CPU each request costs, summed over every process that served it (the
web server, PostgreSQL, Redis, the load generator), is steadier than requests per second and
says how many requests per second the machine's cores can carry at most.

A process's time is its own plus that of its children it has reaped (``/proc/<pid>/stat``
fields 14-17), so a PostgreSQL backend that ended during the phase is still counted, in the
postmaster. The load generator is a child of the benchmark: it is counted from the
benchmark's own children's usage (``RUSAGE_CHILDREN``), the benchmark's own time apart.
"""

from __future__ import annotations

import os
import resource
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")

#: Kinds of processes, by a word of their command line (the first that matches).
KINDS = (
    ("web", "gunicorn"),
    ("worker", "celery"),
    ("database", "postgres"),
    ("broker", "redis-server"),
    ("dns", "knotd"),
    ("dns", "unbound"),
    ("dns", "pdns_server"),
)


def _kind(command: str) -> str:
    return next((kind for kind, word in KINDS if word in command), "other")


def _process_seconds() -> defaultdict[str, float]:
    """CPU seconds of every live process but this one, by kind (children reaped included)."""
    seconds: defaultdict[str, float] = defaultdict(float)
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # it ended meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        ticks = sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
        seconds[_kind(command or stat)] += ticks / TICKS_PER_SECOND
    return seconds


def _busy_seconds() -> tuple[float, float]:
    """The machine's busy and total CPU seconds since boot (``/proc/stat``)."""
    values = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values) - idle) / TICKS_PER_SECOND, sum(values) / TICKS_PER_SECOND


@dataclass
class CpuUse:
    """CPU seconds spent during a phase: by kind, by the load generator, and in all."""

    by_kind: dict[str, float] = field(default_factory=dict)
    busy: float = 0.0  # the machine's busy CPU seconds (every process, the kernel's too)
    elapsed: float = 0.0  # CPU seconds the machine had (wall time x cores)

    def milliseconds_per(self, requests: int) -> dict[str, float]:
        """CPU milliseconds per request by kind, with ``all`` (the machine's busy time)."""
        if not requests:
            return {}
        shares = {kind: 1000 * value / requests for kind, value in self.by_kind.items()}
        return {**shares, "all": 1000 * self.busy / requests}

    @property
    def busy_share(self) -> float:
        """How busy the cores were, 0 to 1."""
        return self.busy / self.elapsed if self.elapsed else 0.0


@contextmanager
def measured() -> Iterator[CpuUse]:
    """Measure the CPU the machine spends inside the ``with`` block; the figures are filled
    in when it ends."""
    use = CpuUse()
    before = _process_seconds()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy_before, total_before = _busy_seconds()
    yield use
    busy_after, total_after = _busy_seconds()
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    after = _process_seconds()
    for kind in after.keys() | before.keys():
        spent = after[kind] - before[kind]
        if spent > 0:
            use.by_kind[kind] = spent
    use.by_kind["load generator"] = (children_after.ru_utime + children_after.ru_stime) - (
        children_before.ru_utime + children_before.ru_stime
    )
    use.busy = busy_after - busy_before
    use.elapsed = total_after - total_before

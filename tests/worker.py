"""A real Celery worker (with its beat sweep) as a separate process on the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from dane_admin.celery import app

ROOT = Path(__file__).resolve().parent.parent

# Short timers so that recovery paths finish within a test.
WORKER_SETTINGS = {
    "DANE_OPERATION_LEASE_SECONDS": "4",
    "DANE_OPERATION_RETRY_BASE_SECONDS": "0.5",
    "DANE_OPERATION_MAX_ATTEMPTS": "10",
    "DANE_VISIBILITY_TIMEOUT": "10",
    # Its deliveries reach the tests' webhook receivers on loopback, as the tests' own do.
    "NOTIFY_WEBHOOK_ALLOW_HTTP": "1",
    "NOTIFY_WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "1",
}


class WorkerProcess:
    """``celery worker -B --pool=solo`` on the test database (every queue: celery, checks,
    notifications); can be killed and restarted."""

    def __init__(
        self, database_url: str, log_dir: Path, overrides: dict[str, str] | None = None
    ) -> None:
        self.database_url = database_url
        self.log_dir = log_dir
        self.overrides = overrides or {}  # settings beyond WORKER_SETTINGS
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        """Start a worker and wait until it answers a ping."""
        self.starts += 1
        env = {
            **os.environ,
            **WORKER_SETTINGS,
            **self.overrides,
            "DATABASE_URL": self.database_url,
        }
        log = (self.log_dir / f"worker-{self.starts}.log").open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "dane_admin",
                "worker",
                "-B",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-mingle",  # as deploy/stack.py's workers
                "--without-gossip",
                f"--hostname=test-{os.getpid()}-{self.starts}@%h",
                "--schedule",
                str(self.log_dir / "beat-schedule"),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the embedded beat goes with it
        )
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=0.5, destination=[self.hostname]):
            assert self.process.poll() is None, "the worker exited at start"
            assert time.monotonic() < deadline, "the worker did not answer a ping"

    @property
    def hostname(self) -> str:
        """The node name the current worker answers to."""
        return f"test-{os.getpid()}-{self.starts}@{os.uname().nodename}"

    def wait_until_idle(self, timeout: float = 30.0) -> None:
        """Wait until the worker runs no task: it answers ``inspect active`` with none (a solo
        worker cannot answer while a task runs). A test whose task may still be inside a
        transaction when the test ends calls it: the flush's TRUNCATE of every table and that
        transaction could deadlock."""
        deadline = time.monotonic() + timeout
        while True:
            inspector = app.control.inspect(destination=[self.hostname], timeout=0.5)
            replies = inspector.active() or {}
            if replies.get(self.hostname) == []:
                return
            assert time.monotonic() < deadline, f"the worker is still busy: {replies}"
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the worker and its beat: no clean-up, no acknowledgement of the task."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Stop the worker if it runs."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

"""deploy/stack.py owns its servers: a port held by another process is refused, not adopted."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_port_taken_by_another_process_is_refused(tmp_path: Path) -> None:
    with socket.socket() as stranger:  # e.g. a Redis of another checkout
        stranger.bind(("127.0.0.1", 0))
        stranger.listen()
        port = stranger.getsockname()[1]
        env = {**os.environ, "DANE_STACK_DIR": str(tmp_path), "DANE_STACK_REDIS_PORT": str(port)}
        result = subprocess.run(
            [sys.executable, str(ROOT / "deploy" / "stack.py"), "up", "redis"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode != 0
    assert f"127.0.0.1:{port} (for Redis) is taken by another process" in result.stderr
    assert not (tmp_path / "redis" / "redis.pid").exists()

"""The README's run command: the service on SQLite with in-process tasks, and its settings."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def embedded_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(DANE_VAR_DIR=str(tmp_path / "var"), **extra)
    return env


def test_run_command_serves_the_demo_tenant_on_sqlite(tmp_path: Path) -> None:
    port = free_port()
    env = embedded_env(tmp_path, DANE_ADMIN_ADDR=f"127.0.0.1:{port}")
    env.pop("SECRET_KEY", None)
    env.pop("DEBUG", None)
    process = subprocess.Popen(
        [str(ROOT / "deploy" / "run")], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line.strip())
            if lines[-2:-1] == ["API key (shown once):"]:
                break
        raw_key = lines[-1]
        assert f"http://127.0.0.1:{port}" in "\n".join(lines)
        deadline = time.monotonic() + 30
        while True:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/api/v1/domains/",
                    headers={"Authorization": f"Api-Key {raw_key}"},
                )
                with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
                    body = json.load(response)
                break
            except OSError:
                assert time.monotonic() < deadline, "the service did not start"
                time.sleep(0.2)
        assert [d["name"] for d in body["results"]] == ["demo.onprovider.test"]
        assert (tmp_path / "var" / "dane-admin.sqlite3").exists()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
            assert json.load(response)["checks"]["broker"].startswith("in-process")
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_secret_key_is_mandatory_outside_debug(tmp_path: Path) -> None:
    env = embedded_env(tmp_path, DEBUG="0")
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr

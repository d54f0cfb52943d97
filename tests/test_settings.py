"""Settings as an operator meets them: defaults that connect nowhere unconfigured, secure
values outside DEBUG, and start-up checks that name the setting at fault."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fresh_settings(expression: str, **env: str) -> str:
    """``repr`` of ``expression`` over the settings of a fresh process (the environment of this
    one, minus the DANE_INBOUND_* variables, plus ``env``)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("DANE_INBOUND")}
    code = (
        "import django; django.setup(); from django.conf import settings; "
        f"print(repr({expression}))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**base, "DJANGO_SETTINGS_MODULE": "dane_admin.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()


def test_no_default_names_an_address_off_the_machine() -> None:
    assert fresh_settings("settings.DANE_INBOUND_ADDRESSES") == "[]"

"""Settings as an operator meets them: defaults that connect nowhere unconfigured, secure
values outside DEBUG, and start-up checks that name the setting at fault."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from pytest_django.fixtures import Settings as SettingsWrapper

ROOT = Path(__file__).resolve().parent.parent


def fresh_settings(expression: str, *, unset: tuple[str, ...] = (), **env: str) -> str:
    """``repr`` of ``expression`` over the settings of a fresh process (the environment of this
    one, minus the DANE_INBOUND_* variables and ``unset``, plus ``env``)."""
    base = {
        k: v for k, v in os.environ.items() if not k.startswith("DANE_INBOUND") and k not in unset
    }
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


def check_messages(capsys: pytest.CaptureFixture[str]) -> str:
    """What ``manage.py check`` reports, failing or not."""
    try:
        call_command("check")
    except SystemCheckError as exc:
        return str(exc)
    return capsys.readouterr().err


@pytest.mark.parametrize(
    "setting", ["DANE_MTA_STS_CA_BUNDLE", "DANE_TSIG_KEY_FILE", "DANE_POWERDNS_API_KEY_FILE"]
)
def test_a_setting_naming_a_missing_file_fails_the_start_up_check(
    settings: SettingsWrapper, capsys: pytest.CaptureFixture[str], tmp_path: Path, setting: str
) -> None:
    missing = tmp_path / "nowhere.pem"
    setattr(settings, setting, str(missing))
    report = check_messages(capsys)
    assert "dane_admin.E001" in report
    assert f"{setting} names '{missing}', which cannot be read" in report


def test_an_inbound_certificate_that_is_a_directory_fails_the_check(
    settings: SettingsWrapper, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    settings.DANE_INBOUND_CERTS = [str(tmp_path)]
    assert f"DANE_INBOUND_CERTS names '{tmp_path}'" in check_messages(capsys)


def test_a_ca_bundle_without_certificates_fails_the_check(
    settings: SettingsWrapper, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle.pem"
    bundle.write_text("not a certificate\n")
    settings.DANE_MTA_STS_CA_BUNDLE = str(bundle)
    report = check_messages(capsys)
    assert "dane_admin.E002" in report
    assert "DANE_MTA_STS_CA_BUNDLE" in report


def test_a_backend_without_its_key_file_fails_the_check(
    settings: SettingsWrapper, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.DANE_DNS_BACKEND = "powerdns"
    settings.DANE_POWERDNS_API_KEY_FILE = ""
    assert "needs DANE_POWERDNS_API_KEY_FILE" in check_messages(capsys)


def test_the_test_stacks_settings_pass_the_check(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("check")  # raises SystemCheckError on any error
    assert "dane_admin.E" not in capsys.readouterr().err


SECURITY_VARIABLES = (
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_PROXY_SSL_HEADER",
)
SECURE_VALUES = (
    "(settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, settings.SECURE_SSL_REDIRECT,"
    " settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS)"
)


def test_outside_debug_the_https_settings_are_secure_by_default() -> None:
    values = fresh_settings(SECURE_VALUES, unset=SECURITY_VARIABLES, DEBUG="0")
    assert values == "(True, True, True, 31536000, True)"


def test_with_debug_the_https_settings_are_off_by_default() -> None:
    values = fresh_settings(SECURE_VALUES, unset=SECURITY_VARIABLES, DEBUG="1")
    assert values == "(False, False, False, 0, False)"


def test_the_https_settings_come_from_the_environment() -> None:
    expression = (
        "(settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS,"
        " settings.SECURE_PROXY_SSL_HEADER, settings.CSRF_TRUSTED_ORIGINS)"
    )
    values = fresh_settings(
        expression,
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="600",
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
        CSRF_TRUSTED_ORIGINS="https://admin.provider.test",
    )
    assert values == (
        "(False, 600, ('HTTP_X_FORWARDED_PROTO', 'https'), ['https://admin.provider.test'])"
    )


def example_environment(tmp_path: Path) -> dict[str, str]:
    """deploy/env.example as an environment, the files it names (under /etc/dane-admin/)
    placed in ``tmp_path``."""
    env: dict[str, str] = {}
    for line in (ROOT / "deploy" / "env.example").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, _, value = line.partition("=")
        value = value.split("  #", 1)[0].strip()
        paths = [Path(p) for p in value.split(",") if p.startswith("/etc/dane-admin/")]
        for path in paths:
            (tmp_path / path.name).write_text("example\n")
        env[name] = value.replace("/etc/dane-admin/", f"{tmp_path}/")
    return env


def test_check_deploy_passes_with_the_production_example(tmp_path: Path) -> None:
    env = {**os.environ, **example_environment(tmp_path)}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests only
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_names_each_insecure_setting(tmp_path: Path) -> None:
    env = {**os.environ, **example_environment(tmp_path)}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests only
    env.update(SESSION_COOKIE_SECURE="0", SECURE_SSL_REDIRECT="0", SECURE_HSTS_SECONDS="0")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012"):
        assert warning in result.stderr


def test_database_pool_replaces_kept_connections() -> None:
    kept = fresh_settings("settings.DATABASES['default']['CONN_MAX_AGE']", unset=("DATABASE_POOL",))
    assert kept == "60"
    pooled = (
        "(settings.DATABASES['default']['CONN_MAX_AGE'], "
        "__import__('django.db', fromlist=['connection']).connection.pool.max_size, "
        "__import__('django.db', fromlist=['connection']).connection.cursor().execute("
        "'SELECT 41 + 1').fetchone())"
    )
    assert fresh_settings(pooled, DATABASE_POOL="4") == "(0, 4, (42,))"

"""Knot DNS's control interface (``knotc`` over its UNIX socket): creating signed zones.

Used by the ``rfc2136`` driver when the server is Knot: RFC 2136 cannot create a zone, the
control socket can, and Knot keeps the change in its configuration database.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence

from dnsops.backends.base import PermanentDnsError, TransientDnsError


class KnotControl:
    """Runs ``knotc -s <socket>`` commands with a timeout."""

    def __init__(self, socket_path: str, timeout: float = 15.0) -> None:
        self.socket_path = socket_path
        self.timeout = timeout

    def run(self, *args: str, check: bool = True) -> str:
        """One knotc command; its output, or an error naming the command (never secrets)."""
        command = [
            shutil.which("knotc") or "/usr/sbin/knotc",
            "-s",
            self.socket_path,
            "-t",
            str(max(1, int(self.timeout))),
            *args,
        ]
        try:
            result = subprocess.run(  # noqa: S603 - fixed program, arguments are zone names
                command, capture_output=True, text=True, timeout=self.timeout + 5, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise TransientDnsError(f"knotc {args[0]} did not complete: {exc}") from exc
        output = (result.stdout + result.stderr).strip()
        if check and result.returncode != 0:
            if any(word in output.lower() for word in ("connection", "socket", "too many")):
                raise TransientDnsError(f"Knot's control socket is busy or down ({output}).")
            raise PermanentDnsError(f"knotc {' '.join(args[:2])} failed: {output}")
        return output

    def has_zone_config(self, zone: str) -> bool:
        """True when Knot's configuration already has ``zone``."""
        output = self.run("conf-read", "zone.domain")
        return f"zone.domain = {zone}" in output.splitlines()

    def create_zone(
        self,
        zone: str,
        *,
        policy: str | None,
        acls: Sequence[str],
        nameservers: Sequence[str],
        hostmaster: str,
    ) -> None:
        """Add ``zone`` and give it its SOA and NS (idempotent).

        With a ``policy`` Knot signs the zone automatically; without one it is served as is.
        """
        fqdn = zone + "."
        if not self.has_zone_config(fqdn):
            self.run("conf-begin")  # "too many transactions" (another writer): transient
            try:
                self.run("conf-set", f"zone[{fqdn}]")
                if policy is not None:
                    self.run("conf-set", f"zone[{fqdn}].dnssec-signing", "on")
                    self.run("conf-set", f"zone[{fqdn}].dnssec-policy", policy)
                for acl in acls:
                    self.run("conf-set", f"zone[{fqdn}].acl", acl)
                self.run("conf-commit")
            except (PermanentDnsError, TransientDnsError):
                self.run("conf-abort", check=False)
                raise
        apex = self.run("zone-read", fqdn, "@", "SOA", check=False)
        if any(line.startswith("[") and " SOA " in line for line in apex.splitlines()):
            return
        self.run("zone-abort", fqdn, check=False)
        self.run("zone-begin", fqdn)
        try:
            self.run(
                "zone-set",
                fqdn,
                "@",
                "3600",
                "SOA",
                f"{nameservers[0]}.",
                f"{hostmaster}.",
                "1",
                "3600",
                "600",
                "1209600",
                "300",
            )
            for nameserver in nameservers:
                self.run("zone-set", fqdn, "@", "3600", "NS", f"{nameserver}.")
            self.run("zone-commit", fqdn)
        except (PermanentDnsError, TransientDnsError):
            self.run("zone-abort", fqdn, check=False)
            raise

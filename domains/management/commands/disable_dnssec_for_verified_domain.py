"""Disable-DnssecForVerifiedDomain (``--tenant SLUG DOMAIN``)."""

from domains import commands
from domains.management.cmdlet import CmdletCommand


class Command(CmdletCommand):
    """Disable-DnssecForVerifiedDomain, printing the cmdlet-shaped JSON result."""

    help = "Disable-DnssecForVerifiedDomain for DOMAIN of tenant SLUG."
    command = staticmethod(commands.disable_dnssec)

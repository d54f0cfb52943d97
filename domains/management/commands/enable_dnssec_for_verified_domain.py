"""Enable-DnssecForVerifiedDomain (``--tenant SLUG DOMAIN``)."""

from domains import commands
from domains.management.cmdlet import CmdletCommand


class Command(CmdletCommand):
    """Enable-DnssecForVerifiedDomain, printing the cmdlet-shaped JSON result."""

    help = "Enable-DnssecForVerifiedDomain for DOMAIN of tenant SLUG."
    command = staticmethod(commands.enable_dnssec)

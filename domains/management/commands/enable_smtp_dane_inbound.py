"""``manage.py enable_smtp_dane_inbound --tenant SLUG DOMAIN``: Enable-SmtpDaneInbound."""

from domains import commands
from domains.management.cmdlet import CmdletCommand


class Command(CmdletCommand):
    """Enable-SmtpDaneInbound, printing the cmdlet-shaped JSON result."""

    help = "Enable-SmtpDaneInbound for DOMAIN of tenant SLUG."
    command = staticmethod(commands.enable_smtp_dane_inbound)

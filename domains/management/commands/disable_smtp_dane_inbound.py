"""``manage.py disable_smtp_dane_inbound --tenant SLUG DOMAIN``: Disable-SmtpDaneInbound."""

from domains import commands
from domains.management.cmdlet import CmdletCommand


class Command(CmdletCommand):
    """Disable-SmtpDaneInbound, printing the cmdlet-shaped JSON result."""

    help = "Disable-SmtpDaneInbound for DOMAIN of tenant SLUG."
    command = staticmethod(commands.disable_smtp_dane_inbound)

"""``manage.py inbound_key_status``: the inbound keys and their rollover, as JSON."""

import json
from typing import Any

from django.core.management.base import BaseCommand

from domains.rollover import key_status


class Command(BaseCommand):
    """Print every inbound key's state, its partitions' observations and the probe's view."""

    help = (
        "Print the inbound keys as JSON: state, expiry, per partition when the TLSA set was "
        "first seen on every server and when promotion becomes allowed, what each inbound "
        "address serves."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        """Print the status document."""
        self.stdout.write(json.dumps(key_status(), indent=2, ensure_ascii=False))

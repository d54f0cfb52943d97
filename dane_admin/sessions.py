"""The session store: Django's database sessions, refusing session keys it never issues.

Django checks only a cookie's length before querying the session table, so a NUL byte in
``sessionid`` reached PostgreSQL (which refuses NUL in text) and every authenticated URL was
a 500. A key that is not one Django could have issued (lowercase letters and digits) is
treated as no session.
"""

from __future__ import annotations

import re

from django.contrib.sessions.backends import db

ISSUED_SESSION_KEY = re.compile(r"[a-z0-9]{8,64}")


class SessionStore(db.SessionStore):
    """Database sessions whose keys must look like the ones Django generates."""

    def _validate_session_key(self, key: str | None) -> bool:
        """A key Django could have issued; anything else is no session."""
        return key is not None and ISSUED_SESSION_KEY.fullmatch(key) is not None

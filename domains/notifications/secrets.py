"""Webhook signing secrets: made once, shown once, kept encrypted at rest.

A secret has to sign every delivery, so it cannot be hashed like an API key. It is encrypted
with Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) under a key derived from
``SECRET_KEY`` by HKDF-SHA256 with a purpose label of its own; ``SECRET_KEY_FALLBACKS`` still
decrypt, so rotating ``SECRET_KEY`` with the old key as a fallback keeps webhooks working.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
_PURPOSE = b"dane-admin webhook signing secrets v1"


def new_secret() -> str:
    """A fresh signing secret (``whsec_`` + 43 URL-safe characters, 256 bits)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _fernet(key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(
        key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def _cipher() -> MultiFernet:
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return MultiFernet([_fernet(key) for key in keys])


def encrypt_secret(secret: str) -> str:
    """``secret`` encrypted for storage."""
    return _cipher().encrypt(secret.encode()).decode()


def decrypt_secret(token: str) -> str:
    """The stored secret in clear, to sign with (never logged, never shown again)."""
    return _cipher().decrypt(token.encode()).decode()

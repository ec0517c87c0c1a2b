"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) from the `cryptography` package.

`settings.FIELD_ENCRYPTION_KEYS` lists the keys newest first. `MultiFernet` encrypts
with the first and decrypts with any, so a key is rotated by putting a new one in
front, running `manage.py workspace_tokens_rotate`, and then dropping the old one.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretUnreadable(Exception):
    """A stored secret no configured key can decrypt (its key was dropped)."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS is empty: set at least one Fernet key to store API tokens."
        )
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"FIELD_ENCRYPTION_KEYS holds a key that is not a Fernet key: {exc}"
        )


def _current() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def is_configured() -> bool:
    try:
        _current()
    except ImproperlyConfigured:
        return False
    return True


def encrypt(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    try:
        return _current().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "The stored secret cannot be decrypted with the configured FIELD_ENCRYPTION_KEYS."
        )


def rotate(ciphertext: str) -> str:
    """The same secret encrypted with the newest key."""
    try:
        return _current().rotate(ciphertext.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "The stored secret cannot be decrypted with the configured FIELD_ENCRYPTION_KEYS."
        )

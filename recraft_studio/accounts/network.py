"""The address a request came from, for sign-in throttling and the audit trail."""

from __future__ import annotations

from django.conf import settings


def client_ip(request) -> str:
    """The client's address, trusting `X-Forwarded-For` only as far as our proxies.

    With `TRUSTED_PROXY_COUNT` = N, the N-th address from the right of
    X-Forwarded-For is the one the outermost proxy saw; everything left of it is
    whatever the client chose to send. With N = 0 the header is ignored.
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) >= count:
        return forwarded[-count]
    return remote


#: Usernames are at most 150 characters (Django's field); a longer one is cut there
#: before the throttle stores it, so no attempt can overflow its log's column.
USERNAME_MAX_LENGTH = 150


def attempted_username(request, credentials) -> str | None:
    """The username a sign-in attempt named, as django-axes counts it."""
    username = (credentials or {}).get("username")
    if username is None:
        return None
    return str(username)[:USERNAME_MAX_LENGTH]

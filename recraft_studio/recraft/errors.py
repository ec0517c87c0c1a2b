"""Typed errors for everything that can go wrong talking to the Recraft API.

Each carries the HTTP status and the API's own message, so a failed job can show a
person exactly what the API said. `transient` tells a worker whether retrying later
could succeed (rate limits, server errors, broken connections) or not (bad input,
a bad token, no credits left).
"""

from __future__ import annotations


class RecraftError(Exception):
    """The API refused or failed a call."""

    transient = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        field: str | None = None,
        body: object = None,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.field = field
        self.body = body

    def __str__(self) -> str:
        prefix = f"HTTP {self.status}: " if self.status else ""
        return f"{prefix}{self.message}"


class RecraftBadRequest(RecraftError):
    """HTTP 400: the API rejected the parameters or an upload."""


class RecraftAuthError(RecraftError):
    """HTTP 401/403: the API token is missing, unknown or revoked."""


class RecraftNotFound(RecraftError):
    """HTTP 404: e.g. a style id the API does not know."""


class RecraftInsufficientCredits(RecraftError):
    """HTTP 402: the token's balance cannot pay for the call."""


class RecraftRateLimited(RecraftError):
    """HTTP 429: too many images this minute; `retry_after` is in seconds."""

    transient = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class RecraftServerError(RecraftError):
    """HTTP 5xx: the API failed; the same call may succeed later."""

    transient = True


class RecraftUnavailable(RecraftError):
    """The API could not be reached, or the connection broke or timed out.

    `maybe_processed` is true when the request had left before the connection
    failed: the API may have made (and charged for) what it asked.
    """

    transient = True

    def __init__(self, message: str, *, maybe_processed: bool = False, **kwargs):
        super().__init__(message, **kwargs)
        self.maybe_processed = maybe_processed


class RecraftDownloadRefused(RecraftError):
    """An output's address or size is not one the studio fetches (another host, a
    redirect, too many bytes): retrying cannot help."""


class RecraftImageExpired(RecraftError):
    """An output's URL no longer serves the image (the API keeps them about 24 h)."""


def error_for_status(
    status: int, message: str, *, retry_after: float | None = None, **kwargs
) -> RecraftError:
    """The typed error for an HTTP status the API answered with."""
    if status == 429:
        return RecraftRateLimited(message, status=status, retry_after=retry_after, **kwargs)
    cls = {
        400: RecraftBadRequest,
        401: RecraftAuthError,
        402: RecraftInsufficientCredits,
        403: RecraftAuthError,
        404: RecraftNotFound,
        422: RecraftBadRequest,
    }.get(status)
    if cls is None:
        cls = RecraftServerError if status >= 500 else RecraftError
    return cls(message, status=status, **kwargs)

"""Which Recraft account a workspace's calls are made on, and the clients that make them.

The API's rate limit and balance belong to the account (the user behind a token),
not to the token: two workspaces with two tokens of one account share 100 images a
minute. So the limiter is keyed by the account id `/users/me` reports, cached in
Redis; it is looked up by the scheduler and the workers, never while a person waits.

Clients are made once per process and reused: building an httpx client loads the CA
bundle into an SSL context, which cost as much CPU as the rest of a job's work.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from functools import lru_cache

import redis
from django.conf import settings

from recraft_studio.recraft.client import RecraftClient
from recraft_studio.recraft.errors import RecraftError
from recraft_studio.recraft.ratelimit import AccountRateLimiter
from recraft_studio.workspaces.selectors import recraft_credentials

logger = logging.getLogger(__name__)

#: How long an account id read from `/users/me` is trusted.
ACCOUNT_CACHE_SECONDS = 60 * 60
#: How long a failed look-up is not retried (the API is down: nothing runs anyway).
ACCOUNT_RETRY_SECONDS = 30


@dataclass(frozen=True)
class Credentials:
    base_url: str
    token: str

    @property
    def key(self) -> str:
        """A name for the credentials that reveals nothing of the token."""
        digest = hashlib.sha256(f"{self.base_url}\n{self.token}".encode()).hexdigest()
        return digest[:24]


def credentials_for(workspace) -> Credentials:
    base_url, token = recraft_credentials(workspace)
    return Credentials(base_url=base_url, token=token)


@lru_cache(maxsize=1)
def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


@lru_cache(maxsize=1)
def rate_limiter() -> AccountRateLimiter:
    return AccountRateLimiter(
        settings.REDIS_URL,
        limit=settings.RECRAFT_RATE_LIMIT_PER_MINUTE,
        margin=settings.RECRAFT_RATE_MARGIN_SECONDS,
        burst=settings.RECRAFT_RATE_BURST or None,
    )


_clients: dict[Credentials, RecraftClient] = {}
_clients_lock = threading.Lock()


def client_for(credentials: Credentials) -> RecraftClient:
    """This process's client for `credentials`, made on first use and kept."""
    with _clients_lock:
        client = _clients.get(credentials)
        if client is None:
            client = RecraftClient(
                base_url=credentials.base_url,
                token=credentials.token,
                timeout=settings.RECRAFT_TIMEOUT_SECONDS,
                download_hosts=settings.RECRAFT_DOWNLOAD_HOSTS,
                download_max_bytes=settings.RECRAFT_DOWNLOAD_MAX_BYTES,
            )
            _clients[credentials] = client
        return client


def forget_clients() -> None:
    """Close every kept client (a forked worker must not share its parent's sockets)."""
    with _clients_lock:
        for client in _clients.values():
            client.close()
        _clients.clear()


ACCOUNT_CACHE = "studio:account:{}"


def account_cached(credentials: Credentials) -> str | None:
    """The account id behind `credentials` if it is known already (never asks the API)."""
    raw = redis_client().get(ACCOUNT_CACHE.format(credentials.key))
    return raw.decode() if raw else None


def account_of(credentials: Credentials) -> str:
    """The account id behind `credentials`, from the cache or `/users/me`.

    When the API cannot be asked, the credentials stand for their own account for a
    short while: calls would fail anyway, and nothing is shared wrongly for long.
    """
    cached = account_cached(credentials)
    if cached:
        return cached
    try:
        account = str(client_for(credentials).me()["id"])
        ttl = ACCOUNT_CACHE_SECONDS
    except (RecraftError, KeyError, TypeError) as exc:
        logger.warning("Could not read the account of credentials %s: %s", credentials.key, exc)
        account, ttl = f"credentials:{credentials.key}", ACCOUNT_RETRY_SECONDS
    redis_client().set(ACCOUNT_CACHE.format(credentials.key), account, ex=ttl)
    return account

"""The API's rate limit, shared by every worker process through Redis.

The API allows 100 images per minute per token. Each call takes one permit per
output image it will produce, from a sliding window kept in Redis by the `limits`
library (its moving-window strategy runs as one Lua script, so two processes can never
both take the last permit). Workers on any number of hosts share the window as long
as they share Redis.

The window is keyed by a hash of the token: the token itself never reaches Redis.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from limits import RateLimitItemPerSecond, storage, strategies

from . import catalog

logger = logging.getLogger(__name__)


class RateLimitTimeout(Exception):
    """No permits became free within the time the caller was willing to wait."""


@dataclass(frozen=True)
class Acquired:
    permits: int
    waited: float


class SharedRateLimiter:
    """Hand out permits for API calls, `limit` per `window` seconds per token."""

    def __init__(
        self,
        redis_url: str,
        *,
        limit: int = catalog.RATE_LIMIT_PER_MINUTE,
        window: int = 60,
        namespace: str = "recraft-rate",
    ):
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.window = window
        self.namespace = namespace
        self._item = RateLimitItemPerSecond(limit, window)
        self._storage = storage.storage_from_string(redis_url)
        self._limiter = strategies.MovingWindowRateLimiter(self._storage)

    def _key(self, token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()[:24]

    def try_acquire(self, token: str, permits: int = 1) -> bool:
        """Take `permits` now if the window has room; never waits."""
        if permits > self.limit:
            raise ValueError(f"{permits} permits can never fit a window of {self.limit}")
        return self._limiter.hit(self._item, self.namespace, self._key(token), cost=permits)

    def seconds_until_free(self, token: str) -> float:
        """When the oldest permit in the window expires (0 when there is room)."""
        stats = self._limiter.get_window_stats(self._item, self.namespace, self._key(token))
        if stats.remaining > 0:
            return 0.0
        return max(0.0, stats.reset_time - time.time())

    def acquire(self, token: str, permits: int = 1, *, timeout: float | None = None) -> Acquired:
        """Take `permits`, waiting as long as needed (or up to `timeout` seconds)."""
        start = time.monotonic()
        while not self.try_acquire(token, permits):
            waited = time.monotonic() - start
            pause = min(max(self.seconds_until_free(token), 0.05), 1.0)
            if timeout is not None and waited + pause > timeout:
                raise RateLimitTimeout(
                    f"No room for {permits} images within {timeout:.0f} s "
                    f"({self.limit} per {self.window} s)."
                )
            time.sleep(pause)
        waited = time.monotonic() - start
        if waited > 1:
            logger.info("Waited %.1f s for %d rate-limit permits", waited, permits)
        return Acquired(permits=permits, waited=waited)

    def clear(self, token: str) -> None:
        """Forget the window of `token` (tests and the sandbox's reset use this)."""
        self._storage.clear(self._item.key_for(self.namespace, self._key(token)))

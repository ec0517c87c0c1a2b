"""The API's rate limit, kept for a whole account in Redis and shared by every process.

The API allows `limit` images in any rolling 60 s per account (its users, not its
tokens). The window here mirrors it: a sorted set per account whose members are the
images granted and whose scores are the times (Redis's own clock) at which each
stops counting.

A permit's life:

1. `take` grants `n` permits to a holder (a job) if the window and the pacing
   bucket both have room. A granted permit is *held*: it counts, and stops
   counting only after `HOLD_SECONDS` unless something else happens first.
2. `stamp_sent` moves the holder's permits to "sent now": they stop counting
   `window + margin` seconds from the moment the call left. The API stamps a call
   when it arrives, a little later than that; the margin covers the difference.
3. `give_back` removes permits a call never used (refused with a 429 or a 4xx,
   never sent), to the window and to the bucket.

The pacing bucket (`burst` permits, refilled at `limit / window` per second) keeps
one holder from spending the whole minute in its first second: the window frees
its permits as it took them, so a burst taken at once comes back at once, 60 s
later, while everyone else waits. Paced, permits come back steadily and the
scheduler can hand the next one to whoever's turn it is.

Everything runs in Lua scripts, on Redis's clock, so processes on any number of
hosts agree on the window without agreeing on the time. This is hand-written
rather than the `limits` library because a permit here must be dated when its call
leaves, not when it is granted, and must be given back when unused; `limits`'
moving window supports neither.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import redis

from . import catalog

logger = logging.getLogger(__name__)

#: How long a granted permit counts if its call is never dated nor given back (a
#: worker that died between grant and call): longer than any job waits for a worker.
HOLD_SECONDS = 600

# KEYS: window zset, bucket hash. ARGV: limit, window, burst, rate per s, n, holder, hold.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local burst, rate = tonumber(ARGV[3]), tonumber(ARGV[4])
local n, holder, hold = tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local used = redis.call('ZCARD', KEYS[1])
local tokens = tonumber(redis.call('HGET', KEYS[2], 'tokens') or burst)
local stamp = tonumber(redis.call('HGET', KEYS[2], 'at') or now)
tokens = math.min(burst, tokens + (now - stamp) * rate)
local wait = 0
if used + n > limit then
  local idx = used + n - limit - 1
  local first = redis.call('ZRANGE', KEYS[1], idx, idx, 'WITHSCORES')
  wait = tonumber(first[2]) - now
end
if tokens < n then
  wait = math.max(wait, (n - tokens) / rate)
end
if wait > 0 then
  redis.call('HSET', KEYS[2], 'tokens', tostring(tokens), 'at', tostring(now))
  return {0, tostring(wait), used}
end
for i = 1, n do
  redis.call('ZADD', KEYS[1], now + hold, holder .. ':' .. i)
end
redis.call('HSET', KEYS[2], 'tokens', tostring(tokens - n), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((hold + window) * 1000))
redis.call('PEXPIRE', KEYS[2], math.ceil((window * 2) * 1000))
return {1, '0', used + n}
"""

# KEYS: window zset. ARGV: holder, n, window + margin.
_STAMP = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local until_ = now + tonumber(ARGV[3])
local stamped = 0
for i = 1, tonumber(ARGV[2]) do
  local member = ARGV[1] .. ':' .. i
  if redis.call('ZSCORE', KEYS[1], member) then
    redis.call('ZADD', KEYS[1], until_, member)
    stamped = stamped + 1
  end
end
return stamped
"""

# KEYS: window zset, bucket hash. ARGV: holder, n, burst.
_GIVE_BACK = """
local removed = 0
for i = 1, tonumber(ARGV[2]) do
  removed = removed + redis.call('ZREM', KEYS[1], ARGV[1] .. ':' .. i)
end
if removed > 0 then
  local tokens = tonumber(redis.call('HGET', KEYS[2], 'tokens') or ARGV[3])
  redis.call('HSET', KEYS[2], 'tokens', tostring(math.min(tonumber(ARGV[3]), tokens + removed)))
end
return removed
"""

# KEYS: window zset. ARGV: none. Returns [now, scores...] of what still counts.
_PEEK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local scores = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local out = {tostring(now)}
for i = 2, #scores, 2 do out[#out + 1] = scores[i] end
return out
"""


@dataclass(frozen=True)
class Grant:
    """The answer to `take`: granted, or how many seconds until it could be."""

    granted: bool
    wait: float
    used: int


@dataclass(frozen=True)
class WindowState:
    """What counts in an account's window now: `expiries` in seconds from now, sorted."""

    limit: int
    expiries: list[float]

    @property
    def used(self) -> int:
        return len(self.expiries)

    @property
    def free(self) -> int:
        return max(self.limit - self.used, 0)

    def seconds_until_free(self, n: int) -> float:
        """When `n` permits will fit the window (ignoring pacing and later grants)."""
        overflow = self.used + n - self.limit
        if overflow <= 0:
            return 0.0
        if overflow > len(self.expiries):
            return float("inf")
        return max(self.expiries[overflow - 1], 0.0)


class AccountRateLimiter:
    """Hand out permits for API calls: `limit` images per rolling `window` per account."""

    def __init__(
        self,
        redis_url: str,
        *,
        limit: int = catalog.RATE_LIMIT_PER_MINUTE,
        window: float = 60.0,
        margin: float = 0.25,
        burst: int | None = None,
        namespace: str = "studio:rate",
    ):
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.window = window
        self.margin = margin
        # Enough for the largest call (6 images) twice over, and never more than the limit.
        self.burst = min(limit, burst if burst is not None else max(12, limit // 5))
        self.rate = limit / window
        self.namespace = namespace
        self._redis = redis.Redis.from_url(redis_url)
        self._take = self._redis.register_script(_TAKE)
        self._stamp = self._redis.register_script(_STAMP)
        self._give_back = self._redis.register_script(_GIVE_BACK)
        self._peek = self._redis.register_script(_PEEK)

    def _keys(self, account: str) -> list[str]:
        base = f"{self.namespace}:{{{account}}}"
        return [f"{base}:window", f"{base}:bucket"]

    def take(self, account: str, n: int, holder: str) -> Grant:
        """Grant `n` permits to `holder` now, or say how long until they could be."""
        if n > min(self.limit, self.burst):
            raise ValueError(f"{n} permits can never fit (limit {self.limit}, burst {self.burst})")
        ok, wait, used = self._take(
            keys=self._keys(account),
            args=[self.limit, self.window, self.burst, self.rate, n, holder, HOLD_SECONDS],
        )
        return Grant(granted=bool(ok), wait=float(wait), used=int(used))

    def stamp_sent(self, account: str, holder: str, n: int) -> int:
        """Date `holder`'s permits to now: its call is leaving. Returns how many it held."""
        return int(
            self._stamp(keys=self._keys(account)[:1], args=[holder, n, self.window + self.margin])
        )

    def give_back(self, account: str, holder: str, n: int) -> int:
        """Return permits a call never used; returns how many were still held."""
        return int(self._give_back(keys=self._keys(account), args=[holder, n, self.burst]))

    def state(self, account: str) -> WindowState:
        now, *scores = self._peek(keys=self._keys(account)[:1])
        now = float(now)
        return WindowState(limit=self.limit, expiries=sorted(float(s) - now for s in scores))

    def clear(self, account: str) -> None:
        """Forget an account's window and bucket (tests, and the sandbox's reset)."""
        self._redis.delete(*self._keys(account))

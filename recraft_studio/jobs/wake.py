"""Waking the scheduler: a nudge through Redis when something it should act on changed.

The scheduler also looks on its own every second, so a nudge that is lost (Redis
away for a moment) only delays things by that much; it is never needed for
correctness, which is why failures here are logged and swallowed.
"""

import logging

import redis

logger = logging.getLogger(__name__)

WAKE_KEY = "studio:scheduler:wake"


def wake_scheduler() -> None:
    from .accounts import redis_client

    try:
        client = redis_client()
        pipe = client.pipeline()
        pipe.lpush(WAKE_KEY, 1)
        pipe.ltrim(WAKE_KEY, 0, 9)
        pipe.execute()
    except redis.RedisError as exc:
        logger.warning("Could not wake the scheduler: %s", exc)

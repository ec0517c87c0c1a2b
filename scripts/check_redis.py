"""Say clearly, before anything starts, when Redis is not where REDIS_URL points."""

import os
import sys

import redis


def main() -> int:
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.RedisError as exc:
        print(
            f"\nRedis does not answer at {url} ({exc}).\n"
            "Recraft Studio needs Redis for its job queue and rate limiter. Either:\n"
            "  - start one locally:   redis-server --daemonize yes\n"
            "    (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis)\n"
            "  - or point REDIS_URL at one:   make run REDIS_URL=redis://host:6379/0\n",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The shared limiter, on the real Redis that `make test` uses."""

import json
import subprocess
import sys
import textwrap
import uuid

import pytest
from django.conf import settings

from recraft_studio.recraft.ratelimit import RateLimitTimeout, SharedRateLimiter


@pytest.fixture
def limiter():
    return SharedRateLimiter(settings.REDIS_URL, limit=5, window=2, namespace=f"t-{uuid.uuid4()}")


def test_permits_are_handed_out_up_to_the_limit_then_refused(limiter):
    assert limiter.try_acquire("token", 3)
    assert limiter.try_acquire("token", 2)
    assert not limiter.try_acquire("token", 1)
    assert 0 < limiter.seconds_until_free("token") <= 2


def test_each_token_has_its_own_window(limiter):
    assert limiter.try_acquire("token-a", 5)
    assert limiter.try_acquire("token-b", 5)


def test_a_call_larger_than_the_room_left_waits_for_the_window_to_slide(limiter):
    limiter.acquire("token", 4)
    acquired = limiter.acquire("token", 3, timeout=5)
    assert 1.5 < acquired.waited < 3


def test_waiting_gives_up_at_the_timeout(limiter):
    limiter.acquire("token", 5)
    with pytest.raises(RateLimitTimeout):
        limiter.acquire("token", 1, timeout=0.5)


def test_a_call_that_can_never_fit_is_refused_at_once(limiter):
    with pytest.raises(ValueError):
        limiter.try_acquire("token", 6)


WORKER = textwrap.dedent(
    """
    import json, sys, time
    from recraft_studio.recraft.ratelimit import SharedRateLimiter
    redis_url, namespace, limit, window, rounds = sys.argv[1:6]
    limiter = SharedRateLimiter(
        redis_url, limit=int(limit), window=int(window), namespace=namespace
    )
    stamps = []
    for i in range(int(rounds)):
        permits = 1 + i % 3
        limiter.acquire("shared-token", permits)
        stamps.append([time.time(), permits])
    print(json.dumps(stamps))
    """
)


def test_two_processes_together_never_exceed_the_limit():
    limit, window, rounds = 10, 2, 8  # each process asks for 1+2+3+1+2+3+1+2 = 15 permits
    namespace = f"t-{uuid.uuid4()}"
    args = [
        sys.executable,
        "-c",
        WORKER,
        settings.REDIS_URL,
        namespace,
        str(limit),
        str(window),
        str(rounds),
    ]
    processes = [subprocess.Popen(args, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    stamps = []
    for process in processes:
        out, _ = process.communicate(timeout=60)
        assert process.returncode == 0
        stamps += json.loads(out)
    stamps.sort()

    assert sum(p for _, p in stamps) == 30
    # Stamps are read just after each grant, a little after the limiter's own clock:
    # allow that much slack at the window's end.
    for start, _ in stamps:
        in_window = sum(p for t, p in stamps if start <= t < start + window - 0.1)
        assert in_window <= limit, f"{in_window} permits within {window} s of {start}"
    # 30 permits at 10 per 2 s cannot all be granted within two full windows.
    assert stamps[-1][0] - stamps[0][0] >= 2 * window - 0.5

"""The account's rate window, on the real Redis that `make test` uses."""

import json
import subprocess
import sys
import textwrap
import time
import uuid

import pytest
from django.conf import settings

from recraft_studio.recraft.ratelimit import AccountRateLimiter


def make(**kwargs):
    options = {"limit": 5, "window": 2.0, "margin": 0.0, "burst": 5}
    options.update(kwargs)
    return AccountRateLimiter(settings.REDIS_URL, namespace=f"t-{uuid.uuid4()}", **options)


def test_permits_are_granted_up_to_the_limit_then_refused_with_the_wait():
    limiter = make()
    assert limiter.take("acct", 3, "a").granted
    assert limiter.take("acct", 2, "b").granted
    refused = limiter.take("acct", 1, "c")
    assert not refused.granted and refused.used == 5
    assert refused.wait > 0


def test_each_account_has_its_own_window():
    limiter = make()
    assert limiter.take("acct-a", 5, "a").granted
    assert limiter.take("acct-b", 5, "b").granted


def test_a_held_permit_counts_until_its_call_is_dated_then_for_one_window():
    limiter = make(window=1.0)
    limiter.take("acct", 5, "job")
    time.sleep(1.2)
    assert not limiter.take("acct", 1, "other").granted  # held: the call has not left yet
    assert limiter.stamp_sent("acct", "job", 5) == 5
    assert limiter.state("acct").used == 5
    time.sleep(1.1)
    assert limiter.take("acct", 5, "other").granted  # a window after the call left


def test_permits_given_back_are_free_at_once():
    limiter = make()
    limiter.take("acct", 5, "refused")
    assert limiter.give_back("acct", "refused", 5) == 5
    assert limiter.take("acct", 5, "next").granted


def test_given_back_twice_returns_nothing_the_second_time():
    limiter = make()
    limiter.take("acct", 2, "job")
    assert limiter.give_back("acct", "job", 2) == 2
    assert limiter.give_back("acct", "job", 2) == 0
    assert limiter.state("acct").used == 0


def test_pacing_spreads_a_burst_beyond_what_may_start_at_once():
    limiter = make(limit=60, window=60.0, burst=3)  # one image a second once the burst is spent
    assert limiter.take("acct", 3, "a").granted
    refused = limiter.take("acct", 2, "b")
    assert not refused.granted
    assert 1.5 < refused.wait <= 2.0  # two permits at one a second


def test_the_window_reports_when_permits_will_be_free():
    limiter = make(window=2.0)
    limiter.take("acct", 3, "a")
    limiter.stamp_sent("acct", "a", 3)
    state = limiter.state("acct")
    assert state.used == 3 and state.free == 2
    assert state.seconds_until_free(2) == 0
    assert 1.5 < state.seconds_until_free(4) <= 2.0


def test_a_call_that_can_never_fit_is_refused_at_once():
    with pytest.raises(ValueError):
        make().take("acct", 6, "too-big")


WORKER = textwrap.dedent(
    """
    import json, sys, time
    from recraft_studio.recraft.ratelimit import AccountRateLimiter
    redis_url, namespace, limit, window, rounds = sys.argv[1:6]
    limiter = AccountRateLimiter(
        redis_url, limit=int(limit), window=float(window), margin=0, burst=int(limit),
        namespace=namespace,
    )
    stamps = []
    for i in range(int(rounds)):
        permits = 1 + i % 3
        holder = f"{i}-{time.monotonic_ns()}"
        while not (grant := limiter.take("shared", permits, holder)).granted:
            time.sleep(min(grant.wait, 0.05))
        limiter.stamp_sent("shared", holder, permits)
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

"""Named points in a job's run where the chaos tests can hold a worker, to kill it there.

Off unless `settings.JOBS_CHAOS_HOOKS` is true (only the test suite sets it). When
on, a run reaching point `name` looks for the Redis key `studio:chaos:hold:<name>`;
if it is set, the first run to get there announces where it stopped
(`studio:chaos:at:<name>` = "pid job") and waits until the key is gone, or forever:
the test kills the process. Later runs pass.
"""

from __future__ import annotations

import os
import time

from django.conf import settings

#: Every point, in the order a run passes them.
POINTS = ("before_call", "after_answer", "mid_download", "mid_store")

HOLD = "studio:chaos:hold:{}"
AT = "studio:chaos:at:{}"


def reach(name: str, job_id) -> None:
    if not settings.JOBS_CHAOS_HOOKS:
        return
    from .accounts import redis_client

    client = redis_client()
    if not client.exists(HOLD.format(name)):
        return
    if not client.set(AT.format(name), f"{os.getpid()} {job_id}", ex=600, nx=True):
        return
    while client.exists(HOLD.format(name)):
        time.sleep(0.05)

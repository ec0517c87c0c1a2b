"""How much of the API's rate limit the shared job queue uses, and how many 429s it draws.

    make bench                                        # every script in tests/bench
    .venv/bin/python tests/bench/queue_limit.py       # at the real limit (~30 min)
    .venv/bin/python tests/bench/queue_limit.py --quick   # smoke run (~3 min)

The load: 400 images (default; `--images`) queued at once as jobs of mixed size
(n = 1–6, a fixed random draw) by three people of one workspace, all on one Recraft
account, through `jobs.services.job_submit`. They are run by 1, 2 and 4 Celery worker
processes (concurrency 2 each, as Procfile.dev and the suite run them) fed by the
scheduler (`manage.py run_scheduler`), against a sandbox whose limit is the API's real
one, 100 images in any rolling 60 s per account; the studio's limit
(RECRAFT_RATE_LIMIT_PER_MINUTE) is the same 100. Everything is private: database
`bench_queue`, Redis database 11, Celery queue `bench-queue`, a sandbox and a SeaweedFS
on free ports (see _cluster.py).

Beside each studio run, the baseline: the same 400 images sent by a plain Celery task
(one task per image, calling the sandbox with httpx) under Celery's own
`rate_limit="100/m"`, which is per worker process; a task refused with a 429 retries
after the Retry-After the API gave. One image per task is the most favourable case
for Celery's limit (it counts tasks, not images).

Figures per run, from the sandbox's own log of generation calls (its arrival times):

- images/min sustained: the calls the API accepted from 60 s after the first
  accepted call (the first minute may hold a burst: the window is a rolling 60 s
  and starts empty) to the last one; the rate is the images of every call but the
  last over the time from the first to the last of these calls (N calls span N−1
  gaps);
- % of the limit, and the ceiling the studio's margin allows (a permit counts for
  60 s + RECRAFT_RATE_MARGIN_SECONDS from when its call leaves);
- the most images the API accepted in any 60 s (must not pass the limit);
- HTTP 429s the sandbox answered, and jobs (or tasks) that failed.

`--quick` scales the limit to 600/min in both the sandbox and the studio and sends
200 images: the run is shorter than a window, so no sustained rate is measured; it
checks the plumbing and the 429 count only.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import httpx
from celery import Celery

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

# --- the baseline: a plain Celery task under Celery's own rate limit --------------------
# The worker processes import this module (`celery -A tests.bench.queue_limit:baseline`);
# everything they need comes from the environment the script gives them.

BASELINE_QUEUE = "bench-baseline"
baseline = Celery(
    "bench_baseline", broker=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/11")
)
baseline.conf.update(
    task_default_queue=BASELINE_QUEUE,
    task_acks_late=True,
    task_ignore_result=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)


@baseline.task(
    bind=True,
    name="bench.baseline_call",
    rate_limit=f"{os.environ.get('BENCH_BASELINE_RATE', '100')}/m",
    max_retries=None,
)
def baseline_call(self, prompt: str) -> None:
    response = httpx.post(
        os.environ["BENCH_SANDBOX_URL"] + "/images/generations",
        json={"prompt": prompt, "style": "digital_illustration", "n": 1},
        headers={"Authorization": f"Bearer {os.environ['BENCH_SANDBOX_TOKEN']}"},
        timeout=120,
    )
    if response.status_code == 429:
        raise self.retry(countdown=float(response.headers.get("Retry-After") or 1))
    response.raise_for_status()


# --- figures --------------------------------------------------------------------------


def figures(entries: list[dict], limit: int, window: float = 60.0) -> dict:
    """Rates and refusals from the sandbox's log of generation calls."""
    accepted = [(e["time"], int((e.get("params") or {}).get("n") or 1)) for e in entries]
    accepted = [a for a, e in zip(accepted, entries, strict=True) if e.get("status") == 200]
    out = {
        "calls": len(entries),
        "accepted_calls": len(accepted),
        "images": sum(n for _, n in accepted),
        "429": sum(1 for e in entries if e.get("status") == 429),
        "other_errors": sum(1 for e in entries if e.get("status") not in (200, 429)),
        "sustained": None,
    }
    if not accepted:
        return out
    t0, t_end = accepted[0][0], accepted[-1][0]
    out["duration"] = t_end - t0
    out["first_minute"] = sum(n for t, n in accepted if t < t0 + window)
    steady = [(t, n) for t, n in accepted if t > t0 + window]
    if len(steady) >= 3 and steady[-1][0] - steady[0][0] >= 30:
        span = steady[-1][0] - steady[0][0]
        out["sustained"] = sum(n for _, n in steady[:-1]) / span * 60
        out["steady_span"] = span
    # The most images accepted in any `window` seconds (by the API's arrival times).
    most, j, inside = 0, 0, 0
    for t, n in accepted:
        inside += n
        while accepted[j][0] <= t - window:
            inside -= accepted[j][1]
            j += 1
        most = max(most, inside)
    out["max_window"] = most
    if out["sustained"] is not None:
        out["idle"] = idle_places(accepted, limit, window, start=steady[0][0])
    return out


def idle_places(
    accepted: list[tuple[float, int]], limit: int, window: float, *, start: float
) -> tuple[float, float]:
    """Where the unused part of the API's window went over the sustained part.

    Samples the API's window (images accepted in the last `window` s) every 10 ms
    from `start` to the last call. Returns the share of the limit that was free on
    average (a) while the next call needed more places than were free (it waited
    for its whole n: the window freed places in smaller pieces), and (b) while
    enough were free for it (the studio was late: margin, pacing, scheduling, pickup).
    """
    end = accepted[-1][0]
    step = 0.01
    times = [t for t, _ in accepted]
    short = enough = 0.0
    samples = 0
    i = 0  # the next call after the sampled moment
    lo = 0  # the oldest call still in the window
    inside = 0  # images of calls in (t - window, t]
    hi = 0  # calls up to t counted in `inside`
    t = start
    while t < end:
        while hi < len(accepted) and times[hi] <= t:
            inside += accepted[hi][1]
            hi += 1
        while times[lo] <= t - window:
            inside -= accepted[lo][1]
            lo += 1
        while i < len(accepted) and times[i] <= t:
            i += 1
        free = max(limit - inside, 0)
        if i < len(accepted):
            if free < accepted[i][1]:
                short += free
            else:
                enough += free
        samples += 1
        t += step
    return short / samples / limit * 100, enough / samples / limit * 100


def report(label: str, f: dict, limit: int, failed: int, ceiling: float) -> str:
    sustained = f["sustained"]
    if sustained is None:
        rate = "      n/a  (run shorter than a window)"
    else:
        rate = f"{sustained:7.1f}/min {sustained / limit * 100:6.1f} % of {limit}"
    return (
        f"{label:<30} {rate}  first 60 s {f.get('first_minute', 0):4}  "
        f"max in 60 s {f.get('max_window', 0):4}  429s {f['429']:4}  failed {failed}  "
        f"images {f['images']}  ({f.get('duration', 0):.0f} s)"
        + (f"  [ceiling {ceiling:.1f} %]" if sustained is not None else "")
        + (
            f"\n{'':30} API window unused: {f['idle'][0]:.1f} % of the limit while the next "
            f"call waited for more places than were free, {f['idle'][1]:.1f} % while enough "
            f"were free"
            if f.get("idle")
            else ""
        )
    )


# --- runs -----------------------------------------------------------------------------


def wait_until(predicate, timeout: float, log, what: str, interval: float = 2.0):
    deadline = time.monotonic() + timeout
    while True:
        log.poll()
        if predicate():
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"Timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def forget_queue_state() -> None:
    """The studio's rate windows, lanes and forecasts (not the broker's keys)."""
    from recraft_studio.jobs.accounts import redis_client

    client = redis_client()
    for pattern in ("studio:rate:*", "studio:rate-pause:*", "studio:lanes:*", "studio:wait:*"):
        keys = list(client.scan_iter(pattern, count=1000))
        if keys:
            client.delete(*keys)


def studio_run(cluster, log, sizes: list[int], workers: int, run: int, timeout: float) -> int:
    """Queue the load, let `workers` worker processes run it; returns the failed jobs."""
    from recraft_studio.jobs.models import FINISHED, Job, JobStatus

    cluster.set_workers(workers)
    cluster.sandbox.reset()
    forget_queue_state()
    log.clear()
    people = cluster.people(3, prefix=f"run{run}")
    ids = []
    for i, n in enumerate(sizes):
        membership, project = people[i % len(people)]
        ids.append(cluster.submit(membership, project, n, prompt=f"run {run} job {i}").pk)
    jobs = Job.objects.filter(pk__in=ids)
    wait_until(
        lambda: jobs.exclude(status__in=FINISHED).count() == 0,
        timeout,
        log,
        f"{len(ids)} jobs to finish",
    )
    time.sleep(1)
    log.poll()
    try:
        print(send_delays(jobs, log.all()), flush=True)
    except Exception as exc:  # noqa: BLE001 - a diagnostic; the figures matter more
        print(f"  (send delays not measured: {exc!r})")
    return jobs.filter(status=JobStatus.FAILED).count()


def send_delays(jobs, entries: list[dict]) -> str:
    """How long after the studio dated a call (its ApiCall row, written just before its
    permits are stamped) the API received it: a permit counts 60 s + margin from the
    stamp, the API's place 60 s from arrival, so a delay above the margin lets the
    studio reuse a permit before the API has freed its place (a 429)."""
    from django.conf import settings

    margin = settings.RECRAFT_RATE_MARGIN_SECONDS
    arrivals: dict[str, list[dict]] = {}
    for entry in entries:
        arrivals.setdefault((entry.get("params") or {}).get("prompt"), []).append(entry)
    delays, refused, pickup = [], [], []
    sent = []  # (the studio's stamp, the API's arrival, images) of accepted calls
    for job in jobs.prefetch_related("calls"):
        calls = sorted(job.calls.all(), key=lambda c: c.sent_at)
        if calls and job.dispatched_at:
            pickup.append((calls[-1].sent_at - job.dispatched_at).total_seconds())
        for call, entry in zip(calls, arrivals.get(job.prompt, []), strict=False):
            delay = entry["time"] - call.sent_at.timestamp()
            delays.append(delay)
            if entry.get("status") == 429:
                refused.append(entry["time"])
            elif entry.get("status") == 200:
                sent.append((call.sent_at.timestamp(), entry["time"], job.n_outputs))
    if not delays:
        return "  send delays: none matched"
    from _cluster import median, percentile

    # For each 429: calls whose place the studio had freed (60 s + margin after its
    # stamp) but the API had not (60 s after the call arrived).
    early = [
        sum(n for stamp, arrival, n in sent if stamp + 60 + margin < t < arrival + 60)
        for t in refused
    ]
    worst = sorted(delays)[-3:]
    return (
        f"  send delay (ApiCall row → API arrival) over {len(delays)} calls: p50 "
        f"{median(delays) * 1000:.0f} ms, p95 {percentile(delays, 95) * 1000:.0f} ms, max "
        f"{max(delays) * 1000:.0f} ms (worst {[round(d * 1000) for d in worst]} ms); "
        f"{sum(1 for d in delays if d > margin)} calls later than the margin ({margin} s); "
        f"at each 429, images the studio counted as freed but the API did not: {early}\n"
        f"  permits held before the call left (dispatched → ApiCall row): p50 "
        f"{median(pickup):.2f} s, p95 {percentile(pickup, 95):.2f} s, max {max(pickup):.2f} s"
    )


def start_baseline_worker(cluster, index: int, rate: int) -> subprocess.Popen:
    path = cluster.logs / f"baseline-worker-{index}.log"
    env = {
        **cluster.env,
        "BENCH_BROKER_URL": cluster.env["REDIS_URL"],
        "BENCH_SANDBOX_URL": cluster.sandbox.base_url,
        "BENCH_SANDBOX_TOKEN": cluster.sandbox.token,
        "BENCH_BASELINE_RATE": str(rate),
    }
    with open(path, "wb") as out:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tests.bench.queue_limit:baseline",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
                "--hostname",
                f"baseline-{index}-{os.getpid()}@%h",
                "--without-gossip",
                "--without-mingle",
            ],
            env=env,
            cwd=cluster.logs.parents[2],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while b" ready." not in path.read_bytes():
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            raise RuntimeError(f"The baseline worker did not start:\n{path.read_text()[-3000:]}")
        time.sleep(0.2)
    return worker


def baseline_run(cluster, log, images: int, workers: int, rate: int, timeout: float) -> int:
    """The same images through Celery's own per-worker rate limit; returns failed tasks."""
    from tests.services import stop

    cluster.set_workers(0)
    cluster.sandbox.reset()
    log.clear()
    processes = [start_baseline_worker(cluster, i, rate) for i in range(workers)]
    try:
        baseline.conf.broker_url = cluster.env["REDIS_URL"]
        for i in range(images):
            baseline_call.delay(f"baseline image {i}")

        def accepted():
            return sum(1 for e in log.entries.values() if e.get("status") == 200) >= images

        wait_until(accepted, timeout, log, f"{images} baseline images")
        time.sleep(1)
        log.poll()
    finally:
        for process in processes:
            stop(process)
    text = "".join(p.read_text(errors="replace") for p in cluster.logs.glob("baseline-worker-*"))
    return text.count("raised unexpected")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="limit 600/min, 200 images")
    parser.add_argument("--images", type=int, help="images per run (default 400; quick 200)")
    parser.add_argument(
        "--workers", default="1,2,4", help="worker process counts to run (default 1,2,4)"
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip Celery's rate_limit")
    args, _ = parser.parse_known_args()
    limit = 600 if args.quick else 100
    images = args.images or (200 if args.quick else 400)
    counts = [int(c) for c in args.workers.split(",") if c]
    timeout = 120 + images / limit * 60 * 3

    from _cluster import Cluster, RequestLog, mixed_sizes

    sizes = mixed_sizes(images, random.Random(400))
    lines = []
    started = time.monotonic()
    with Cluster("queue-limit", rate_limit=limit) as cluster:
        from django.conf import settings

        margin = settings.RECRAFT_RATE_MARGIN_SECONDS
        ceiling = 60 / (60 + margin) * 100
        log = RequestLog(cluster.sandbox)
        print(
            f"Load: {images} images as {len(sizes)} jobs (n 1–6) from 3 people; limit "
            f"{limit}/min in the sandbox and the studio (margin {margin} s); workers of "
            f"concurrency 2. Machine: {os.cpu_count()} cores.",
            flush=True,
        )
        for run, workers in enumerate(counts):
            failed = studio_run(cluster, log, sizes, workers, run, timeout)
            label = f"studio, {workers} worker{'s' if workers > 1 else ''}"
            lines.append(report(label, figures(log.all(), limit), limit, failed, ceiling))
            print(lines[-1], flush=True)
        if not args.no_baseline:
            for workers in counts:
                failed = baseline_run(cluster, log, images, workers, limit, timeout)
                label = f"Celery rate_limit, {workers} worker{'s' if workers > 1 else ''}"
                lines.append(report(label, figures(log.all(), limit), limit, failed, 100.0))
                print(lines[-1], flush=True)
    print(f"\nAll runs took {time.monotonic() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

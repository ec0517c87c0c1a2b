"""A worker's CPU per image, outside the API: what a job costs the worker itself.

    make bench                                   # runs every script in tests/bench
    /work/main/.venv/bin/python tests/bench/worker_cpu.py [--images 60]

Starts its own sandbox (the API, in its own process, so its CPU is not counted),
SeaweedFS (S3) and database (see `_studio.py`). Runs generation jobs of 1024² PNGs,
`--images` images' worth of jobs of one image and as many in jobs of six, one job
at a time, in-process through the worker's entry point (`pipeline.job_run`, what the
Celery task calls), and prints this process's CPU time (user + sys, all threads)
spent inside `job_run` per image. Submitting and handing out the jobs is not
counted (that is the web's and the scheduler's work). Two jobs (one of each size)
run first as a warm-up, as a long-running worker would be warm.

The breakdown is CPU time of the threads running each step: the API call (sending
the request, reading the answer; the API's own work is in the sandbox's process),
recording the answer, fetching outputs, inspecting (hashing), storing the original,
making and storing the thumbnail (of which making it), creating the assets and
settling the job; the rest is leases, queries around them and thread set-up.

Before the rework: about 200 ms per image, half of it making httpx clients.
Goal: at most 50 ms per image.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench._studio import machine, private_studio, team  # noqa: E402

GOAL_MS = 50
FORM = {"model": "recraftv3", "style": "digital_illustration", "size": "1024x1024"}
#: (label, module, function); CPU of the calling thread while each runs.
STEPS = (
    ("API call", "recraft_studio.recraft.client", "RecraftClient.call"),
    ("record answer", "recraft_studio.jobs.pipeline", "_record_answer"),
    ("fetch", "recraft_studio.jobs.pipeline", "_fetch"),
    ("inspect", "recraft_studio.assets.files", "inspect"),
    ("store original", "recraft_studio.assets.files", "store_original"),
    ("thumbnail", "recraft_studio.assets.files", "store_thumbnail"),
    ("  of which making it", "recraft_studio.assets.files", "thumbnail_bytes"),
    ("S3 connections", "storages.backends.s3", "S3Storage._create_session"),
    ("create assets", "recraft_studio.jobs.pipeline", "_asset_create"),
    ("settle", "recraft_studio.jobs.pipeline", "_settle"),
)
NESTED = {"  of which making it", "S3 connections"}


class StepClock:
    """CPU seconds of the threads running each step, added up by label."""

    def __init__(self):
        self.lock = threading.Lock()
        self.seconds: dict[str, float] = {}
        for label, module_name, qualname in STEPS:
            owner = importlib.import_module(module_name)
            *path, name = qualname.split(".")
            for part in path:
                owner = getattr(owner, part)
            setattr(owner, name, self._timed(label, getattr(owner, name)))

    def _timed(self, label, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            started = time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = time.thread_time() - started
                with self.lock:
                    self.seconds[label] = self.seconds.get(label, 0.0) + spent

        return wrapper

    def take(self) -> dict[str, float]:
        with self.lock:
            taken, self.seconds = self.seconds, {}
        return taken


def run_jobs(membership, project, n: int, jobs: int, clock: StepClock) -> dict:
    """CPU seconds inside job_run over `jobs` jobs of `n` images, and by step."""
    from recraft_studio.assets.models import Asset
    from recraft_studio.jobs import pipeline
    from recraft_studio.jobs.models import DISPATCH_OWNER, Job, JobStatus
    from recraft_studio.jobs.services import job_submit

    cpu, wall = 0.0, 0.0
    clock.take()
    for i in range(jobs):
        job = job_submit(
            membership=membership,
            project=project,
            params={**FORM, "prompt": f"a harbour at night, take {n}-{i}", "n": n},
        )
        Job.objects.filter(pk=job.pk).update(
            status=JobStatus.DISPATCHED, lease_owner=DISPATCH_OWNER, account="in-process"
        )
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        pipeline.job_run(job_id=job.pk)
        cpu += time.process_time() - started_cpu
        wall += time.perf_counter() - started_wall
        job.refresh_from_db()
        if job.status != "done" or Asset.objects.filter(job=job).count() != n:
            raise SystemExit(f"Job {job.pk} ended {job.status}: {job.error}")
    return {"cpu": cpu, "wall": wall, "images": n * jobs, "steps": clock.take()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=60, help="images per job size")
    args = parser.parse_args()
    with private_studio():
        membership, project = team()
        clock = StepClock()
        run_jobs(membership, project, 1, 1, clock)  # warm-up
        run_jobs(membership, project, 6, 1, clock)
        results = {n: run_jobs(membership, project, n, args.images // n, clock) for n in (1, 6)}
        print(
            f"Worker CPU (user + sys, all threads of the process) inside pipeline.job_run, "
            f"in-process, one job at a time, 1024² PNGs; the sandbox's CPU is in its own "
            f"process; {machine()}\n"
        )
        print(f"{'':<22}" + "".join(f"{f'n={n}':>12}" for n in results))
        print(f"{'images':<22}" + "".join(f"{r['images']:>12}" for r in results.values()))
        print(
            f"{'CPU per image':<22}"
            + "".join(f"{r['cpu'] / r['images'] * 1000:>10.1f}ms" for r in results.values())
        )
        print(
            f"{'wall per image':<22}"
            + "".join(f"{r['wall'] / r['images'] * 1000:>10.1f}ms" for r in results.values())
        )
        print("CPU per image by step:")
        for label, *_ in STEPS:
            print(
                f"  {label:<20}"
                + "".join(
                    f"{r['steps'].get(label, 0.0) / r['images'] * 1000:>10.1f}ms"
                    for r in results.values()
                )
            )
        others = [
            r["cpu"] - sum(v for k, v in r["steps"].items() if k not in NESTED)
            for r in results.values()
        ]
        print(
            f"  {'other':<20}"
            + "".join(
                f"{other / r['images'] * 1000:>10.1f}ms"
                for other, r in zip(others, results.values(), strict=True)
            )
        )
        worst = max(r["cpu"] / r["images"] * 1000 for r in results.values())
        print(
            "\n(S3 connections and 'of which making it' are inside the steps above them.)\n"
            f"Before the rework: ~200 ms per image. Goal: at most {GOAL_MS} ms per image: "
            f"{'met' if worst <= GOAL_MS else 'NOT met'} (worst {worst:.1f} ms)."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""From the API's answer to the stored asset: how long a worker takes to keep outputs.

    make bench                                   # runs every script in tests/bench
    /work/main/.venv/bin/python tests/bench/storing.py [--rounds-1 30] [--rounds-6 15]

Starts its own sandbox (the API), SeaweedFS (S3) and database (see `_studio.py`) and
runs generation jobs of one 1024² PNG and of six, one job at a time, in-process
through the worker's own entry point (`pipeline.job_run`, the function the Celery
task calls; the scheduler's hand-out is done by `run_here`). For each job it prints
the time from the answer being recorded (`Job.answered_at`, written just after the
call returns) to the asset stored (the `Asset` row's `created_at`, written once the
original and its thumbnail are in S3); for six, to the last of the six. Both clocks
are the worker's. A breakdown shows the time in fetching the outputs from the API
(to temporary files, in parallel) and in storing them (hash, original, thumbnail,
in parallel), the rest being database work. The first job is a warm-up, not counted.

Baseline before the rework (outputs fetched and stored one after another): one image
149 ms p50 / 243 ms p95; the last of six 0.9 s p50 / 1.1 s p95.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench._studio import machine, percentile, private_studio, run_here, team  # noqa: E402

FORM = {"model": "recraftv3", "style": "digital_illustration", "size": "1024x1024"}


class Phases:
    """Wall time of the fetch and store phases of the job running now (first start to
    last end over its parallel calls), by wrapping the pipeline's `_fetch` and `_store`;
    and how many S3 connections (boto3 sessions) the storage backend made meanwhile."""

    def __init__(self, pipeline, storage_class):
        self.lock = threading.Lock()
        self.spans: dict[str, list[float]] = {}
        self.sessions = 0
        for name in ("_fetch", "_store"):
            setattr(pipeline, name, self._timed(name, getattr(pipeline, name)))
        create_session = storage_class._create_session

        def counted(storage):
            with self.lock:
                self.sessions += 1
            return create_session(storage)

        storage_class._create_session = counted

    def _timed(self, name, fn):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                ended = time.perf_counter()
                with self.lock:
                    span = self.spans.setdefault(name, [started, ended])
                    span[0], span[1] = min(span[0], started), max(span[1], ended)

        return wrapper

    def take(self) -> dict[str, float]:
        with self.lock:
            spans, self.spans = self.spans, {}
            sessions, self.sessions = self.sessions, 0
        return {
            "sessions": sessions,
            **{name: (end - start) * 1000 for name, (start, end) in spans.items()},
        }


def one_job(membership, project, n: int, i: int, phases: Phases) -> dict:
    from recraft_studio.assets.models import Asset
    from recraft_studio.jobs.services import job_submit

    job = job_submit(
        membership=membership,
        project=project,
        params={**FORM, "prompt": f"a lighthouse at dusk, take {n}-{i}", "n": n},
    )
    phases.take()
    job = run_here(job)
    assets = list(Asset.objects.filter(job=job))
    if job.status != "done" or len(assets) != n:
        raise SystemExit(f"Job {job.pk} ended {job.status} with {len(assets)} assets: {job.error}")
    last = max(a.created_at for a in assets)
    return {
        "stored": (last - job.answered_at).total_seconds() * 1000,
        "bytes": statistics.mean(a.size_bytes for a in assets),
        "size": f"{assets[0].width}×{assets[0].height} {assets[0].content_type}",
        **phases.take(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds-1", type=int, default=30, help="jobs of one image")
    parser.add_argument("--rounds-6", type=int, default=15, help="jobs of six images")
    args = parser.parse_args()
    with private_studio():
        from django.conf import settings
        from storages.backends.s3 import S3Storage

        from recraft_studio.jobs import pipeline

        membership, project = team()
        phases = Phases(pipeline, S3Storage)
        one_job(membership, project, 1, 0, phases)  # warm-up: clients, connections
        print(
            f"Answer recorded → asset stored, in-process through pipeline.job_run, one job "
            f"at a time; S3 = private SeaweedFS, API = sandbox; "
            f"JOBS_OUTPUT_THREADS={settings.JOBS_OUTPUT_THREADS}; {machine()}\n"
        )
        print(
            f"{'job':<14} {'jobs':>4} {'p50':>8} {'p95':>8} {'max':>8}   "
            f"{'fetch p50':>9} {'store p50':>9} {'S3 conns/job':>12}   output"
        )
        for n, rounds in ((1, args.rounds_1), (6, args.rounds_6)):
            rows = [one_job(membership, project, n, i, phases) for i in range(1, rounds + 1)]
            stored = [r["stored"] for r in rows]
            label = "1 image" if n == 1 else f"{n} images (last)"
            print(
                f"{label:<14} {rounds:>4} {percentile(stored, 0.5):>6.0f}ms "
                f"{percentile(stored, 0.95):>6.0f}ms {max(stored):>6.0f}ms   "
                f"{statistics.median(r['_fetch'] for r in rows):>7.0f}ms "
                f"{statistics.median(r['_store'] for r in rows):>7.0f}ms "
                f"{statistics.mean(r['sessions'] for r in rows):>12.1f}   "
                f"{rows[0]['size']}, {statistics.mean(r['bytes'] for r in rows) / 1e6:.2f} MB"
            )
        print(
            "\nBaseline before the rework: 1 image 149 / 243 ms (p50 / p95); "
            "last of 6 stored one after another 900 / 1,100 ms."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

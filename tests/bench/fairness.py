"""How long a second person's single image waits behind someone's 600-image burst.

    make bench                                     # every script in tests/bench
    .venv/bin/python tests/bench/fairness.py       # at the real limit (~4 min)
    .venv/bin/python tests/bench/fairness.py --quick   # limit 600/min (~2 min)

Person A queues 600 images at once (100 jobs of n = 6) through
`jobs.services.job_submit`. From 15 s later, single images (n = 1) are queued every
6 s, 20 in all, alternately by B (another workspace on the same Recraft account)
and by C (a second person in A's workspace). Two Celery worker processes
(concurrency 2) and the scheduler run them against a sandbox with the API's real
limit, 100 images in any rolling 60 s per account, the studio's limit being the same.
The samples span A's first-minute burst and the steady state after it.

For each single image it prints, from its submission (`Job.created_at`):

- to being handed out with its permits (`Job.dispatched_at`),
- to its API call being sent (its `ApiCall` row, written just before sending),
- to the API receiving it (the sandbox's request log, matched by prompt),

and then p50 / p95 / max of each over the samples, by who asked. The goal (issue 8):
a second person's single image starts within 10 s. Once the samples are in, A's
remaining jobs are canceled and the cluster is stopped; everything runs on private
resources (database `bench_queue`, Redis database 11, see _cluster.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

GOAL_SECONDS = 10.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="limit 600/min, samples every 2 s")
    parser.add_argument("--samples", type=int, default=20, help="single images (default 20)")
    args, _ = parser.parse_known_args()
    limit = 600 if args.quick else 100
    first_after, every = (5.0, 2.0) if args.quick else (15.0, 6.0)

    from _cluster import Cluster, RequestLog, median, percentile

    with Cluster("fairness", rate_limit=limit) as cluster:
        from django.db.models import Sum

        from recraft_studio.jobs.models import FINISHED, ApiCall, Job, JobStatus
        from recraft_studio.jobs.services import job_withdraw

        cluster.set_workers(2)
        log = RequestLog(cluster.sandbox)
        ((a, a_project), (c, c_project)) = cluster.people(2, prefix="team")
        ((b, b_project),) = cluster.people(1, prefix="other")
        print(
            f"A queues 600 images (100 jobs × 6); from {first_after:.0f} s on, every "
            f"{every:.0f} s a single image by B (another workspace, same account) or C (A's "
            f"workspace). Limit {limit}/min; 2 workers of concurrency 2; "
            f"{os.cpu_count()} cores.\n",
            flush=True,
        )
        started = time.monotonic()
        burst = [cluster.submit(a, a_project, 6, prompt=f"A burst {i}").pk for i in range(100)]
        a_jobs = Job.objects.filter(pk__in=burst)
        samples = []  # (who, job id, seconds after A's burst was queued)
        for i in range(args.samples):
            time.sleep(max(0.0, started + first_after + i * every - time.monotonic()))
            log.poll()
            who, (membership, project) = (
                ("B", (b, b_project)) if i % 2 == 0 else ("C", (c, c_project))
            )
            job = cluster.submit(membership, project, 1, prompt=f"single {who} {i}")
            samples.append((who, job.pk, time.monotonic() - started))
        single = Job.objects.filter(pk__in=[pk for _, pk, _ in samples])
        deadline = time.monotonic() + 300
        while single.exclude(status__in=FINISHED).exists() and time.monotonic() < deadline:
            log.poll()
            time.sleep(1)
        log.poll()
        a_images = (
            a_jobs.filter(dispatched_at__isnull=False).aggregate(n=Sum("n_outputs"))["n"] or 0
        )
        arrived = {
            (e.get("params") or {}).get("prompt"): e["time"]
            for e in log.all()
            if e.get("status") == 200
        }

        print(f"{'who':3} {'at':>6} {'dispatch':>9} {'sent':>7} {'at API':>7}  status")
        waits: dict[str, dict[str, list[float]]] = {}
        for (who, pk, at), job in zip(
            samples, [Job.objects.get(pk=pk) for _, pk, _ in samples], strict=True
        ):
            call = ApiCall.objects.filter(job=job).order_by("sent_at").first()
            created = job.created_at.timestamp()
            row = {
                "dispatch": job.dispatched_at and job.dispatched_at.timestamp() - created,
                "sent": call and call.sent_at.timestamp() - created,
                "at API": (t := arrived.get(job.prompt)) and t - created,
            }
            for kind, value in row.items():
                if value is not None:
                    for group in (who, "all"):
                        waits.setdefault(group, {}).setdefault(kind, []).append(value)
            cells = " ".join(f"{v:6.1f}s" if v is not None else "      —" for v in row.values())
            print(f"{who:3} {at:5.0f}s  {cells}  {job.status}")

        print(f"\nWait from submission, over {len(samples)} single images (p50 / p95 / max):")
        for group in ("B", "C", "all"):
            parts = []
            for kind in ("dispatch", "sent", "at API"):
                values = waits.get(group, {}).get(kind, [])
                parts.append(
                    f"{kind} {median(values):4.1f} / {percentile(values, 95):4.1f} / "
                    f"{max(values, default=float('nan')):4.1f} s"
                )
            print(f"  {group:4} " + "   ".join(parts))
        worst = max(waits.get("all", {}).get("sent", [float("inf")]))
        met = worst <= GOAL_SECONDS and len(waits.get("all", {}).get("sent", [])) == len(samples)
        print(
            f"\nGoal: started (call sent) within {GOAL_SECONDS:.0f} s: "
            f"{'met' if met else 'NOT met'} (worst {worst:.1f} s). "
            f"A had {a_images} of its 600 images handed out by then "
            f"({time.monotonic() - started:.0f} s after queuing them)."
        )

        # Clean up: A's jobs that have not been sent are canceled; the rest finish.
        for job in a_jobs.filter(status=JobStatus.QUEUED):
            job_withdraw(job=job, actor=a.user)
        deadline = time.monotonic() + 180
        while a_jobs.exclude(status__in=FINISHED).exists() and time.monotonic() < deadline:
            for job in a_jobs.filter(status=JobStatus.QUEUED):
                job_withdraw(job=job, actor=a.user)
            time.sleep(1)
        failed = Job.objects.filter(status=JobStatus.FAILED).count()
        print(
            f"Jobs failed: {failed}; 429s the sandbox answered: "
            f"{sum(1 for e in log.all() if e.get('status') == 429)}."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Chaos on a larger load than the suite's: what a few bad minutes leave behind.

    make bench                                  # every script in tests/bench
    .venv/bin/python tests/bench/chaos.py       # at the real limit (~6–8 min)
    .venv/bin/python tests/bench/chaos.py --quick   # limit 600/min, 60 jobs (~4 min)

150 jobs (n = 1–3, ~300 images; `--jobs`) are queued at once by three people through
`jobs.services.job_submit` and run by two Celery worker processes (concurrency 2)
and the scheduler, against a sandbox at the API's real limit (100 images a minute,
the studio's too) and a private SeaweedFS, with the product's defaults: a job's lease
is 30 s (JOBS_LEASE_SECONDS), storing backs off up to 300 s. Meanwhile:

- the API fails in every way the sandbox can, in three waves (at 0 s, ~50 s, ~100 s):
  500 ×3, 503 ×3, 429 ×3 (Retry-After 2 s), a stall of 3 s ×2;
- a worker is killed (kill -9, its whole process group) while its call is with the
  API (a `slow` fault holds a charged answer back for 8 s), so the call may have been
  charged twice; and two more workers are killed at random moments; each time a new
  worker is started at once;
- the S3 server is killed (as if its host died) for 60 s, then started on its data.

Then it waits for every job to end and prints: jobs done, failed (with reasons),
canceled and unfinished; outputs stored (each read back from S3 and its SHA-256
checked) and duplicates; calls that reached the API against the jobs answered (paid
calls repeated) and the ones recorded as possibly charged twice; the ledger's check
and the account's balance change against what the calls recorded; "deadlock
detected" lines in the logs; and how long each killed worker's running job took to be
taken up by another worker (goal ≤ 60 s with the 30 s lease), beside the jobs that
were handed out but not yet picked up when a worker died.

Everything runs on private resources (database `bench_queue`, Redis database 11,
its own Celery queue, sandbox and SeaweedFS on free ports; see _cluster.py).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

RESUME_GOAL = 60.0
S3_OUTAGE = 60.0


class Chaos:
    def __init__(self, cluster, rng: random.Random):
        self.cluster = cluster
        self.rng = rng
        self.started = time.monotonic()
        #: (job id, lease owner at the kill, when, kind) of jobs a killed worker held.
        self.watch: list[tuple[str, str, float, str]] = []
        self.resumed: dict[tuple[str, float], float] = {}
        #: when the scheduler took the job back from the dead worker (its lease lapsed)
        self.reclaimed: dict[tuple[str, float], float] = {}
        #: the job's status when its worker was killed
        self.status_at_kill: dict[tuple[str, float], str] = {}
        self.kills = 0
        self.events: list[str] = []

    def note(self, text: str) -> None:
        line = f"  {time.monotonic() - self.started:5.0f} s  {text}"
        self.events.append(line)
        print(line, flush=True)

    def faults(self, wave: int) -> None:
        sandbox = self.cluster.sandbox
        sandbox.add_fault("500", count=3, path="generations")
        sandbox.add_fault("503", count=3, path="generations")
        sandbox.add_fault("429", count=3, path="generations", seconds=2)
        sandbox.add_fault("stall", count=2, path="generations", seconds=3)
        self.note(f"fault wave {wave}: 500 ×3, 503 ×3, 429 ×3, stall 3 s ×2")

    def kill_worker_of(self, pid: int, why: str) -> None:
        """kill -9 the worker whose pool process is `pid`, noting what it held."""
        from recraft_studio.jobs.models import DISPATCH_OWNER, Job, JobStatus

        group = _group(pid)
        worker = next((w for w in self.cluster.workers if w.pid == group), None)
        if worker is None:
            self.note(f"no live worker runs process {pid}; nothing killed")
            return
        now = time.monotonic()
        held = [
            (str(pk), owner, status)
            for pk, owner, status in Job.objects.exclude(
                lease_owner__in=["", DISPATCH_OWNER]
            ).values_list("pk", "lease_owner", "status")
            if _pid(owner) is not None and _group(_pid(owner)) == group
        ]
        waiting = list(
            Job.objects.filter(status=JobStatus.DISPATCHED, lease_owner=DISPATCH_OWNER).values_list(
                "pk", flat=True
            )
        )
        self.cluster.kill_worker(worker)
        self.kills += 1
        for pk, owner, status in held:
            self.watch.append((pk, owner, now, "running"))
            self.status_at_kill[(pk, now)] = status
        for pk in waiting:
            self.watch.append((str(pk), DISPATCH_OWNER, now, "handed out"))
        self.note(
            f"kill -9 worker {group} ({why}): it ran {len(held)} job(s); "
            f"{len(waiting)} handed out, not picked up"
        )
        self.cluster.add_worker()
        self.note(f"new worker started ({len(self.cluster.workers)} running)")

    def kill_random(self) -> None:
        from recraft_studio.jobs.models import DISPATCH_OWNER, Job

        alive = {w.pid for w in self.cluster.workers}
        owners = [  # jobs run by a live worker (a dead one's leases have not lapsed yet)
            o
            for o in Job.objects.exclude(lease_owner__in=["", DISPATCH_OWNER]).values_list(
                "lease_owner", flat=True
            )
            if _pid(o) is not None and _group(_pid(o)) in alive
        ]
        if owners:
            self.kill_worker_of(_pid(self.rng.choice(owners)), "at a random moment, busy")
        elif self.cluster.workers:
            self.kill_worker_of(self.cluster.workers[0].pid, "at a random moment, idle")

    def kill_during_call(self, deadline: float) -> None:
        """A slow answer is being made; kill the worker waiting for it."""
        from recraft_studio.jobs.models import ApiCall, CallState, Job

        self.cluster.sandbox.add_fault("slow", count=1, path="generations", seconds=8)
        self.note("next call answered 8 s late (charged at once)")
        while time.monotonic() < deadline:
            slow = [
                e
                for e in self.cluster.sandbox.requests(path="generations")
                if e.get("fault") == "slow" and e.get("status") is None
            ]
            if slow:
                prompt = (slow[-1].get("params") or {}).get("prompt")
                call = (
                    ApiCall.objects.filter(state=CallState.IN_FLIGHT, job__params__prompt=prompt)
                    .select_related("job")
                    .first()
                )
                if call is not None:
                    owner = Job.objects.get(pk=call.job_id).lease_owner
                    if _pid(owner):
                        self.kill_worker_of(_pid(owner), "while its call was with the API")
                        return
            time.sleep(0.2)
        self.note("no slow call seen in time; no kill during a call")

    def check_resumed(self) -> None:
        from recraft_studio.jobs.models import FINISHED, Job

        pending = [w for w in self.watch if (w[0], w[2]) not in self.resumed]
        if not pending:
            return
        rows = {
            str(pk): (owner, status)
            for pk, owner, status in Job.objects.filter(pk__in=[w[0] for w in pending]).values_list(
                "pk", "lease_owner", "status"
            )
        }
        now = time.monotonic()
        for pk, owner, at, _kind in pending:
            current, status = rows[pk]
            if current != owner and (pk, at) not in self.reclaimed:
                self.reclaimed[(pk, at)] = now - at
            if (current not in ("", owner, "scheduler") and _pid(current)) or status in FINISHED:
                self.resumed[(pk, at)] = now - at


def _pid(owner: str) -> int | None:
    parts = owner.split(":")
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None


def _group(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def main() -> int:  # noqa: PLR0915 - one scenario, told in order
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="limit 600/min, 60 jobs")
    parser.add_argument("--jobs", type=int, help="jobs to queue (default 150; quick 60)")
    args, _ = parser.parse_known_args()
    limit = 600 if args.quick else 100
    count = args.jobs or (60 if args.quick else 150)
    rng = random.Random(8)

    from _cluster import BUCKET, Cluster, RequestLog

    with Cluster("chaos", rate_limit=limit) as cluster:
        from django.db.models import Count, Sum

        from recraft_studio.assets.models import Asset
        from recraft_studio.audit.ledger import budget_status, ledger_verify
        from recraft_studio.jobs import reconcile
        from recraft_studio.jobs.accounts import credentials_for
        from recraft_studio.jobs.models import FINISHED, ApiCall, CallState, Job, JobStatus

        cluster.set_workers(2)
        log = RequestLog(cluster.sandbox)
        people = cluster.people(3, prefix="chaos")
        workspace = people[0][0].workspace
        reconcile.balance_check(credentials_for(workspace))
        credits_before = cluster.sandbox.credits(cluster.sandbox.token)
        print(
            f"{count} jobs (n 1–3) from 3 people; limit {limit}/min; 2 workers of "
            f"concurrency 2; lease 30 s; {os.cpu_count()} cores.\n",
            flush=True,
        )
        chaos = Chaos(cluster, rng)
        chaos.faults(1)
        ids = []
        for i in range(count):
            membership, project = people[i % 3]
            ids.append(
                cluster.submit(membership, project, rng.randint(1, 3), prompt=f"chaos {i}").pk
            )
        jobs = Job.objects.filter(pk__in=ids)
        chaos.note(f"{count} jobs queued")
        scale = 0.4 if args.quick else 1.0
        plan = sorted(
            [
                (10 * scale, "kill during call"),
                (25 * scale, "s3 down"),
                (25 * scale + S3_OUTAGE, "s3 up"),
                (50 * scale, "faults 2"),
                (100 * scale, "faults 3"),
                (rng.uniform(35, 70) * scale, "kill random"),
                (rng.uniform(80, 130) * scale, "kill random"),
            ]
        )
        s3_down_at = None
        deadline = time.monotonic() + (900 if not args.quick else 600)
        while time.monotonic() < deadline:
            elapsed = time.monotonic() - chaos.started
            while plan and plan[0][0] <= elapsed:
                _, event = plan.pop(0)
                if event == "kill during call":
                    chaos.kill_during_call(time.monotonic() + 40)
                elif event == "kill random":
                    chaos.kill_random()
                elif event == "s3 down":
                    cluster.s3.kill()
                    s3_down_at = time.monotonic()
                    chaos.note("S3 server killed")
                elif event == "s3 up":
                    time.sleep(max(0.0, s3_down_at + S3_OUTAGE - time.monotonic()))
                    cluster.s3.start()
                    chaos.note(f"S3 server back after {time.monotonic() - s3_down_at:.0f} s")
                else:
                    chaos.faults(int(event[-1]))
            log.poll()
            chaos.check_resumed()
            if not plan and not jobs.exclude(status__in=FINISHED).exists():
                break
            time.sleep(0.5)
        chaos.check_resumed()
        time.sleep(2)
        log.poll()
        chaos.note(
            "all jobs ended" if not jobs.exclude(status__in=FINISHED).exists() else "gave up"
        )

        # --- the audit ---------------------------------------------------------------------
        statuses = Counter(jobs.values_list("status", flat=True))
        reasons = Counter(jobs.filter(status=JobStatus.FAILED).values_list("error", flat=True))
        done = jobs.filter(status=JobStatus.DONE)
        expected = done.aggregate(n=Sum("n_outputs"))["n"] or 0
        assets = list(Asset.objects.filter(job__in=jobs))
        s3 = cluster.s3.client()
        bad = 0
        for asset in assets:
            try:
                body = s3.get_object(Bucket=BUCKET, Key=asset.file_key)["Body"].read()
                bad += hashlib.sha256(body).hexdigest() != asset.sha256
            except Exception:  # noqa: BLE001 - missing or unreadable counts as bad
                bad += 1
        missing = sum(max(0, j.n_outputs - j.stored) for j in done.annotate(stored=Count("assets")))
        duplicates = (
            Asset.objects.filter(job__in=jobs)
            .values("job", "output_index")
            .annotate(c=Count("id"))
            .filter(c__gt=1)
            .count()
        )
        entries = log.all()
        reached = [
            e
            for e in entries
            if e.get("fault") in (None, "slow", "stall") and e.get("status") == 200
        ]
        answered_jobs = jobs.filter(response__isnull=False).count()
        calls = ApiCall.objects.filter(job__in=jobs)
        answered = calls.filter(state=CallState.ANSWERED)
        interrupted = calls.filter(state=CallState.INTERRUPTED)
        in_flight = calls.filter(state=CallState.IN_FLIGHT).count()
        recorded_credits = answered.aggregate(u=Sum("credits"))["u"] or 0
        possible = interrupted.aggregate(u=Sum("possible_units"))["u"] or 0
        reconcile.balance_check(credentials_for(workspace))
        summary = reconcile.reconciliation_summary(account=answered.first().account)
        spent = credits_before - cluster.sandbox.credits(cluster.sandbox.token)
        ledger_problems = [
            problem
            for membership, _ in people[:1]
            for problem in ledger_verify(workspace=membership.workspace)
        ]
        pending = budget_status(workspace=workspace).pending
        deadlocks = sum(
            p.read_text(errors="replace").count("deadlock detected")
            for p in [*cluster.worker_logs(), cluster.logs / "chaos-scheduler.log"]
        )
        faults = Counter(e.get("fault") or "none" for e in entries)

        print("\nWhat happened:")
        print("\n".join(chaos.events))
        print(f"\nCalls to the API: {len(entries)} ({dict(faults)})")
        print("\nOutcome:")
        print(f"  jobs: {dict(statuses)}; unfinished {count - sum(statuses[s] for s in FINISHED)}")
        for reason, n in reasons.items():
            print(f"  failed ×{n}: {reason}")
        print(
            f"  outputs stored {len(assets)} of {expected} for done jobs; missing {missing}; "
            f"unreadable or wrong hash {bad}; duplicates {duplicates}"
        )
        print(
            f"  calls that reached the API {len(reached)} for {answered_jobs} jobs answered: "
            f"paid calls repeated {len(reached) - answered_jobs}; recorded as possibly "
            f"charged twice (interrupted) {interrupted.count()} ({possible} units); "
            f"calls recorded answered {answered.count()}; left in flight {in_flight}"
        )
        print(
            f"  account: balance fell by {spent} units; answered calls recorded "
            f"{recorded_credits}; difference {spent - recorded_credits} "
            f"(explained by possible charges: {0 <= spent - recorded_credits <= possible}); "
            f"reconciliation {summary}"
        )
        print(
            f"  ledger_verify problems {len(ledger_problems)}; budget pending {pending}; "
            f"'deadlock detected' in logs {deadlocks}"
        )
        print("\nResume after a kill (kill → taken up by another worker, or ended):")
        for kind in ("running", "handed out"):
            watched = [w for w in chaos.watch if w[3] == kind]
            times = [chaos.resumed.get((pk, at)) for pk, _, at, _ in watched]
            done_times = [t for t in times if t is not None]
            if watched:
                print(
                    f"  {kind:<11} {len(watched)} job(s): "
                    + ", ".join(f"{t:.0f} s" for t in sorted(done_times))
                    + (f"; {len(times) - len(done_times)} never" if None in times else "")
                    + f"  (max {max(done_times, default=float('nan')):.0f} s, "
                    f"goal ≤ {RESUME_GOAL:.0f} s)"
                )
            else:
                print(f"  {kind:<11} none")
        for pk, _, at, kind in chaos.watch:
            if kind == "running":
                job = Job.objects.get(pk=pk)
                reclaimed = chaos.reclaimed.get((pk, at), float("nan"))
                resumed = chaos.resumed.get((pk, at), float("nan"))
                print(
                    f"    job {pk[:8]}: {chaos.status_at_kill[(pk, at)]} at the kill; lease "
                    f"gone after {reclaimed:.0f} s, taken up after {resumed:.0f} s; "
                    f"now {job.status}, {job.api_attempts} API retries, "
                    f"{job.store_attempts} store retries"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Who goes next: the scheduler hands waiting jobs to the workers, with their permits.

Jobs wait in the database. One scheduler process at a time (a lease in Redis elects
it; start one per host for redundancy) repeats a short *tick*:

1. **Reclaim.** A job whose lease lapsed has no worker: a running job's worker died,
   or a dispatched job was never picked up. It goes back in line at the place it had
   (or, answered already, back to storing). Permits it held for a call that was
   never sent are given back.
2. **Store.** Answered jobs waiting to (re)try storing are handed out; they need no
   permits and are never paused.
3. **Call.** For each Recraft account, waiting jobs are handed out in a fair order,
   each with one permit per image it will make, while the account's window and
   pacing have room (`recraft.ratelimit`). Workers only ever receive jobs that have
   their permits, so none sleeps on the limit.
4. **Forecast.** Every waiting job gets its place in line and an estimate of when it
   starts, which its card shows.

**Fair order.** People take turns by images (start-time fair queuing): each lane (a
person, in a workspace) has a virtual time that grows by the images it is handed;
the lane with the smallest goes next, and a lane that was idle starts at the
current time, not in the past. So one person's 600-image burst delays another's
single image only until the next permits are free. Within a lane, jobs go in the
order asked (`queue_seq`; a person may move one of theirs to the front). The head
of the chosen lane waits for all its permits: a job of six is never starved by
single images behind it.
"""

from __future__ import annotations

import heapq
import json
import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

import redis
from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import DateTimeField, ExpressionWrapper, Q, Sum, Value
from django.db.models.functions import Now
from django.utils import timezone

from recraft_studio.workspaces.models import Workspace

from .accounts import account_of, credentials_for, rate_limiter, redis_client
from .models import DISPATCH_OWNER, CallState, Job, JobStatus
from .wake import WAKE_KEY

logger = logging.getLogger(__name__)

LEADER_KEY = "studio:scheduler:leader"
ALIVE_KEY = "studio:scheduler:alive"
LANES = "studio:lanes:{}"
REFUNDS = "studio:lanes:refunds"
FORECAST = "studio:wait:{}"
ACCOUNT_PAUSE = "studio:rate-pause:{}"
#: How many waiting jobs of an account are looked at (and forecast) per tick.
HORIZON = 2000
#: Forecasts live this long: a card without one says the scheduler is not running.
FORECAST_SECONDS = 15

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


def _until(seconds: float):
    return ExpressionWrapper(
        Now() + Value(timedelta(seconds=seconds)), output_field=DateTimeField()
    )


def lane_refund(job: Job) -> None:
    """Give a lane back the turn a job used without being served (a 429, a dead worker),
    so the job keeps its place in line."""
    if job.account and job.lane and job.n_outputs:
        try:
            redis_client().rpush(REFUNDS, json.dumps([job.account, job.lane, job.n_outputs]))
        except redis.RedisError as exc:
            logger.warning("Could not refund the turn of job %s: %s", job.pk, exc)


@dataclass
class Waiting:
    id: str
    workspace_id: int
    project_id: int
    created_by_id: int | None
    lane: str
    seq: int
    n: int


@dataclass
class AccountQueue:
    account: str
    lanes: dict[str, list[Waiting]] = field(default_factory=lambda: defaultdict(list))
    blocked: dict[str, str] = field(default_factory=dict)  # lane → why it may not start
    #: lane → [images each person may start per hour, images started in the last hour]
    caps: dict[str, list[int]] = field(default_factory=dict)

    def over_cap(self, lane: str, n: int) -> bool:
        """Whether the lane's next `n` images would pass its person's hourly cap; if so
        the lane waits, saying why."""
        cap = self.caps.get(lane)
        if cap is None or cap[1] + n <= cap[0]:
            return False
        self.blocked[lane] = (
            f"Waiting: you have started {cap[1]} images this hour; the workspace allows "
            f"{cap[0]} per person per hour."
        )
        return True


@dataclass
class TickResult:
    dispatched: int = 0
    reclaimed: int = 0
    storing: int = 0
    next_in: float = 1.0


class Scheduler:
    """One scheduler's state between ticks; `run` loops while it leads."""

    def __init__(self):
        self.name = uuid.uuid4().hex
        self.redis = redis_client()
        self.limiter = rate_limiter()
        self._renew = self.redis.register_script(_RENEW)
        self._last_forecast = 0.0

    # --- leadership ------------------------------------------------------------------

    def lead(self) -> bool:
        """Take or keep the lead; only the leader ticks."""
        ttl = int(settings.JOBS_SCHEDULER_LEASE_SECONDS * 1000)
        if self._renew(keys=[LEADER_KEY], args=[self.name, ttl]):
            return True
        return bool(self.redis.set(LEADER_KEY, self.name, nx=True, px=ttl))

    def run(self, *, stop=lambda: False) -> None:
        logger.info("Scheduler %s started", self.name)
        while not stop():
            try:
                if not self.lead():
                    time.sleep(1.0)
                    continue
                close_old_connections()  # a long-lived process: drop broken connections
                result = self.tick()
                self.redis.set(ALIVE_KEY, time.time(), ex=10)
                self.redis.blpop([WAKE_KEY], timeout=max(min(result.next_in, 1.0), 0.01))
                self.redis.delete(WAKE_KEY)
            except Exception as exc:  # keep scheduling through outages of Redis or the database
                logger.warning("Scheduler tick failed: %s", exc, exc_info=True)
                close_old_connections()
                time.sleep(1.0)
        self.redis.eval(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end",
            1,
            LEADER_KEY,
            self.name,
        )

    # --- one tick ----------------------------------------------------------------------

    def tick(self) -> TickResult:
        result = TickResult()
        result.reclaimed = self.reclaim()
        result.storing = self.dispatch_storing()
        dispatched, next_in = self.dispatch_calls()
        result.dispatched = dispatched
        result.next_in = next_in
        return result

    def reclaim(self) -> int:
        """Jobs whose lease lapsed go back to wait (keeping their place) or to storing."""
        count = 0
        lapsed = list(
            Job.objects.filter(
                status__in=[JobStatus.DISPATCHED, JobStatus.RUNNING, JobStatus.GENERATED],
                lease_expires_at__lt=Now(),
            )
            .exclude(lease_owner="")
            .values_list("pk", flat=True)[:500]
        )
        for job_id in lapsed:
            with transaction.atomic():
                job = (
                    Job.objects.select_for_update(no_key=True, of=("self",), skip_locked=True)
                    .filter(pk=job_id, lease_expires_at__lt=Now())
                    .exclude(lease_owner="")
                    .first()
                )
                if job is None:
                    continue
                was_running = job.lease_owner != DISPATCH_OWNER
                if job.response is None:
                    sent = job.calls.filter(state=CallState.IN_FLIGHT).exists()
                    if not sent and job.permits:
                        self.limiter.give_back(job.account, job.permit_holder, job.permits)
                    lane_refund(job)
                    job.status = JobStatus.QUEUED
                    job.permits = 0
                    job.waiting = (
                        "Its worker stopped; it is back in line at its place."
                        if was_running
                        else "No worker picked it up in time; it is back in line at its place."
                    )
                else:
                    job.waiting = "Its worker stopped; another one is taking over."
                job.lease_owner, job.lease_expires_at = "", None
                job.save(
                    update_fields=[
                        "status",
                        "permits",
                        "waiting",
                        "lease_owner",
                        "lease_expires_at",
                        "updated_at",
                    ]
                )
                count += 1
                logger.warning("Reclaimed job %s (its lease lapsed)", job_id)
        return count

    def dispatch_storing(self) -> int:
        """Hand out answered jobs that are due to store their outputs."""
        due = list(
            Job.objects.filter(status=JobStatus.GENERATED, lease_owner="")
            .filter(Q(not_before__isnull=True) | Q(not_before__lte=Now()))
            .values_list("pk", flat=True)[:200]
        )
        handed = 0
        for job_id in due:
            taken = Job.objects.filter(
                pk=job_id, status=JobStatus.GENERATED, lease_owner=""
            ).update(
                lease_owner=DISPATCH_OWNER,
                lease_expires_at=_until(settings.JOBS_DISPATCH_LEASE_SECONDS),
                updated_at=Now(),
            )
            if taken:
                self._enqueue(job_id)
                handed += 1
        return handed

    def _enqueue(self, job_id) -> None:
        from .tasks import job_run_task

        try:
            job_run_task.apply_async(args=[str(job_id)])
        except Exception as exc:  # the broker is away: the dispatch lease will lapse
            logger.warning("Could not hand job %s to the workers: %s", job_id, exc)

    # --- calls -------------------------------------------------------------------------

    def _queues(self) -> tuple[dict[str, AccountQueue], dict[str, str]]:
        """Waiting jobs by account and lane, and the jobs that wait for a reason of
        their own (paused) with that reason."""
        rows = list(
            Job.objects.filter(status=JobStatus.QUEUED)
            .filter(Q(not_before__isnull=True) | Q(not_before__lte=Now()))
            .order_by("queue_seq")
            .values_list(
                "pk",
                "workspace_id",
                "project_id",
                "created_by_id",
                "lane",
                "queue_seq",
                "n_outputs",
                "project__queue_paused_at",
            )[:HORIZON]
        )
        workspaces = Workspace.objects.in_bulk({r[1] for r in rows})
        accounts: dict[int, str] = {}
        queues: dict[str, AccountQueue] = {}
        paused: dict[str, str] = {}
        for pk, ws_id, project_id, user_id, lane, seq, n, project_paused in rows:
            workspace = workspaces[ws_id]
            if workspace.queue_paused_at is not None:
                paused[str(pk)] = "Paused: an owner paused this workspace's queue."
                continue
            if project_paused is not None:
                paused[str(pk)] = "Paused: an owner paused this project's queue."
                continue
            if ws_id not in accounts:
                accounts[ws_id] = account_of(credentials_for(workspace))
            account = accounts[ws_id]
            queue = queues.setdefault(account, AccountQueue(account))
            queue.lanes[lane or f"{ws_id}:p{project_id}"].append(
                Waiting(str(pk), ws_id, project_id, user_id, lane, seq, n)
            )
        self._block_capped(queues, workspaces)
        return queues, paused

    def _block_capped(self, queues: dict[str, AccountQueue], workspaces) -> None:
        """Note each capped person's images of the last hour, for `over_cap`."""
        hour_ago = timezone.now() - timedelta(hours=1)
        for queue in queues.values():
            for lane, jobs in queue.lanes.items():
                head = jobs[0]
                cap = workspaces[head.workspace_id].member_hourly_images
                if not cap or head.created_by_id is None:
                    continue
                used = (
                    Job.objects.filter(
                        workspace_id=head.workspace_id,
                        created_by_id=head.created_by_id,
                        dispatched_at__gte=hour_ago,
                    ).aggregate(images=Sum("n_outputs"))["images"]
                    or 0
                )
                queue.caps[lane] = [cap, used]

    def _refunds(self) -> dict[tuple[str, str], float]:
        refunds: dict[tuple[str, str], float] = defaultdict(float)
        while raw := self.redis.lpop(REFUNDS):
            account, lane, n = json.loads(raw)
            refunds[(account, lane)] += n
        return refunds

    def dispatch_calls(self) -> tuple[int, float]:
        queues, paused = self._queues()
        refunds = self._refunds()
        dispatched = 0
        next_in = 1.0
        forecasts: dict[str, dict] = {
            job_id: {"reason": reason, "paused": True} for job_id, reason in paused.items()
        }
        for account, queue in queues.items():
            key = LANES.format(account)
            stored = {k.decode(): float(v) for k, v in self.redis.hgetall(key).items()}
            clock = stored.pop("__clock__", 0.0)
            lanes_vt = {lane: vt for lane, vt in stored.items()}
            for (refund_account, lane), n in refunds.items():
                if refund_account == account and lane in lanes_vt:
                    lanes_vt[lane] = max(lanes_vt[lane] - n, 0.0)
            waiting_for = 0.0
            account_paused = self.redis.pttl(ACCOUNT_PAUSE.format(account))
            if account_paused and account_paused > 0:
                waiting_for = account_paused / 1000
            elif self._ahead(account) < settings.JOBS_DISPATCH_AHEAD:
                count, clock, waiting_for = self._serve(queue, lanes_vt, clock)
                dispatched += count
            if waiting_for:
                next_in = min(next_in, waiting_for)
            # A lane at or behind the clock would start at the clock anyway: forget it.
            kept = {lane: vt for lane, vt in lanes_vt.items() if vt > clock}
            pipe = self.redis.pipeline()
            pipe.delete(key)
            pipe.hset(key, mapping={**kept, "__clock__": clock})
            pipe.expire(key, 24 * 3600)
            pipe.execute()
            forecasts.update(self._forecast(queue, lanes_vt, clock, account_paused))
        now = time.monotonic()
        if forecasts and now - self._last_forecast >= 0.5:
            self._last_forecast = now
            pipe = self.redis.pipeline(transaction=False)
            for job_id, forecast in forecasts.items():
                pipe.set(FORECAST.format(job_id), json.dumps(forecast), ex=FORECAST_SECONDS)
            pipe.execute()
        return dispatched, next_in

    def _ahead(self, account: str) -> int:
        """Jobs of the account handed out and not yet picked up by a worker."""
        return Job.objects.filter(status=JobStatus.DISPATCHED, account=account).count()

    @staticmethod
    def _order(queue: AccountQueue, lanes_vt: dict[str, float], clock: float):
        """The lanes that may go, by the tag they would start at (then by who waited longest)."""
        for lane, jobs in queue.lanes.items():
            if jobs and lane not in queue.blocked:
                yield max(lanes_vt.get(lane, 0.0), clock), jobs[0].seq, lane

    def _serve(self, queue: AccountQueue, lanes_vt: dict[str, float], clock: float):
        """Hand out the account's jobs in fair order while permits allow."""
        count = 0
        ahead = self._ahead(queue.account)
        while ahead < settings.JOBS_DISPATCH_AHEAD:
            candidates = sorted(self._order(queue, lanes_vt, clock))
            if not candidates:
                return count, clock, 0.0
            tag, _, lane = candidates[0]
            head = queue.lanes[lane][0]
            if queue.over_cap(lane, head.n):
                continue
            holder = f"{head.id}/{uuid.uuid4().hex[:8]}"
            grant = self.limiter.take(queue.account, head.n, holder)
            if not grant.granted:
                return count, clock, grant.wait
            taken = Job.objects.filter(pk=head.id, status=JobStatus.QUEUED).update(
                status=JobStatus.DISPATCHED,
                account=queue.account,
                permits=head.n,
                permit_holder=holder,
                dispatched_at=Now(),
                lease_owner=DISPATCH_OWNER,
                lease_expires_at=_until(settings.JOBS_DISPATCH_LEASE_SECONDS),
                not_before=None,
                waiting="",
                updated_at=Now(),
            )
            queue.lanes[lane].pop(0)
            if not taken:  # canceled (or moved) since it was read
                self.limiter.give_back(queue.account, holder, head.n)
                continue
            clock = tag
            lanes_vt[lane] = tag + head.n
            if lane in queue.caps:
                queue.caps[lane][1] += head.n
            self._enqueue(head.id)
            count += 1
            ahead += 1
        return count, clock, 0.0

    def _forecast(self, queue: AccountQueue, lanes_vt, clock, account_paused) -> dict[str, dict]:
        """Each waiting job's place in the account's line and when it should start."""
        state = self.limiter.state(queue.account)
        per_image = self.limiter.window / self.limiter.limit
        lanes = {lane: list(jobs) for lane, jobs in queue.lanes.items()}
        vt = dict(lanes_vt)
        ahead_images = 0
        position = 0
        out: dict[str, dict] = {}
        pause = max(account_paused or 0, 0) / 1000
        heap = [
            (max(vt.get(lane, 0.0), clock), jobs[0].seq, lane)
            for lane, jobs in lanes.items()
            if jobs and lane not in queue.blocked
        ]
        heapq.heapify(heap)
        caps = {lane: list(cap) for lane, cap in queue.caps.items()}
        while heap:
            tag, _, lane = heapq.heappop(heap)
            job = lanes[lane][0]
            cap = caps.get(lane)
            if cap is not None and cap[1] + job.n > cap[0]:
                queue.over_cap(lane, job.n)
                continue  # the rest of this lane waits for the cap, reported below
            if cap is not None:
                cap[1] += job.n
            lanes[lane].pop(0)
            position += 1
            ahead_images += job.n
            eta = state.seconds_until_free(ahead_images)
            if eta == float("inf"):  # past what the window holds now: at the steady rate
                eta = (ahead_images - state.free - state.used) * per_image + self.limiter.window
            eta = max(eta, pause)
            out[job.id] = {
                "position": position,
                "images_ahead": ahead_images - job.n,
                "eta": round(eta, 1),
                "limit": self.limiter.limit,
                "rate_limited": bool(pause),
            }
            clock = tag
            vt[lane] = tag + job.n
            if lanes[lane]:
                heapq.heappush(heap, (max(vt[lane], clock), lanes[lane][0].seq, lane))
        for lane, jobs in lanes.items():
            for job in jobs:
                out[job.id] = {"reason": queue.blocked.get(lane, ""), "capped": True}
        return out


def scheduler_alive() -> bool:
    """Whether a scheduler has ticked in the last few seconds."""
    try:
        return bool(redis_client().exists(ALIVE_KEY))
    except redis.RedisError:
        return False


def job_forecast(job_id) -> dict | None:
    try:
        raw = redis_client().get(FORECAST.format(job_id))
    except redis.RedisError:
        return None
    return json.loads(raw) if raw else None

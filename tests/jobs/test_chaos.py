"""Chaos on real services: workers killed at each step, storage stopped for a minute,
the API failing, several workers at once on PostgreSQL.

These tests run a cluster of their own: worker processes (each in its own process
group, so a "host" can die whole), a scheduler, and a private SeaweedFS S3 server they
stop and start again with its data. The suite's own scheduler is stopped meanwhile so
that these jobs go to these workers only.

Every test ends with the same audit of what happened: every job done (or failed for
a reason that is true), every output stored once, no paid call repeated beyond the
ones recorded as possibly charged, one settling event per job, the ledger agreeing
with the trail, and the account's balance explained by the recorded calls.
"""

from __future__ import annotations

import hashlib
import html
import os
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db.models import Sum
from django.urls import reverse

from recraft_studio.assets.models import Asset
from recraft_studio.audit.ledger import budget_status, ledger_verify
from recraft_studio.audit.models import AuditEvent
from recraft_studio.jobs import reconcile
from recraft_studio.jobs.accounts import credentials_for, redis_client
from recraft_studio.jobs.checkpoints import AT, HOLD, POINTS
from recraft_studio.jobs.models import ApiCall, CallState, Job
from recraft_studio.workspaces.models import Role
from tests import services as suite
from tests.factories import ProjectFactory
from tests.s3server import SeaweedS3
from tests.services import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.chaos, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
CHAOS_QUEUE = "studio-chaos"
BUCKET = "studio-chaos"
FORM = {
    "prompt": "a red panda mascot waving",
    "model": "recraftv3",
    "style": "digital_illustration",
    "size": "1024x1024",
    "n": "2",
}


class Cluster:
    """Worker processes and a scheduler on the chaos queue, with a private S3 server."""

    def __init__(self, s3: SeaweedS3):
        self.s3 = s3
        self.workers: list = []
        self.scheduler = None
        self.env = {
            **os.environ,
            "DATABASE_URL": suite._database_url(),
            "PYTHONUNBUFFERED": "1",
            "JOBS_CHAOS_HOOKS": "true",
            "CELERY_QUEUE": CHAOS_QUEUE,
            "S3_ENDPOINT_URL": s3.endpoint,
            "S3_BUCKET": BUCKET,
            # Shorter than the 30 s default so the suite watches a dead worker's job
            # come back sooner (tests/bench/chaos.py measures it with the default), and a
            # storage outage of a minute is over soon after it ends.
            "JOBS_LEASE_SECONDS": os.environ.get("TEST_CHAOS_LEASE_SECONDS", "10"),
            "JOBS_STORE_BACKOFF_CAP_SECONDS": "8",
        }

    def start(self, workers: int = 2) -> None:
        log = suite.LOGS
        for i in range(workers):
            self.add_worker(log / f"chaos-worker-{i}.log")
        self.scheduler = suite.start_scheduler(self.env, log / "chaos-scheduler.log")

    def add_worker(self, log_path: Path):
        worker = suite.start_worker(
            self.env, log_path, concurrency=2, name="chaos", new_session=True
        )
        self.workers.append(worker)
        return worker

    def kill_host_of(self, pid: int) -> None:
        """kill -9 the whole worker (main process and its pool) that `pid` belongs to."""
        group = os.getpgid(pid)
        os.killpg(group, signal.SIGKILL)
        self.workers = [w for w in self.workers if w.pid != group]

    def stop(self) -> None:
        for process in [self.scheduler, *self.workers]:
            if process is not None:
                suite.stop(process)


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    server = SeaweedS3(SeaweedS3.free_port(), tmp_path_factory.mktemp("seaweed"))
    server.start()
    server.ensure_bucket(BUCKET)
    yield server
    server.kill()


@pytest.fixture(scope="module")
def cluster(celery_worker, s3_server, django_db_setup):
    suite.pause_suite_scheduler()
    cluster = Cluster(s3_server)
    cluster.start()
    yield cluster
    cluster.stop()
    suite.resume_suite_scheduler()


@pytest.fixture
def team(cluster, fresh_sandbox, member, logged_in, settings):
    """A designer's client, the project, the sandbox; storage is the chaos S3 in here too."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {
                **settings.STORAGES["default"]["OPTIONS"],
                "bucket_name": BUCKET,
                "endpoint_url": cluster.s3.endpoint,
            },
        },
    }
    user, membership = member(Role.DESIGNER)
    project = ProjectFactory(workspace=membership.workspace)
    reconcile.balance_check(credentials_for(project.workspace))
    return logged_in(user), project, fresh_sandbox


def card(client, job) -> str:
    """The job's card as its page polls it, as text (entities decoded)."""
    return html.unescape(client.get(reverse("job_status", args=[job.pk])).content.decode())


def submit(client, project, **changes) -> Job:
    url = reverse("project", args=[project.workspace.slug, project.slug])
    response = client.post(url, {**FORM, **changes}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return Job.objects.filter(project=project).latest("created_at")


def all_ended(jobs, timeout=180):
    ids = [j.pk for j in jobs]
    return wait_for(
        lambda: (
            (found := list(Job.objects.filter(pk__in=ids)))
            and all(j.is_finished for j in found)
            and found
        ),
        timeout=timeout,
        what=f"{len(ids)} jobs to end",
    )


def hold(point: str) -> None:
    redis_client().set(HOLD.format(point), 1, ex=300)


def held_at(point: str) -> tuple[int, str]:
    raw = wait_for(lambda: redis_client().get(AT.format(point)), what=f"a run to stop at {point}")
    pid, job_id = raw.decode().split()
    return int(pid), job_id


def release(point: str) -> None:
    redis_client().delete(HOLD.format(point), AT.format(point))


def audit_outcome(cluster, project, sandbox, jobs, *, resent: int = 0) -> None:
    """What must hold after any chaos: said once here for every test."""
    jobs = list(Job.objects.filter(pk__in=[j.pk for j in jobs]))
    s3 = cluster.s3.client()
    for job in jobs:
        assert job.status == "done", f"{job.pk}: {job.status} {job.error}"
        assets = list(Asset.objects.filter(job=job))
        assert sorted(a.output_index for a in assets) == list(range(job.n_outputs))
        for asset in assets:  # stored, whole, where the row says
            body = s3.get_object(Bucket=BUCKET, Key=asset.file_key)["Body"].read()
            assert hashlib.sha256(body).hexdigest() == asset.sha256
    ids = [str(j.pk) for j in jobs]
    # Each job was settled exactly once on the trail.
    settled = Counter(
        AuditEvent.objects.filter(
            verb__in=["job.completed", "job.failed", "job.canceled"], target_id__in=ids
        ).values_list("target_id", flat=True)
    )
    assert len(settled) == len(jobs) and set(settled.values()) == {1}
    # Every call the API answered is recorded, once, with its charge on the trail; a
    # call is sent again only after one recorded as possibly charged.
    answered = ApiCall.objects.filter(job__in=jobs, state=CallState.ANSWERED)
    # Calls that reached the API's handler (injected refusals never do; a stall does).
    reached = [
        r for r in sandbox.requests(path="generations") if r.get("fault") in (None, "stall", "slow")
    ]
    assert answered.count() == len(jobs)
    assert len(reached) == len(jobs) + resent, [
        (r.get("fault"), r.get("status")) for r in sandbox.requests(path="generations")
    ]
    assert AuditEvent.objects.filter(verb="job.charged", target_id__in=ids).count() == len(jobs)
    trail = AuditEvent.objects.filter(verb="job.charged", target_id__in=ids)
    assert trail.aggregate(u=Sum("actual_cost"))["u"] == answered.aggregate(u=Sum("credits"))["u"]
    assert not ApiCall.objects.filter(job__in=jobs, state=CallState.IN_FLIGHT).exists()
    assert ledger_verify(workspace=project.workspace) == []
    assert budget_status(workspace=project.workspace).pending == 0
    # The account's balance fell by exactly what the recorded calls explain.
    reconcile.balance_check(credentials_for(project.workspace))
    summary = reconcile.reconciliation_summary(account=answered.first().account)
    assert 0 <= summary["unexplained"] <= summary["possible"], summary


@pytest.mark.parametrize("point", POINTS)
def test_a_worker_killed_at_each_step_leaves_no_paid_work_lost(cluster, team, point):
    client, project, sandbox = team
    hold(point)
    job = submit(client, project)
    pid, job_id = held_at(point)
    assert job_id == str(job.pk)
    cluster.kill_host_of(pid)
    release(point)
    killed_at = time.monotonic()
    cluster.add_worker(suite.LOGS / f"chaos-worker-after-{point}.log")

    (job,) = all_ended([job], timeout=120)
    resumed_in = time.monotonic() - killed_at

    # A job whose worker died is resumed within a minute (here its lease lapses in 10 s).
    assert resumed_in < 60, f"resumed after {resumed_in:.0f} s"
    audit_outcome(cluster, project, sandbox, [job])
    calls = ApiCall.objects.filter(job=job)
    if point == "before_call":
        assert [c.state for c in calls] == [CallState.ANSWERED]
    else:
        # The answer was recorded before the kill: nothing is sent again.
        assert calls.count() == 1


def test_a_worker_killed_while_its_call_is_with_the_api_records_the_second_charge(cluster, team):
    client, project, sandbox = team
    # The API makes (and charges for) the images at once but holds the answer back: the
    # worker dies meanwhile.
    sandbox.set_faults("slow", count=1, path="generations", seconds=4)
    job = submit(client, project)
    call = wait_for(
        lambda: ApiCall.objects.filter(job=job, state=CallState.IN_FLIGHT).first(),
        what="the call to be on its way",
    )
    wait_for(lambda: sandbox.requests(path="generations"), what="the API to have the call")
    owner = Job.objects.get(pk=job.pk).lease_owner  # host:pid:run of the pool process
    cluster.kill_host_of(int(owner.split(":")[1]))
    cluster.add_worker(suite.LOGS / "chaos-worker-after-during-call.log")

    (job,) = all_ended([job], timeout=120)

    calls = list(ApiCall.objects.filter(job=job).order_by("sent_at"))
    assert calls[0].pk == call.pk
    assert [(c.state, c.resend) for c in calls] == [
        (CallState.INTERRUPTED, False),
        (CallState.ANSWERED, True),
    ]
    # Paid twice, and the ledger says so: 80 charged, 80 possibly charged; the balance
    # (160 gone) confirms that the interrupted call was charged too.
    status = budget_status(workspace=project.workspace)
    assert (status.charged, status.possible) == (80, 80)
    audit_outcome(cluster, project, sandbox, [job], resent=1)
    summary = reconcile.reconciliation_summary(account=calls[0].account)
    assert summary["unexplained"] == summary["possible"] == 80


def test_storage_stopped_for_a_minute_fails_no_paid_job(cluster, team, logged_in):
    client, project, sandbox = team
    cluster.s3.kill()  # storage is gone at once, as when its host dies
    stopped_at = time.monotonic()
    try:
        jobs = [submit(client, project) for _ in range(3)]
        shown = wait_for(
            lambda: (
                "Retrying after an error of the studio's storage" in (body := card(client, jobs[0]))
                and body
            ),
            timeout=60,
            what="the card to say storage is being retried",
        )
        reason = shown.split('data-testid="job-reason">', 1)[1].split("</p>", 1)[0]
        assert "paid for and wait at the API until" in reason
        for secret in (cluster.s3.endpoint, BUCKET, "127.0.0.1", "http", "originals/"):
            assert secret not in reason
        # Submitting an upload now is a clear error on the form, not a 500.
        response = client.post(
            reverse("asset_upload", args=[project.workspace.slug, project.slug]),
            {"file": _png_upload()},
        )
        assert response.status_code == 200
        assert "storage" in response.content.decode()
        time.sleep(max(0.0, stopped_at + 60 - time.monotonic()))  # a whole minute away
    finally:
        cluster.s3.start()  # with its data, once ready

    jobs = all_ended(jobs, timeout=120)
    audit_outcome(cluster, project, sandbox, jobs)
    assert all(j.store_attempts >= 1 for j in jobs)


def test_the_api_failing_in_every_way_is_retried_to_the_end(cluster, team):
    client, project, sandbox = team
    sandbox.set_faults("500", count=2, path="generations")
    sandbox.add_fault("503", count=2, path="generations")
    sandbox.add_fault("429", count=2, path="generations", seconds=1)
    sandbox.add_fault("stall", count=1, path="generations", seconds=2)

    jobs = [submit(client, project, n="1") for _ in range(8)]
    jobs = all_ended(jobs, timeout=180)

    audit_outcome(cluster, project, sandbox, jobs)
    assert ApiCall.objects.filter(job__in=jobs, http_status=429).count() == 2
    assert ApiCall.objects.filter(job__in=jobs, http_status__in=[500, 503]).count() == 4
    assert not ApiCall.objects.filter(job__in=jobs, state=CallState.IN_FLIGHT).exists()


def test_four_workers_at_once_on_postgresql_settle_every_job_without_deadlock(cluster, team):
    client, project, sandbox = team
    cluster.add_worker(suite.LOGS / "chaos-worker-extra-1.log")
    cluster.add_worker(suite.LOGS / "chaos-worker-extra-2.log")

    jobs = [submit(client, project, n=str(1 + i % 3)) for i in range(40)]
    jobs = all_ended(jobs, timeout=240)

    audit_outcome(cluster, project, sandbox, jobs)
    for log in suite.LOGS.glob("chaos-worker*.log"):
        assert "deadlock detected" not in log.read_text()


def _png_upload():
    import io

    from tests.images import png

    upload = io.BytesIO(png(64, 64))
    upload.name = "a.png"
    return upload

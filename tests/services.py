"""Session fixtures for the real services the integration tests talk to.

- `sandbox`: the sandbox process on `settings.SANDBOX_PORT`, the API the studio uses
  in tests (settings point there because `RECRAFT_API_TOKEN` is empty);
- `celery_worker`: a Celery worker process on the test database and the test queue,
  with the job scheduler process beside it (workers only run what it hands out);
- `s3`: a boto3 client for the bucket `make test` created, to look inside it;
- `private_s3`: a SeaweedFS of the test's own on free ports, for chaos tests that stop
  and start storage (see tests/s3server.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from recraft_studio.sandbox.process import SandboxProcess
from tests.s3server import SeaweedS3

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "var" / "log"
ADMIN_SECRET = "test-admin-secret"


@pytest.fixture(scope="session")
def sandbox():
    """The sandbox the studio talks to during the tests."""
    with SandboxProcess(
        port=settings.SANDBOX_PORT,
        tokens=[settings.SANDBOX_TOKEN],
        admin_secret=ADMIN_SECRET,
    ) as process:
        yield process


#: Redis keys of the studio's queue state, forgotten between tests.
QUEUE_STATE = (
    "studio:rate:*",
    "studio:rate-pause:*",
    "studio:lanes:*",
    "studio:wait:*",
    "studio:answer:*",
    "studio:chaos:*",
)


def forget_queue_state() -> None:
    """Rate windows, lanes, forecasts and journals of earlier tests (not the broker's keys)."""
    from recraft_studio.jobs.accounts import redis_client

    client = redis_client()
    for pattern in QUEUE_STATE:
        keys = list(client.scan_iter(pattern, count=1000))
        if keys:
            client.delete(*keys)


@pytest.fixture
def fresh_sandbox(sandbox):
    """The sandbox with no faults, its starting credits, and an empty request log; the
    studio's rate windows and queue state forgotten."""
    sandbox.reset()
    forget_queue_state()
    yield sandbox
    sandbox.reset()


def _database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, sandbox):
    """A real Celery worker process, consuming the test queue on the test database."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("Integration tests run on PostgreSQL: use `make test`.")
    if not settings.S3_BUCKET:
        pytest.skip("Integration tests store images in S3: use `make test`.")
    LOGS.mkdir(parents=True, exist_ok=True)
    name = settings.DATABASES["default"]["NAME"]
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "PYTHONUNBUFFERED": "1",
        "JOBS_CHAOS_HOOKS": "true",
    }
    celery = [sys.executable, "-m", "celery", "-A", "recraft_studio"]
    subprocess.run([*celery, "purge", "-f"], env=env, cwd=ROOT, check=True, capture_output=True)
    worker = start_worker(env, LOGS / f"test-worker-{name}.log", concurrency=2)
    SUITE.update(env=env, scheduler=start_scheduler(env, LOGS / f"test-scheduler-{name}.log"))
    yield worker
    for process in (SUITE.pop("scheduler", None), worker):
        if process is not None:
            stop(process)


#: The suite's own scheduler process and its environment (tests that run a cluster of
#: their own stop it meanwhile, so that only theirs hands out jobs).
SUITE: dict = {}


def pause_suite_scheduler() -> None:
    scheduler = SUITE.pop("scheduler", None)
    if scheduler is not None:
        stop(scheduler)


def resume_suite_scheduler() -> None:
    if "env" in SUITE and SUITE.get("scheduler") is None:
        name = settings.DATABASES["default"]["NAME"]
        SUITE["scheduler"] = start_scheduler(
            SUITE["env"], LOGS / f"test-scheduler-{name}-resumed.log"
        )


def _wait_for_line(process, log_path: Path, line: bytes, what: str) -> None:
    deadline = time.monotonic() + 60
    while line not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"{what} did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.2)


def start_worker(
    env: dict, log_path: Path, *, concurrency: int = 2, name: str = "test", new_session=False
):
    """A Celery worker process on the test queue; returns once it is ready.

    `new_session` puts it in a process group of its own, to be killed whole."""
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "recraft_studio",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                str(concurrency),
                "--hostname",
                f"{name}-{os.getpid()}-{time.monotonic_ns()}@%h",
                "--without-gossip",
                "--without-mingle",
            ],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=new_session,
        )
    _wait_for_line(worker, log_path, b" ready.", "The Celery worker")
    return worker


def start_scheduler(env: dict, log_path: Path):
    """The job scheduler process; returns once it is ready."""
    with open(log_path, "wb") as log:
        scheduler = subprocess.Popen(
            [sys.executable, "manage.py", "run_scheduler"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    _wait_for_line(scheduler, log_path, b"Scheduler ready.", "The job scheduler")
    return scheduler


def stop(process, timeout: float = 20) -> None:
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def s3():
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=os.environ["S3_ENDPOINT_URL"],
        aws_access_key_id=os.environ["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["S3_SECRET_ACCESS_KEY"],
        region_name=os.environ.get("S3_REGION", "us-east-1"),
    )


@pytest.fixture
def private_s3(tmp_path):
    """A SeaweedFS only this test uses, with the test bucket, killed afterwards.

    `stop()`/`kill()` and `start()` it to take storage away and bring it back with
    its data; point a worker at `private_s3.endpoint` through S3_ENDPOINT_URL.
    """
    server = SeaweedS3(
        SeaweedS3.free_port(),
        tmp_path / "seaweedfs",
        access_key=os.environ.get("S3_ACCESS_KEY_ID", "test"),
        secret_key=os.environ.get("S3_SECRET_ACCESS_KEY", "test"),
    ).start()
    server.ensure_bucket(settings.S3_BUCKET or "studio-test")
    yield server
    server.kill()


def wait_for(predicate, *, timeout: float = 60, interval: float = 0.2, what: str = "condition"):
    """Poll until `predicate()` is truthy; return its value or fail the test."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)

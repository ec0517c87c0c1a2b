"""Session fixtures for the real services the integration tests talk to.

- `sandbox`: the sandbox process on `settings.SANDBOX_PORT`, the API the studio uses
  in tests (settings point there because `RECRAFT_API_TOKEN` is empty);
- `celery_worker`: a Celery worker process on the test database and the test queue;
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


@pytest.fixture
def fresh_sandbox(sandbox):
    """The sandbox with no faults, its starting credits, and an empty request log."""
    sandbox.reset()
    from recraft_studio.jobs.services import rate_limiter

    rate_limiter().clear(settings.SANDBOX_TOKEN)
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
    log_path = LOGS / f"test-worker-{settings.DATABASES['default']['NAME']}.log"
    env = {**os.environ, "DATABASE_URL": _database_url(), "PYTHONUNBUFFERED": "1"}
    celery = [sys.executable, "-m", "celery", "-A", "recraft_studio"]
    subprocess.run([*celery, "purge", "-f"], env=env, cwd=ROOT, check=True, capture_output=True)
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            [
                *celery,
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
                "--hostname",
                f"test-{os.getpid()}@%h",
                "--without-gossip",
                "--without-mingle",
            ],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while b" ready." not in log_path.read_bytes():
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            pytest.fail(f"The Celery worker did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.2)
    yield worker
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()


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

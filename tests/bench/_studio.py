"""A private studio for the job-pipeline benchmarks (storing, memory, submission,
worker CPU); not a benchmark itself (`run_all.py` skips names starting with `_`).

`private_studio()` starts what a worker needs, on resources no one else uses, and
removes them afterwards:

- a sandbox process on a free port (rate limit off, plenty of credits) as the API;
- a SeaweedFS S3 server on free ports in a temporary folder, with the bucket;
- the PostgreSQL database `bench_worker` (dropped, created, migrated; dropped after);
- Redis database 12, emptied before and after, and the Celery queue `bench-worker`.

The environment is set before Django starts, and `.env` is not read, so a fresh
shell gives the same settings as `make bench`. Child processes started meanwhile
inherit it (`memory.py` runs its jobs in one).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DB_NAME = "bench_worker"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/12"
QUEUE = "bench-worker"
BUCKET = "bench-worker"


def percentile(values, fraction: float) -> float:
    """The value below which `fraction` of `values` fall (nearest rank)."""
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


def _recreate_database(*, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def _flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def configure_environment(*, api_base: str = "", token: str = "", s3_endpoint: str = "") -> None:
    """The variables the studio's settings read, pointing at the private resources."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "recraft_studio.settings",
            "DJANGO_ENV_FILE": "",
            "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or "bench-worker-not-secret",
            "DJANGO_DEBUG": "false",
            "DATABASE_URL": f"{PG_SERVER}/{DB_NAME}",
            "REDIS_URL": REDIS_URL,
            "CELERY_QUEUE": QUEUE,
            "RECRAFT_API_TOKEN": "",
            "RECRAFT_API_BASE": api_base,
            "SANDBOX_TOKEN": token or "sandbox-token",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if s3_endpoint:
        os.environ.update(
            {
                "S3_BUCKET": BUCKET,
                "S3_ENDPOINT_URL": s3_endpoint,
                "S3_ACCESS_KEY_ID": "test",
                "S3_SECRET_ACCESS_KEY": "test",
                "S3_REGION": "us-east-1",
            }
        )


@dataclass
class Studio:
    sandbox: object | None
    s3: object | None


@contextlib.contextmanager
def private_studio(*, api: bool = True, storage: bool = True):
    """The sandbox, S3, database and Redis of module docstring, Django set up on them."""
    from recraft_studio.sandbox.process import SandboxProcess
    from tests.s3server import SeaweedS3

    with contextlib.ExitStack() as stack:
        sandbox = s3 = None
        if api:
            sandbox = stack.enter_context(SandboxProcess(credits=10**12, rate_limit=0))
        if storage:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-worker-s3-"))
            s3 = SeaweedS3(SeaweedS3.free_port(), Path(folder))
            stack.callback(s3.kill)
            s3.start()
            s3.ensure_bucket(BUCKET)
        configure_environment(
            api_base=sandbox.base_url if sandbox else "",
            token=sandbox.token if sandbox else "",
            s3_endpoint=s3.endpoint if s3 else "",
        )
        _recreate_database()
        stack.callback(_recreate_database, drop_only=True)
        _flush_redis()
        stack.callback(_flush_redis)

        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        stack.callback(connections.close_all)
        call_command("migrate", verbosity=0)
        yield Studio(sandbox=sandbox, s3=s3)


def team(*, name: str = "Bench Studio", budget: int | None = None):
    """A workspace with an owner and one project: (membership, project)."""
    from recraft_studio.workspaces.models import Membership, Project, Role, Workspace
    from tests.factories import UserFactory

    slug = name.lower().replace(" ", "-")
    workspace = Workspace.objects.create(name=name, slug=slug, monthly_budget=budget)
    user = UserFactory(username=f"{slug}-owner")
    membership = Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    project = Project.objects.create(
        workspace=workspace, name="Campaign", slug="campaign", monthly_budget=budget
    )
    return membership, project


def run_here(job):
    """Hand `job` out as the scheduler would (no permits) and run it in this process,
    through the worker's own entry point (`pipeline.job_run`)."""
    from tests.jobs.helpers import run_here as run

    return run(job)


def vm_status(pid: int | str = "self") -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in bytes, from /proc."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) * 1024
    return found


def machine() -> str:
    """Cores and the load average, to print beside the figures."""
    load = os.getloadavg()
    return f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"

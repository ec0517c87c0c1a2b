"""What the queue benchmarks share: a private studio cluster they start and clean up.

Not a benchmark itself (run_all.py skips files starting with "_"). A `Cluster` owns:

- a PostgreSQL database of its own (`bench_queue`, dropped and created, migrated);
- Redis database 11 (flushed before and after; the broker and the queue state);
- a Celery queue of its own (`bench-queue`);
- a sandbox on a free port (plenty of credits, the rate limit given);
- a SeaweedFS S3 server on free ports in a temporary folder;
- Celery worker processes (each in its own process group, to be killed whole) and
  the scheduler (`manage.py run_scheduler`), started with tests/services.py.

Django is set up in this process on the same settings as the workers, so a script
submits jobs through `jobs.services.job_submit` and reads the rows they write.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

DATABASE = "bench_queue"
REDIS_URL = "redis://127.0.0.1:6379/11"
QUEUE = "bench-queue"
BUCKET = "bench-queue"
SANDBOX_TOKEN = "bench-queue-token"
#: Celery worker concurrency: what Procfile.dev and the suite run (and the number of
#: cores here, Celery's own default); docker-compose.yml runs 4.
CONCURRENCY = 2
FORM = {
    "prompt": "a red panda mascot waving",
    "model": "recraftv3",
    "style": "digital_illustration",
    "size": "1024x1024",
}


def _admin_url() -> tuple[str, str]:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/recraft_studio")
    parsed = urlparse(base)
    if parsed.scheme not in ("postgres", "postgresql", "pgsql"):
        parsed = urlparse("postgres://postgres@127.0.0.1:5432/postgres")
    return (
        urlunparse(parsed._replace(path=f"/{DATABASE}")),
        urlunparse(parsed._replace(path="/postgres")),
    )


def _recreate_database(admin_url: str, *, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')


def _flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def _interrupt(signum, _frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0–100), nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


class RequestLog:
    """Every request the sandbox logged on a path, kept here (its own log keeps 1,000).

    `poll()` it every few seconds while a run goes on; entries are keyed by their
    arrival time and updated as their status arrives.
    """

    def __init__(self, sandbox, path: str = "generations"):
        self.sandbox = sandbox
        self.path = path
        self.entries: dict[tuple[float, str], dict] = {}

    def poll(self) -> None:
        for entry in self.sandbox.requests(path=self.path):
            self.entries[(entry["time"], entry["path"])] = entry

    def clear(self) -> None:
        self.sandbox.clear_requests()
        self.entries.clear()

    def all(self) -> list[dict]:
        return sorted(self.entries.values(), key=lambda e: e["time"])


class Cluster:
    """The studio's services for one benchmark; see the module docstring."""

    def __init__(self, name: str, *, rate_limit: int, env: dict | None = None):
        self.name = name
        self.rate_limit = rate_limit
        self.extra_env = env or {}
        self.folder = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
        self.logs = ROOT / "var" / "log" / "bench"
        self.s3 = None
        self.sandbox = None
        self.workers: list[subprocess.Popen] = []
        self.scheduler = None
        self.env: dict = {}
        self._started = 0

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> Cluster:
        from recraft_studio.sandbox.process import SandboxProcess
        from tests.s3server import SeaweedS3

        # A SIGTERM (or a Ctrl-C, even from a background job) still cleans everything up.
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGINT, _interrupt)
        os.chdir(ROOT)  # the sandbox, workers and scheduler run this checkout's code
        self.logs.mkdir(parents=True, exist_ok=True)
        db_url, admin_url = _admin_url()
        _recreate_database(admin_url)
        _flush_redis()
        self.s3 = SeaweedS3(SeaweedS3.free_port(), self.folder / "seaweedfs").start()
        self.s3.ensure_bucket(BUCKET)
        self.sandbox = SandboxProcess(
            tokens=[SANDBOX_TOKEN], credits=10**9, rate_limit=self.rate_limit
        ).start()
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": "recraft_studio.settings",
                "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or "bench-queue-only",
                "DATABASE_URL": db_url,
                "REDIS_URL": REDIS_URL,
                "CELERY_QUEUE": QUEUE,
                "S3_BUCKET": BUCKET,
                "S3_ENDPOINT_URL": self.s3.endpoint,
                "S3_ACCESS_KEY_ID": self.s3.access_key,
                "S3_SECRET_ACCESS_KEY": self.s3.secret_key,
                "S3_REGION": "us-east-1",
                "RECRAFT_API_TOKEN": "",
                "RECRAFT_API_BASE": self.sandbox.base_url,
                "SANDBOX_TOKEN": SANDBOX_TOKEN,
                "RECRAFT_RATE_LIMIT_PER_MINUTE": str(self.rate_limit),
                "RECRAFT_BALANCE_CHECK_EVERY_SECONDS": "3600",
                "PYTHONUNBUFFERED": "1",
                **self.extra_env,
            }
        )
        self.env = dict(os.environ)
        import django

        import recraft_studio

        # This checkout's code, not another one's editable install.
        assert Path(recraft_studio.__file__).resolve().is_relative_to(ROOT), recraft_studio.__file__
        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        self.scheduler = self._start_scheduler()
        return self

    def _start_scheduler(self):
        from tests.services import start_scheduler

        return start_scheduler(self.env, self.logs / f"{self.name}-scheduler.log")

    def add_worker(self) -> subprocess.Popen:
        from tests.services import start_worker

        self._started += 1
        worker = start_worker(
            self.env,
            self.logs / f"{self.name}-worker-{self._started}.log",
            concurrency=CONCURRENCY,
            name=f"bench-{self.name}",
            new_session=True,
        )
        self.workers.append(worker)
        return worker

    def set_workers(self, count: int) -> None:
        while len(self.workers) > count:
            self.stop_worker(self.workers[-1])
        while len(self.workers) < count:
            self.add_worker()

    def stop_worker(self, worker) -> None:
        from tests.services import stop

        stop(worker)
        self.workers.remove(worker)

    def kill_worker(self, worker) -> None:
        """kill -9 the worker's whole process group (main process and its pool)."""
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        self.workers.remove(worker)

    def worker_logs(self) -> list[Path]:
        return sorted(self.logs.glob(f"{self.name}-worker-*.log"))

    def reset_queue_state(self) -> None:
        """Between runs: empty windows and request log, queue state forgotten."""
        from django.db import connection

        self.sandbox.reset()
        self.sandbox.set_credits(SANDBOX_TOKEN, 10**9)
        _flush_redis()
        connection.close()

    def stop(self) -> None:
        from tests.services import stop

        for process in [self.scheduler, *self.workers]:
            if process is not None and process.poll() is None:
                try:
                    stop(process)
                except Exception:  # noqa: BLE001 - clean up the rest anyway
                    process.kill()
        self.workers, self.scheduler = [], None
        if self.sandbox is not None:
            self.sandbox.stop()
        if self.s3 is not None:
            with contextlib.suppress(Exception):
                self.s3.kill()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001
            pass
        try:
            _recreate_database(_admin_url()[1], drop_only=True)
            _flush_redis()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Cluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # --- people and jobs -----------------------------------------------------------------

    def people(self, count: int, *, workspace=None, prefix: str = "person"):
        """`count` designers (memberships) in one workspace, each with a project."""
        from recraft_studio.workspaces.models import Membership, Project, Role, Workspace
        from tests.factories import UserFactory

        if workspace is None:
            slug = f"{prefix}-{random.randrange(10**9)}"
            workspace = Workspace.objects.create(name=slug, slug=slug)
        out = []
        for i in range(count):
            user = UserFactory(username=f"{workspace.slug}-{prefix}-{i}")
            membership = Membership.objects.create(
                workspace=workspace, user=user, role=Role.DESIGNER
            )
            project = Project.objects.create(
                workspace=workspace, name=f"{prefix} {i}", slug=f"{prefix}-{i}"
            )
            out.append((membership, project))
        return out

    @staticmethod
    def submit(membership, project, n: int, prompt: str = FORM["prompt"]):
        from recraft_studio.jobs.services import job_submit

        return job_submit(
            membership=membership, project=project, params={**FORM, "prompt": prompt, "n": n}
        )


def mixed_sizes(total: int, rng: random.Random, low: int = 1, high: int = 6) -> list[int]:
    """Job sizes (images) drawn from low…high that add up to exactly `total`."""
    sizes: list[int] = []
    while sum(sizes) < total:
        sizes.append(min(rng.randint(low, high), total - sum(sizes)))
    return sizes

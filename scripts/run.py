"""`make run`: Redis, migrations and the demo login, then every process through honcho.

When nothing answers at REDIS_URL (on this machine), a private `redis-server` is
started for the session on that very port, so every process finds it where
REDIS_URL says; it keeps nothing on disk and stops when `make run` stops.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
INSTALL_HINT = (
    "Install Redis (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install "
    "redis), or point REDIS_URL at one: make run REDIS_URL=redis://host:6379/0"
)


def redis_answers(url: str) -> bool:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        client.close()
    except redis.exceptions.RedisError:
        return False
    return True


def start_private_redis(url: str, *, wait: float = 15.0) -> subprocess.Popen:
    """Start `redis-server` where `url` points (a port on this machine), or exit saying why."""
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 6379
    if host not in LOCAL_HOSTS:
        sys.exit(f"Redis does not answer at {url}, which is not on this machine. {INSTALL_HINT}")
    server = shutil.which("redis-server")
    if server is None:
        sys.exit(f"Redis does not answer at {url}; no redis-server is on the PATH. {INSTALL_HINT}")
    (VAR / "log").mkdir(parents=True, exist_ok=True)
    command = [
        server,
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--save", "",
        "--appendonly", "no",
        "--dir", str(VAR),
        "--logfile", str(VAR / "log" / "redis.log"),
    ]  # fmt: skip
    # Its own session: Ctrl-C reaches honcho's processes first, and they may still need
    # Redis while they stop; this script stops it afterwards.
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + wait
    while not redis_answers(url):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            sys.exit(f"redis-server did not start on port {port}; see {VAR / 'log' / 'redis.log'}")
        time.sleep(0.1)
    print(
        f"Nothing answered at {url}, so a private Redis ({server}) is running on "
        f"127.0.0.1:{port} for this session; it keeps nothing and stops with `make run`.",
        flush=True,
    )
    return process


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    # A `kill` stops everything as Ctrl-C does, the private Redis included.
    signal.signal(signal.SIGTERM, _interrupt)
    private = None if redis_answers(url) else start_private_redis(url)
    honcho = None
    try:
        python = [sys.executable, "manage.py"]
        subprocess.run([*python, "migrate", "--noinput"], cwd=ROOT, env=env, check=True)
        subprocess.run([*python, "studio_demo"], cwd=ROOT, env=env, check=True)
        VAR.mkdir(exist_ok=True)
        honcho = subprocess.Popen(
            [str(bin_dir / "honcho"), "-f", "Procfile.dev", "start"], cwd=ROOT, env=env
        )
        return honcho.wait()
    except KeyboardInterrupt:
        if honcho is not None and honcho.poll() is None:
            honcho.send_signal(signal.SIGINT)  # honcho stops its processes, then exits
            try:
                honcho.wait(timeout=30)
            except subprocess.TimeoutExpired:
                honcho.kill()
        return 130
    except subprocess.CalledProcessError as exc:
        return exc.returncode
    finally:
        stop(private)


if __name__ == "__main__":
    sys.exit(main())

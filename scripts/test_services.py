"""Start what the test suite needs that is not running yet, and check the rest.

- an S3-compatible server (moto's standalone server) with the test bucket;
- Debian's Chromium for the browser tests (installed with apt-get when missing);
- PostgreSQL and Redis must already run: they are named, with how to start them.

Everything is started on loopback and left running for the next run.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "var" / "log"


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _need(name: str, url: str, hint: str) -> None:
    parsed = urlparse(url)
    if not _port_open(parsed.hostname or "127.0.0.1", parsed.port or 0):
        sys.exit(f"{name} does not answer at {parsed.hostname}:{parsed.port}. {hint}")


def ensure_s3() -> None:
    endpoint = os.environ["S3_ENDPOINT_URL"]
    parsed = urlparse(endpoint)
    if not _port_open(parsed.hostname, parsed.port):
        LOGS.mkdir(parents=True, exist_ok=True)
        log = open(LOGS / "s3.log", "ab")  # noqa: SIM115 (outlives this script)
        subprocess.Popen(
            [
                str(Path(sys.executable).parent / "moto_server"),
                "-H",
                parsed.hostname,
                "-p",
                str(parsed.port),
            ],
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while not _port_open(parsed.hostname, parsed.port):
            if time.monotonic() > deadline:
                sys.exit(f"The S3 server did not start; see {LOGS / 's3.log'}")
            time.sleep(0.2)
        print(f"Started an S3 server (moto) at {endpoint}")
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=os.environ["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["S3_SECRET_ACCESS_KEY"],
        region_name=os.environ.get("S3_REGION", "us-east-1"),
    )
    bucket = os.environ["S3_BUCKET"]
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        s3.create_bucket(Bucket=bucket)


def ensure_chromium() -> None:
    if shutil.which("chromium"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit("The browser tests need Debian's Chromium: sudo apt-get install chromium")
    print("Installing Debian's Chromium for the browser tests…")
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "chromium"],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        stdout=subprocess.DEVNULL,
    )


def main() -> int:
    _need("PostgreSQL", os.environ["DATABASE_URL"], "Start it, or set DATABASE_URL.")
    _need(
        "Redis",
        os.environ["REDIS_URL"],
        "Start it (redis-server --daemonize yes) or set REDIS_URL.",
    )
    ensure_s3()
    ensure_chromium()
    return 0


if __name__ == "__main__":
    sys.exit(main())

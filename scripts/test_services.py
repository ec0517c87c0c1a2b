"""Start what the test suite needs that is not running yet, and check the rest.

- an S3 server (SeaweedFS, see tests/s3server.py) with the test bucket, its data kept
  in var/s3/<port>/ between runs;
- Debian's Chromium for the browser tests (installed with apt-get when missing);
- PostgreSQL and Redis must already run: they are named, with how to start them.

Everything is started on loopback and left running for the next run;
`--stop-s3` stops the S3 servers this checkout started.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "var" / "log"

sys.path.insert(0, str(ROOT))
from tests.s3server import S3ServerError, SeaweedS3  # noqa: E402


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _need(name: str, url: str, hint: str) -> None:
    parsed = urlparse(url)
    if not _port_open(parsed.hostname or "127.0.0.1", parsed.port or 0):
        sys.exit(f"{name} does not answer at {parsed.hostname}:{parsed.port}. {hint}")


def ensure_s3() -> None:
    """SeaweedFS on S3_ENDPOINT_URL's port, with its data in var/s3/<port>/.

    A server this checkout started earlier is reused; when something else answers
    on that port with our credentials (an S3 server someone started by hand), it is
    used as it is, and said so.
    """
    endpoint = os.environ["S3_ENDPOINT_URL"]
    parsed = urlparse(endpoint)
    if parsed.hostname not in ("127.0.0.1", "localhost"):
        sys.exit(f"The test S3 server runs on loopback; S3_ENDPOINT_URL is {endpoint}.")
    server = SeaweedS3(
        parsed.port,
        ROOT / "var" / "s3" / str(parsed.port),
        access_key=os.environ["S3_ACCESS_KEY_ID"],
        secret_key=os.environ["S3_SECRET_ACCESS_KEY"],
        region=os.environ.get("S3_REGION", "us-east-1"),
        log_path=LOGS / f"s3-{parsed.port}.log",
    )
    if server.running:
        server.wait_ready()
    elif _port_open("127.0.0.1", parsed.port):
        try:
            server.client(timeout=5).list_buckets()
        except Exception as exc:
            sys.exit(
                f"Port {parsed.port} is taken by something that is not a usable S3 server "
                f"({exc}). Stop it, or set TEST_S3_PORT to another port."
            )
        print(f"Using the S3 server already listening at {endpoint} (not SeaweedFS from here)")
    else:
        started = time.monotonic()
        try:
            server.start()
        except S3ServerError as exc:
            sys.exit(str(exc))
        data, log = server.data_dir.relative_to(ROOT), server.log_path.relative_to(ROOT)
        print(
            f"Started SeaweedFS S3 at {endpoint} in {time.monotonic() - started:.1f} s "
            f"(data in {data}, log in {log})"
        )
    server.ensure_bucket(os.environ["S3_BUCKET"])
    if server.running:
        prune_bucket(server, os.environ["S3_BUCKET"])


#: Objects the suite left in the test bucket are deleted after this long, so a
#: checkout's SeaweedFS (a run leaves ~30 MB) stays within its disk cap.
KEEP_TEST_OBJECTS = timedelta(days=1)


def prune_bucket(server: SeaweedS3, bucket: str) -> None:
    """Delete what earlier runs left in the test bucket more than a day ago."""
    client = server.client()
    cutoff = datetime.now(UTC) - KEEP_TEST_OBJECTS
    old = [
        {"Key": item["Key"]}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for item in page.get("Contents", [])
        if item["LastModified"] < cutoff
    ]
    for start in range(0, len(old), 1000):
        client.delete_objects(Bucket=bucket, Delete={"Objects": old[start : start + 1000]})
    if old:
        print(f"Deleted {len(old)} objects older than a day from the test bucket")


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


def stop_s3() -> None:
    """Stop every SeaweedFS this checkout started (`make clean` removes their data)."""
    for data_dir in sorted((ROOT / "var" / "s3").glob("*")):
        if not data_dir.name.isdigit():
            continue
        server = SeaweedS3(int(data_dir.name), data_dir)
        if server.running:
            print(f"Stopping SeaweedFS on port {server.port}…")
            server.stop()


def main(argv: list[str]) -> int:
    if argv == ["--stop-s3"]:
        stop_s3()
        return 0
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
    sys.exit(main(sys.argv[1:]))

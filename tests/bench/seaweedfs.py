"""How long the suite's S3 server (SeaweedFS) takes to start, stop and come back.

Chaos tests take storage away and bring it back; these figures say how much of such a
test is the server itself. Starts a private SeaweedFS on free ports in a temporary
folder and prints, over a few rounds: a first start on an empty folder, a graceful
stop (SIGTERM), a restart on its data (200 objects of 100 KB), a kill -9 and a restart
after it. "Ready" means what `SeaweedS3.wait_ready` checks: the volume server has
joined and S3 lists buckets for the credentials. Run it with `make bench`, or
`.venv/bin/python tests/bench/seaweedfs.py`.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.s3server import SeaweedS3  # noqa: E402

ROUNDS = 3
OBJECTS = 200
OBJECT_BYTES = 100_000
BUCKET = "bench"


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> int:
    figures: dict[str, list[float]] = {}

    def note(name: str, seconds: float) -> None:
        figures.setdefault(name, []).append(seconds)

    for _ in range(ROUNDS):
        with tempfile.TemporaryDirectory(prefix="seaweed-bench-") as folder:
            server = SeaweedS3(SeaweedS3.free_port(), Path(folder))
            note("first start, empty folder", _timed(server.start))
            server.ensure_bucket(BUCKET)
            client = server.client()
            body = b"\0" * OBJECT_BYTES
            for i in range(OBJECTS):
                client.put_object(Bucket=BUCKET, Key=f"object-{i}", Body=body)
            note("graceful stop (SIGTERM until exit)", _timed(server.stop))
            note(f"restart with data ({OBJECTS} objects)", _timed(server.start))
            note("kill -9", _timed(server.kill))
            note("restart after kill -9", _timed(server.start))
            last = server.client().get_object(Bucket=BUCKET, Key=f"object-{OBJECTS - 1}")
            assert len(last["Body"].read()) == OBJECT_BYTES, "an object was lost"
            server.kill()
    print(f"SeaweedFS ({ROUNDS} rounds): median / max seconds")
    for name, values in figures.items():
        print(f"  {name:<40} {statistics.median(values):6.1f} / {max(values):5.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

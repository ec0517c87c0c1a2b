"""How fast the sandbox answers: the load every other benchmark stands on.

Starts a sandbox process (rate limit off, plenty of credits) and prints, for a few
typical calls, the median and p95 latency of one call at a time over HTTP, then the
images per second it sustains with 8 clients calling at once. Run it with
`make bench`, or `.venv/bin/python tests/bench/sandbox.py`.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from recraft_studio.sandbox.process import SandboxProcess  # noqa: E402

ROUNDS = 15
CONCURRENCY = 8
CONCURRENT_CALLS = 64


def _photo() -> bytes:
    img = Image.new("RGB", (1024, 1024), (40, 110, 190))
    ImageDraw.Draw(img).ellipse((256, 256, 768, 768), fill=(230, 70, 40))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def _calls(photo: bytes) -> dict[str, dict]:
    return {
        "generate 1024² raster": {"json": {"prompt": "a fox", "style": "digital_illustration"}},
        "generate 1820×1024 raster": {"json": {"prompt": "a fox", "size": "1820x1024"}},
        "generate 1024² vector": {"json": {"prompt": "a fox", "style": "vector_illustration"}},
        "generate n=6": {"json": {"prompt": "a fox", "n": 6}},
        "vectorize 1024²": {"files": {"file": ("a.png", photo)}},
        "remove background 1024²": {"files": {"file": ("a.png", photo)}},
        "crisp upscale 1024²": {"files": {"file": ("a.png", photo)}},
    }


PATHS = {
    "generate": "/images/generations",
    "vectorize": "/images/vectorize",
    "remove": "/images/removeBackground",
    "crisp": "/images/crispUpscale",
}


def _path(name: str) -> str:
    return PATHS[name.split()[0]]


def main() -> int:
    photo = _photo()
    with SandboxProcess(credits=10**9, rate_limit=0) as sandbox:
        headers = {"Authorization": f"Bearer {sandbox.token}"}
        with httpx.Client(base_url=sandbox.base_url, headers=headers, timeout=120) as client:
            print(f"One call at a time ({ROUNDS} rounds each), over HTTP on loopback:\n")
            print(f"{'call':28} {'median':>9} {'p95':>9}")
            for name, request in _calls(photo).items():
                timings = []
                for _ in range(ROUNDS):
                    started = time.perf_counter()
                    response = client.post(_path(name), **request)
                    timings.append(time.perf_counter() - started)
                    response.raise_for_status()
                timings.sort()
                p95 = timings[int(len(timings) * 0.95) - 1]
                print(f"{name:28} {statistics.median(timings) * 1000:7.1f}ms {p95 * 1000:7.1f}ms")

            def one(_):
                response = client.post(_path("generate"), json={"prompt": "a fox", "n": 2})
                response.raise_for_status()
                return len(response.json()["data"])

            started = time.perf_counter()
            with ThreadPoolExecutor(CONCURRENCY) as pool:
                images = sum(pool.map(one, range(CONCURRENT_CALLS)))
            elapsed = time.perf_counter() - started
            print(
                f"\n{CONCURRENCY} clients, {CONCURRENT_CALLS} calls of n=2: {images} images in "
                f"{elapsed:.1f} s = {images / elapsed:.0f} images/s "
                f"({images / elapsed * 60:,.0f} a minute; the API allows 100 a minute per token)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

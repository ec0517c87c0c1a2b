"""Peak memory of a worker process running one 16 MP edit.

    make bench                                   # runs every script in tests/bench
    /work/main/.venv/bin/python tests/bench/memory.py [--rounds 2]

Starts its own sandbox (the API), SeaweedFS (S3) and database (see `_studio.py`),
submits a creative upscale and a crisp upscale of a 2048×2048 RGBA PNG (4 MP, the
most a crisp upscale takes), whose outputs are 4096×4096 RGBA PNGs (16.8 MP), and
runs each job in a fresh Python process, as a worker's pool process would: Django set
up, the Celery app and the job tasks imported, then the worker's entry point
(`pipeline.job_run`) for that one job: the call with the upload, the answer
recorded, the output fetched to a temporary file, hashed, stored in S3 and its
thumbnail made and stored. It prints that process's RSS before the job and its peak
RSS (VmHWM, from /proc), and which steps raised the peak. Not `ru_maxrss`: Linux
keeps it across exec, so a child started from this (large) process would report
this process's peak as its own. The submission (the web's share: storing the
upload) happens in this process, not the measured one.

Before the rework: 419 MB peak. Goal: under 300 MB.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench._studio import machine, private_studio, team, vm_status  # noqa: E402

GOAL_MB = 300
BASELINE_MB = 419
SIDE = 2048


def rgba_photo(side: int = SIDE) -> bytes:
    """A 4 MP RGBA PNG with smooth colour, shapes and a soft-edged transparent
    surround (a cut-out, the usual thing to upscale with alpha), under the 5 MB limit."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter

    y, x = np.mgrid[0:side, 0:side].astype(np.float32) / side
    rgb = np.stack(
        [120 + 100 * np.sin(6 * x), 110 + 90 * np.cos(5 * y), 160 + 80 * np.sin(4 * (x + y))],
        axis=-1,
    )
    img = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(img)
    for i in range(12):
        box = (150 * i, 100 + 120 * i, 150 * i + 500, 100 + 120 * i + 380)
        draw.ellipse(box, fill=(40 + 15 * i, 200 - 10 * i, 90 + 12 * i))
    alpha = Image.new("L", (side, side), 0)
    ImageDraw.Draw(alpha).ellipse((side // 10, side // 10, side * 9 // 10, side * 9 // 10), 255)
    img.putalpha(alpha.filter(ImageFilter.GaussianBlur(24)))
    out = io.BytesIO()
    img.save(out, "PNG", optimize=False)
    return out.getvalue()


#: Steps of the run whose rise of the peak RSS is told apart: (module, function).
STEPS = (
    ("recraft_studio.jobs.pipeline", "_send_inputs"),
    ("recraft_studio.recraft.client", "RecraftClient.call"),
    ("recraft_studio.jobs.pipeline", "_fetch"),
    ("recraft_studio.assets.files", "inspect"),
    ("recraft_studio.assets.files", "store_original"),
    ("recraft_studio.assets.files", "thumbnail_bytes"),
    ("recraft_studio.assets.files", "put_once"),
)


def _watch_steps() -> dict[str, int]:
    """Wrap each step so that the rise of VmHWM while it runs is added to its name
    (nested steps count in both: `put_once` runs inside `store_original`)."""
    import functools
    import importlib

    rises: dict[str, int] = {}
    for module_name, qualname in STEPS:
        owner = importlib.import_module(module_name)
        *path, name = qualname.split(".")
        for part in path:
            owner = getattr(owner, part)
        fn = getattr(owner, name)

        def wrapper(*args, _fn=fn, _label=qualname, **kwargs):
            before = vm_status()["VmHWM"]
            try:
                return _fn(*args, **kwargs)
            finally:
                rises[_label] = rises.get(_label, 0) + vm_status()["VmHWM"] - before

        setattr(owner, name, functools.wraps(fn)(wrapper))
    return rises


def child(job_id: str) -> int:
    """In the fresh process: be a worker's pool process and run one job."""
    import django

    django.setup()
    import recraft_studio.celery  # noqa: F401 - the worker's imports
    import recraft_studio.jobs.tasks  # noqa: F401
    from recraft_studio.jobs.models import Job
    from tests.bench._studio import run_here

    job = Job.objects.get(pk=job_id)
    fresh = vm_status()
    # What a worker that has run a job before holds anyway: its S3 connection (boto3's
    # models) and its API client.
    from django.core.files.storage import default_storage

    from recraft_studio.jobs.accounts import client_for, credentials_for

    default_storage.exists("warm-up")
    client_for(credentials_for(job.workspace))
    warm = vm_status()
    rises = _watch_steps()
    job = run_here(job)
    print(
        json.dumps(
            {
                "status": job.status,
                "error": job.error,
                "fresh": fresh["VmRSS"],
                "warm": warm["VmRSS"],
                "warm_peak": warm["VmHWM"],
                "peak": vm_status()["VmHWM"],
                "rises": rises,
            }
        )
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="fresh processes per edit")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child)

    with private_studio():
        from recraft_studio.assets.models import Asset
        from recraft_studio.jobs.services import job_submit

        membership, project = team()
        photo = rgba_photo()
        print(
            f"Peak RSS of a fresh worker process running one edit of a {SIDE}×{SIDE} RGBA "
            f"PNG ({len(photo) / 1e6:.1f} MB); {machine()}\n"
        )
        print(
            f"{'edit':<18} {'output':<22} {'set up':>7} {'warm (peak)':>13} {'peak':>7} "
            f"{'job adds':>9}"
            "   steps that raised the peak"
        )
        worst = 0
        for operation in ("creative_upscale", "crisp_upscale"):
            for round_ in range(args.rounds):
                # A different upload each round: storage is content-addressed, and an
                # output already stored would not be stored again.
                data = photo if round_ == 0 else rgba_variant(photo, round_)
                job = job_submit(
                    membership=membership,
                    project=project,
                    operation=operation,
                    params={},
                    inputs={"file": data},
                )
                done = subprocess.run(
                    [sys.executable, __file__, "--child", str(job.pk)],
                    capture_output=True,
                    text=True,
                    env=os.environ,
                    check=False,
                )
                if done.returncode != 0:
                    sys.stderr.write(done.stdout + done.stderr)
                    raise SystemExit(f"The worker process failed ({done.returncode}).")
                result = json.loads(done.stdout.strip().splitlines()[-1])
                if result["status"] != "done":
                    raise SystemExit(f"The {operation} job ended {result['status']}: {result}")
                asset = Asset.objects.get(job_id=job.pk)
                output = (
                    f"{asset.width}×{asset.height} "
                    f"{asset.width * asset.height / 1e6:.1f} MP {asset.size_bytes / 1e6:.0f} MB"
                )
                worst = max(worst, result["peak"])
                steps = ", ".join(
                    f"{name} +{rise / 1e6:.0f}"
                    for name, rise in sorted(result["rises"].items(), key=lambda kv: -kv[1])
                    if rise >= 1e6
                )
                print(
                    f"{operation:<18} {output:<22} {result['fresh'] / 1e6:>5.0f}MB "
                    f"{result['warm'] / 1e6:>5.0f}MB ({result['warm_peak'] / 1e6:>3.0f}MB) "
                    f"{result['peak'] / 1e6:>5.0f}MB "
                    f"{(result['peak'] - result['warm_peak']) / 1e6:>7.0f}MB   {steps}"
                )
        verdict = "met" if worst < GOAL_MB * 1e6 else "NOT met"
        print(
            "\nset up: RSS once Django, the Celery app and the tasks are imported; warm: once "
            "the S3 connection and API client are made (a worker keeps them), and in brackets "
            "the peak so far; peak: VmHWM over the whole process; job adds: peak minus the "
            "peak before the job; steps: how much each step raised the peak (MB; put_once "
            "runs inside store_original)."
        )
        print(
            f"Worst peak: {worst / 1e6:.0f} MB (MB = 10^6 bytes). Before the rework: "
            f"{BASELINE_MB} MB; goal under {GOAL_MB} MB: {verdict}."
        )
    return 0


def rgba_variant(photo: bytes, seed: int) -> bytes:
    """The photo with a few pixels changed, so its bytes (and its upscale) differ."""
    from PIL import Image

    img = Image.open(io.BytesIO(photo))
    img.load()
    for i in range(8):
        img.putpixel((seed * 13 + i, seed * 7 + i), (seed * 31 % 256, i * 20, 99, 255))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


if __name__ == "__main__":
    sys.exit(main())

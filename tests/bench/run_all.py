"""Run every benchmark script in tests/bench, one process each; `make bench` calls this.

A script is any `*.py` here but this one and helpers whose names start with "_"; each
prints its own figures. The run fails
when any script fails, after all have run.
"""

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(
        p for p in HERE.glob("*.py") if p.name != "run_all.py" and not p.name.startswith("_")
    )
    failed = []
    for script in scripts:
        print(f"=== {script.name} ===", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(script), *sys.argv[1:]], cwd=HERE.parents[1])
        print(
            f"=== {script.name}: {'ok' if result.returncode == 0 else 'FAILED'} "
            f"in {time.perf_counter() - started:.0f} s ===\n",
            flush=True,
        )
        if result.returncode != 0:
            failed.append(script.name)
    if failed:
        print(f"Failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Wait until the web server and the sandbox answer, then print where to log in."""

import os
import signal
import sys
import time
import urllib.request


def _up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 (loopback)
            return response.status < 500
    except OSError:
        return False


def main() -> int:
    port = os.environ.get("WEB_PORT", "8000")
    sandbox_port = os.environ.get("SANDBOX_PORT", "8765")
    web = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while not _up(f"{web}/healthz"):
        if time.monotonic() > deadline:
            print("The web server did not come up within two minutes.", file=sys.stderr)
            return 1
        time.sleep(0.5)
    sandbox = (
        ""
        if os.environ.get("RECRAFT_API_TOKEN")
        else (
            f"\n  Recraft API:  the local sandbox at http://127.0.0.1:{sandbox_port}/v1"
            " (set RECRAFT_API_TOKEN to use Recraft)"
        )
    )
    print(
        "\n"
        "  Recraft Studio is running.\n"
        f"  Open:         {web}/\n"
        f"  Log in as:    demo / {os.environ.get('DEMO_PASSWORD', '(see DEMO_PASSWORD in .env)')}"
        f"{sandbox}\n"
        "  Stop:         Ctrl-C\n",
        flush=True,
    )
    # honcho stops every process when one exits: stay until it stops us.
    signal.pause()
    return 0


if __name__ == "__main__":
    sys.exit(main())

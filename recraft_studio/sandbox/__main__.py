"""`python -m recraft_studio.sandbox --port 8765`: a Recraft API stand-in on this machine."""

from __future__ import annotations

from .config import config_from_argv
from .server import run


def main(argv: list[str] | None = None) -> None:
    run(config_from_argv(argv))


if __name__ == "__main__":
    main()

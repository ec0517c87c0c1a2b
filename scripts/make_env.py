"""Write `.env` with fresh secrets for a local checkout, unless it exists already.

Settings have no default secrets (a missing one must fail loudly in production), so
`make run` and `make test` create them here, once, outside version control.

`--compose` adds what docker-compose.yml requires and a checkout does not (the
passwords of PostgreSQL and MinIO, the sandbox's token), keeping what is there.
"""

import base64
import secrets
import sys
from pathlib import Path

ENV = Path(__file__).resolve().parent.parent / ".env"


def _fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _write_checkout_env() -> None:
    ENV.write_text(
        "# Written by `make` for this checkout; never commit it.\n"
        f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}\n"
        "DJANGO_DEBUG=true\n"
        f"FIELD_ENCRYPTION_KEYS={_fernet_key()}\n"
        f"DEMO_PASSWORD={secrets.token_urlsafe(9)}\n"
    )
    print(f"Wrote {ENV.name} with fresh secrets.")


def _add_compose_secrets() -> None:
    present = {
        line.split("=", 1)[0].strip()
        for line in ENV.read_text().splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    wanted = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": _fernet_key(),
        "POSTGRES_PASSWORD": secrets.token_urlsafe(24),
        "MINIO_ROOT_USER": "studio",
        "MINIO_ROOT_PASSWORD": secrets.token_urlsafe(24),
        "SANDBOX_TOKEN": secrets.token_urlsafe(24),
    }
    missing = {k: v for k, v in wanted.items() if k not in present}
    if missing:
        with ENV.open("a") as fh:
            fh.write("# Added for docker compose by `scripts/make_env.py --compose`.\n")
            fh.writelines(f"{k}={v}\n" for k, v in missing.items())
        print(f"Added {', '.join(missing)} to {ENV.name}.")


def main(argv: list[str]) -> int:
    if not ENV.exists():
        _write_checkout_env()
    if "--compose" in argv:
        _add_compose_secrets()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

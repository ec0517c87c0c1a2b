"""Write `.env` with fresh secrets for a local checkout, unless it exists already.

Settings have no default secrets (a missing one must fail loudly in production), so
`make run` and `make test` create them here, once, outside version control.
"""

import base64
import secrets
import sys
from pathlib import Path

ENV = Path(__file__).resolve().parent.parent / ".env"


def main() -> int:
    if ENV.exists():
        return 0
    fernet_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    ENV.write_text(
        "# Written by `make` for this checkout; never commit it.\n"
        f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}\n"
        "DJANGO_DEBUG=true\n"
        f"FIELD_ENCRYPTION_KEYS={fernet_key}\n"
        f"DEMO_PASSWORD={secrets.token_urlsafe(9)}\n"
    )
    print(f"Wrote {ENV.name} with fresh secrets.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Settings read from the environment: production is secure by default, and every
protection has a documented variable that turns it off; no `.env` in the image."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: The three things an operator must set, and nothing else.
MINIMAL = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "studio.example.com",
    "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
}


def clean_env(**extra) -> dict:
    """The process environment without any studio variable, plus `extra`.

    `DJANGO_ENV_FILE` is empty, as in the image, so this checkout's `.env` (which
    turns DEBUG on for development) is not read.
    """
    prefixes = ("DJANGO_", "EMAIL_", "SESSION_", "SIGNIN_", "LOG_", "S3_", "DATABASE_URL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    return {**env, "DJANGO_ENV_FILE": "", **MINIMAL, **extra}


def settings_in(env: dict, *names: str) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n, None) for n in {list(names)!r}}}, default=str))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "recraft_studio.settings"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_check_deploy_passes_with_only_the_secret_key_hosts_and_encryption_keys():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=clean_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_defaults_are_secure():
    found = settings_in(
        clean_env(),
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "CONTENT_SECURITY_POLICY",
        "EMAIL_BACKEND",
        "LOG_FORMAT",
    )
    assert found["DEBUG"] is False
    assert found["SECURE_SSL_REDIRECT"] is True and found["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert found["SESSION_COOKIE_SECURE"] is True and found["CSRF_COOKIE_SECURE"] is True
    directives = found["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]
    assert directives["script-src"] == ["'self'"] and directives["object-src"] == ["'none'"]
    assert found["EMAIL_BACKEND"] == "recraft_studio.core.mail.NoMailBackend"
    assert found["LOG_FORMAT"] == "json"


def test_each_protection_is_turned_off_by_its_documented_variable():
    found = settings_in(
        clean_env(
            DJANGO_SECURE_SSL_REDIRECT="false",
            DJANGO_SECURE_HSTS_SECONDS="0",
            DJANGO_SECURE_COOKIES="false",
            DJANGO_CSP_REPORT_ONLY="true",
            DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto: https",
            SESSION_COOKIE_AGE="3600",
            SIGNIN_FAILURE_LIMIT="3",
            EMAIL_URL="smtp+tls://mailer:secret@smtp.example.com:587",
        ),
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_SECURE",
        "CONTENT_SECURITY_POLICY",
        "CONTENT_SECURITY_POLICY_REPORT_ONLY",
        "SECURE_PROXY_SSL_HEADER",
        "SESSION_COOKIE_AGE",
        "AXES_FAILURE_LIMIT",
        "EMAIL_BACKEND",
        "EMAIL_HOST",
        "EMAIL_PORT",
        "EMAIL_USE_TLS",
    )
    assert found["SECURE_SSL_REDIRECT"] is False and found["SECURE_HSTS_SECONDS"] == 0
    assert found["SESSION_COOKIE_SECURE"] is False
    assert found["CONTENT_SECURITY_POLICY"] is None
    assert found["CONTENT_SECURITY_POLICY_REPORT_ONLY"]["DIRECTIVES"]["script-src"] == ["'self'"]
    assert found["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert found["SESSION_COOKIE_AGE"] == 3600 and found["AXES_FAILURE_LIMIT"] == 3
    assert found["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (found["EMAIL_HOST"], found["EMAIL_PORT"], found["EMAIL_USE_TLS"]) == (
        "smtp.example.com",
        587,
        True,
    )


def test_a_env_file_is_read_only_where_django_env_file_points(tmp_path):
    dotenv = tmp_path / "dev.env"
    dotenv.write_text("DJANGO_DEBUG=true\n")
    assert settings_in(clean_env(DJANGO_ENV_FILE=str(dotenv)), "DEBUG")["DEBUG"] is True
    assert settings_in(clean_env(), "DEBUG")["DEBUG"] is False


# --- the image ---------------------------------------------------------------------------


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule for a path of the build context: the last matching pattern wins."""
    from fnmatch import fnmatch

    result = False
    parts = path.split("/")
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        # A pattern matching a folder excludes everything in it.
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch(p, pattern) for p in prefixes):
            result = not negate
    return result


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        ".env.production",
        ".venv/bin/python",
        "var/media/originals/ab/x.png",
        "var/log/s3.log",
        ".git/config",
        "test-artifacts/page.png",
        ".pytest_cache/v/cache",
        "db.sqlite3",
        "recraft_studio/__pycache__/settings.cpython-311.pyc",
    ],
)
def test_the_build_context_leaves_out_secrets_and_local_state(path):
    assert ignored(path, dockerignore_patterns()), path


@pytest.mark.parametrize(
    "path", ["manage.py", "recraft_studio/settings.py", "static/css/studio.css", "README.md"]
)
def test_the_build_context_keeps_the_source(path):
    assert not ignored(path, dockerignore_patterns()), path


def test_the_image_never_reads_a_env_file():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'DJANGO_ENV_FILE=""' in dockerfile

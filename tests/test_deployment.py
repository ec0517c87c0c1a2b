"""The deployment runs as written: compose's defaults are safe, `make run` brings its
own Redis when none answers, the demo login is no superuser, logs are JSON."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import socket
import subprocess
import sys

import pytest
import yaml

from tests.test_settings import ROOT, clean_env

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_compose_publishes_nothing_beyond_loopback():
    for name, service in SERVICES.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port}"
    assert "ports" not in SERVICES["sandbox"]


def test_compose_has_no_default_credentials():
    text = (ROOT / "docker-compose.yml").read_text()
    for secret in ("POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD", "SANDBOX_TOKEN"):
        uses = re.findall(r"\$\{" + secret + r"(:[?-][^}]*)?\}", text)
        assert uses and all(use.startswith(":?") for use in uses), secret
    assert "studio-secret" not in text and "sandbox-token" not in text
    assert "POSTGRES_PASSWORD: studio" not in text


def test_compose_runs_in_production_mode_with_secure_cookies():
    env = SERVICES["web"]["environment"]
    assert "DJANGO_DEBUG" not in env
    assert env["DJANGO_SECURE_COOKIES"] == "${DJANGO_SECURE_COOKIES:-true}"
    assert env["DJANGO_SECURE_SSL_REDIRECT"] == "${DJANGO_SECURE_SSL_REDIRECT:-true}"
    assert env["LOG_FORMAT"] == "json"


def test_compose_waits_on_readiness():
    web = SERVICES["web"]
    assert "/readyz" in " ".join(web["healthcheck"]["test"])
    for name in ("worker", "beat"):
        assert SERVICES[name]["depends_on"]["web"]["condition"] == "service_healthy"
    for name in ("postgres", "redis"):
        assert web["depends_on"][name]["condition"] == "service_healthy"
        assert SERVICES[name]["healthcheck"]


# --- make run ----------------------------------------------------------------------------------


def _load_run_script():
    spec = importlib.util.spec_from_file_location("studio_run", ROOT / "scripts" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
def test_make_run_starts_a_private_redis_where_nothing_answers_and_says_so(capsys):
    run = _load_run_script()
    url = f"redis://127.0.0.1:{_free_port()}/0"
    assert not run.redis_answers(url)

    process = run.start_private_redis(url)
    try:
        assert run.redis_answers(url)
        said = capsys.readouterr().out
        assert f"Nothing answered at {url}, so a private Redis" in said
        assert "stops with `make run`" in said
    finally:
        run.stop(process)
    assert process.poll() is not None and not run.redis_answers(url)


def test_make_run_explains_what_to_do_when_redis_is_elsewhere_and_down():
    run = _load_run_script()
    with pytest.raises(SystemExit) as stopped:
        run.start_private_redis("redis://redis.internal.example:6379/0")
    assert "not on this machine" in str(stopped.value) and "apt-get install" in str(stopped.value)


@pytest.mark.django_db
def test_the_demo_login_owns_the_demo_workspace_and_is_no_superuser():
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from recraft_studio.workspaces.models import Membership, Role

    get_user_model().objects.create_superuser("demo", password="old")  # an older make run
    call_command("studio_demo", password="a demo pass phrase")
    demo = get_user_model().objects.get(username="demo")
    assert not demo.is_superuser and not demo.is_staff
    assert Membership.objects.get(user=demo).role == Role.OWNER


# --- logs --------------------------------------------------------------------------------------


def test_production_logs_are_one_json_object_per_line():
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('recraft_studio.jobs').warning('job %s failed', 'abc')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean_env(), "DJANGO_SETTINGS_MODULE": "recraft_studio.settings"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["message"] == "job abc failed"
    assert line["level"] == "WARNING" and line["logger"] == "recraft_studio.jobs"
    assert "time" in line

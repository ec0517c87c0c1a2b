"""Running the sandbox: the command line, the environment, and serving many at once."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time

import httpx
import numpy as np
import pytest

from recraft_studio.recraft import catalog
from recraft_studio.sandbox.config import config_from_argv, parse_latency

from . import pictures


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("0.25", {"default": 0.25}),
        (
            "generations=0.5,vectorize=0.2,default=0.05",
            {"generations": 0.5, "vectorize": 0.2, "default": 0.05},
        ),
        ("", {}),
    ],
)
def test_a_latency_spec_is_read_as_seconds_by_endpoint(spec, expected):
    assert parse_latency(spec) == expected


@pytest.mark.parametrize("spec", ["fast", "generations=-1", "=0.5"])
def test_an_unreadable_latency_spec_is_refused(spec):
    with pytest.raises(ValueError):
        parse_latency(spec)


def test_defaults_are_the_apis_own_limits():
    config = config_from_argv([], env={})

    assert config.tokens == ("sandbox-token",)
    assert config.credits == 100_000
    assert config.rate_limit == catalog.RATE_LIMIT_PER_MINUTE
    assert config.url_ttl == catalog.IMAGE_TTL_SECONDS
    assert config.admin_secret is None
    assert config.base_public_url == f"http://127.0.0.1:{config.port}"


def test_options_come_from_the_environment_and_the_command_line_wins():
    env = {
        "SANDBOX_TOKENS": "team-a, team-b",
        "SANDBOX_CREDITS": "500",
        "SANDBOX_RATE_LIMIT": "10",
        "SANDBOX_LATENCY": "generations=0.5",
        "SANDBOX_URL_TTL": "60",
        "SANDBOX_ADMIN_SECRET": "s3cret",
        "SANDBOX_PUBLIC_URL": "http://sandbox:8765/",
    }

    from_env = config_from_argv([], env=env)
    overridden = config_from_argv(["--token", "cli", "--credits", "7"], env=env)

    assert from_env.tokens == ("team-a", "team-b")
    assert (from_env.credits, from_env.rate_limit, from_env.url_ttl) == (500, 10, 60)
    assert from_env.latency == {"generations": 0.5}
    assert from_env.admin_secret == "s3cret"
    assert from_env.base_public_url == "http://sandbox:8765"
    assert overridden.tokens == ("cli",)
    assert overridden.credits == 7


def test_a_bad_environment_value_is_reported_like_a_bad_option(capsys):
    with pytest.raises(SystemExit):
        config_from_argv([], env={"SANDBOX_CREDITS": "lots"})

    assert "--credits" in capsys.readouterr().err


def test_the_command_runs_a_sandbox_configured_from_the_environment():
    env = {
        **os.environ,
        "SANDBOX_TOKENS": "ci-one,ci-two",
        "SANDBOX_CREDITS": "300",
        "SANDBOX_LATENCY": "me=0.4,default=0",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "recraft_studio.sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        text=True,
    )
    try:
        ready = process.stdout.readline()
        match = re.search(r"(http://\S+)/v1", ready)
        assert match, ready
        url = match.group(1)
        with httpx.Client(base_url=f"{url}/v1", timeout=30) as http:
            started = time.monotonic()
            me = http.get("/users/me", headers={"Authorization": "Bearer ci-two"})
            slow = time.monotonic() - started
            styles = http.get("/styles", headers={"Authorization": "Bearer ci-one"})
            default = http.get("/users/me", headers={"Authorization": "Bearer sandbox-token"})
            admin = httpx.get(f"{url}/_sandbox/state", headers={"X-Sandbox-Secret": ""})

        assert me.json()["credits"] == 300
        assert slow >= 0.4
        assert styles.status_code == 200
        assert default.status_code == 401  # tokens from the environment replace the default
        assert admin.status_code == 404  # no secret, no admin API
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_unknown_paths_answer_json_errors(anonymous):
    missing = anonymous.get("/images/nothing-here")
    wrong_method = anonymous.get("/images/generations")

    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert wrong_method.status_code == 405 and wrong_method.json()["code"] == "method_not_allowed"


def test_a_slow_operation_does_not_hold_up_other_calls(http, sandbox):
    ramp = np.linspace(0, 255, 1536, dtype=np.uint8)
    large = pictures.encode(np.dstack([np.tile(ramp, (1536, 1))] * 3))
    finished = {}

    def upscale():
        response = http.post("/images/creativeUpscale", files={"file": ("big.png", large)})
        finished["upscale"] = (time.monotonic(), response.status_code)

    worker = threading.Thread(target=upscale)
    worker.start()
    time.sleep(0.2)  # the upscale is under way in the sandbox
    me = http.get("/users/me")
    finished["me"] = time.monotonic()
    worker.join()

    assert me.status_code == 200
    assert finished["upscale"][1] == 200
    assert finished["me"] < finished["upscale"][0]


def test_concurrent_calls_are_each_charged_once(sandbox):
    sandbox.set_credits(sandbox.token, 200)  # enough for 5 of the 8 calls below
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    statuses = []

    def generate():
        with httpx.Client(base_url=sandbox.base_url, headers=headers, timeout=60) as http:
            statuses.append(http.post("/images/generations", json={"prompt": "x"}).status_code)

    threads = [threading.Thread(target=generate) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200] * 5 + [402] * 3
    assert sandbox.credits() == 0

"""The admin API: injected faults, runtime knobs, the request log and reset."""

from __future__ import annotations

import contextlib
import json
import time

import httpx
import openai
import pytest

from . import pictures


def test_the_admin_api_needs_the_secret(sandbox):
    for headers in ({}, {"X-Sandbox-Secret": "wrong"}):
        response = httpx.get(f"{sandbox.url}/_sandbox/state", headers=headers)
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"


@pytest.mark.parametrize("status", [500, 503])
def test_injected_error_statuses_answer_the_next_requests_then_stop(status, http, sandbox):
    sandbox.set_faults(status, count=2)

    statuses = [http.get("/users/me").status_code for _ in range(3)]

    assert statuses == [status, status, 200]


def test_an_injected_503_says_when_to_retry(http, sandbox):
    sandbox.set_faults(503)

    response = http.post("/images/generations", json={"prompt": "x"})

    assert response.headers["Retry-After"] == "1"
    assert http.get("/users/me").json()["credits"] == 100_000


def test_an_injected_429_answers_as_the_rate_limit_itself_does(http, sandbox):
    sandbox.set_rate_limit(1)
    http.post("/images/generations", json={"prompt": "x"})
    real = http.post("/images/generations", json={"prompt": "x"})
    sandbox.reset()
    sandbox.set_faults(429, seconds=3)

    injected = http.post("/images/generations", json={"prompt": "x"})

    assert real.status_code == injected.status_code == 429
    assert set(injected.json()) == set(real.json()) == {"code", "message"}
    assert injected.json()["code"] == real.json()["code"] == "too_many_requests"
    assert injected.headers["Retry-After"] == "3"
    assert real.headers["Retry-After"].isdigit()
    assert injected.headers["content-type"] == real.headers["content-type"]


@pytest.mark.parametrize(("seconds", "retry_after"), [(None, "1"), (0, "1"), (2.2, "3")])
def test_an_injected_429_says_to_retry_after_whole_seconds(seconds, retry_after, http, sandbox):
    sandbox.set_faults(429, seconds=seconds)

    response = http.get("/users/me")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == retry_after


def test_the_openai_client_sees_an_injected_429_as_a_rate_limit_error(sandbox):
    sandbox.set_faults(429, path="generations")
    client = openai.OpenAI(base_url=sandbox.base_url, api_key=sandbox.token, max_retries=0)

    with pytest.raises(openai.RateLimitError):
        client.images.generate(prompt="race car on a track")


@pytest.mark.parametrize(
    ("kind", "charged"),
    [("500", False), ("503", False), ("429", False), ("drop", False), ("stall", True)],
)
def test_only_a_stalled_call_is_charged_and_counted_against_the_rate_limit(
    kind, charged, http, sandbox
):
    sandbox.set_rate_limit(2)
    sandbox.set_faults(kind, seconds=0.1, path="generations")

    with contextlib.suppress(httpx.RemoteProtocolError, httpx.ReadError):  # dropped
        http.post("/images/generations", json={"prompt": "x", "n": 2})

    state = sandbox.state()
    assert state["credits"][sandbox.token] == (100_000 - 80 if charged else 100_000)
    assert state["images_used_this_minute"][sandbox.token] == (2 if charged else 0)
    after = http.post("/images/generations", json={"prompt": "x", "n": 2})
    assert after.status_code == (429 if charged else 200)


def test_a_fault_for_one_path_leaves_other_paths_alone(http, sandbox):
    sandbox.set_faults(500, count=1, path="generations")

    me = http.get("/users/me")
    generation = http.post("/images/generations", json={"prompt": "x"})

    assert me.status_code == 200
    assert generation.status_code == 500


def test_a_fault_can_target_image_downloads(http, fetch, sandbox):
    url = http.post("/images/generations", json={"prompt": "x"}).json()["data"][0]["url"]
    sandbox.set_faults(503, path="/images/")

    assert fetch(url).status_code == 503
    assert fetch(url).status_code == 200


def test_a_dropped_connection_gets_no_answer(http, sandbox):
    sandbox.set_faults("drop")

    # A reset read mid-answer is a ReadError, one seen before it a protocol error.
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        http.post("/images/generations", json={"prompt": "x"})

    assert sandbox.requests()[-1]["status"] == "dropped"
    assert http.get("/users/me").json()["credits"] == 100_000


def test_a_stall_delays_the_answer(http, sandbox):
    sandbox.set_faults("stall", seconds=0.6)
    started = time.monotonic()

    response = http.get("/users/me")

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.6


def test_the_openai_client_retries_through_injected_503s(sandbox):
    sandbox.set_faults(503, count=2, path="generations")
    client = openai.OpenAI(base_url=sandbox.base_url, api_key=sandbox.token, max_retries=2)

    response = client.images.generate(prompt="race car on a track")

    assert response.data[0].url
    generations = sandbox.requests(path="/v1/images/generations")
    assert sandbox.requests(path="generations") == generations
    assert [r["status"] for r in generations] == [503, 503, 200]


def test_latency_can_be_set_per_endpoint_at_runtime(http, sandbox):
    sandbox.set_latency({"me": 0.5})

    started = time.monotonic()
    http.get("/users/me")
    slow = time.monotonic() - started
    started = time.monotonic()
    http.get("/styles")
    fast = time.monotonic() - started

    assert slow >= 0.5
    assert fast < 0.5


def test_the_request_log_shows_what_the_client_sent(client, sandbox):
    style = client.post(
        path="/styles",
        cast_to=object,
        options={"headers": {"Content-Type": "multipart/form-data"}},
        body={"style": "digital_illustration"},
        files={"file1": ("ref.png", pictures.photo())},
    )
    client.post(
        path="/images/imageToImage",
        cast_to=object,
        options={"headers": {"Content-Type": "multipart/form-data"}},
        files={"image": ("image.png", pictures.photo())},
        body={
            "prompt": "winter",
            "strength": 0.4,
            "style_id": style["id"],
            "controls": {"colors": [{"rgb": [0, 255, 0]}], "artistic_level": 3},
        },
    )

    received = sandbox.requests(path="/v1/images/imageToImage")[-1]

    assert received["method"] == "POST"
    assert received["status"] == 200
    assert received["params"] == {
        "prompt": "winter",
        "strength": 0.4,
        "style_id": style["id"],
        "controls": {"colors": [{"rgb": [0, 255, 0]}], "artistic_level": 3},
    }
    assert [(f["field"], f["size"]) for f in received["files"]] == [
        ("image", len(pictures.photo()))
    ]


def test_the_request_log_keeps_refused_calls_with_their_status(http, sandbox):
    http.post("/images/generations", json={"prompt": "x", "n": 0})

    received = sandbox.requests()[-1]

    assert received["status"] == 400
    assert received["params"] == {"prompt": "x", "n": 0}


def test_controls_sent_as_a_json_string_are_read_as_an_object(http, sandbox):
    controls = {"colors": [{"rgb": [10, 20, 30]}], "background_color": {"rgb": [1, 2, 3]}}

    response = http.post(
        "/images/imageToImage",
        data={"prompt": "x", "strength": "0.5", "controls": json.dumps(controls)},
        files={"image": ("a.png", pictures.photo())},
    )

    assert response.status_code == 200, response.text
    assert sandbox.requests()[-1]["params"]["controls"] == controls


def test_text_layout_flattened_by_the_openai_client_is_put_back_together(client, sandbox):
    layout = [
        {"text": "RECRAFT", "bbox": [[0.1, 0.1], [0.5, 0.1], [0.5, 0.2], [0.1, 0.2]]},
        {"text": "AI", "bbox": [[0.6, 0.1], [0.7, 0.1], [0.7, 0.2], [0.6, 0.2]]},
    ]

    client.post(
        path="/images/generations",
        cast_to=object,
        options={"headers": {"Content-Type": "multipart/form-data"}},
        body={"prompt": "a sign", "n": 2, "text_layout": layout},
        files={},
    )

    received = sandbox.requests()[-1]
    assert received["status"] == 200
    assert received["params"] == {"prompt": "a sign", "n": 2, "text_layout": layout}


def test_credits_rate_limit_and_ttl_can_be_read_back(sandbox):
    sandbox.set_credits(sandbox.token, 123)
    sandbox.set_rate_limit(7)
    sandbox.set_url_ttl(60)

    state = sandbox.state()

    assert state["credits"][sandbox.token] == 123
    assert state["rate_limit"] == 7
    assert state["url_ttl"] == 60


def test_reset_restores_balances_and_knobs_and_forgets_everything(http, sandbox):
    http.post("/images/generations", json={"prompt": "x"})
    http.post("/styles", data={"style": "icon"}, files={"file1": ("a.png", pictures.photo())})
    sandbox.set_rate_limit(1)
    sandbox.set_faults(500, count=5)

    sandbox.reset()

    state = sandbox.state()
    assert state["credits"][sandbox.token] == 100_000
    assert state["rate_limit"] == 100
    assert state["faults"] == []
    assert state["stored_images"] == 0
    assert state["styles"] == 0
    assert sandbox.requests() == []


def test_a_bad_fault_is_refused_naming_what_is_wrong(sandbox):
    response = httpx.post(
        f"{sandbox.url}/_sandbox/faults",
        json={"kind": "explode"},
        headers={"X-Sandbox-Secret": sandbox.admin_secret},
    )

    assert response.status_code == 400
    assert "kind must be one of" in response.json()["message"]

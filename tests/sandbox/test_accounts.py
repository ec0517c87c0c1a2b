"""Tokens, prices, balances and the per-minute image limit."""

from __future__ import annotations

import openai
import pytest

from . import pictures


def _photo():
    return {"file": ("image.png", pictures.photo())}


def _image():
    return {"image": ("image.png", pictures.photo())}


def _image_and_mask():
    return {"image": ("image.png", pictures.photo()), "mask": ("mask.png", pictures.mask())}


# (call, units the Pricing table charges for it)
PRICED_CALLS = {
    "raster generation on V3": (
        lambda http: http.post("/images/generations", json={"prompt": "x", "style": "any"}),
        40,
    ),
    "raster generation on V2": (
        lambda http: http.post(
            "/images/generations",
            json={"prompt": "x", "model": "recraftv2", "style": "realistic_image"},
        ),
        22,
    ),
    "vector generation on V3": (
        lambda http: http.post(
            "/images/generations", json={"prompt": "x", "style": "vector_illustration"}
        ),
        80,
    ),
    "vector generation on V2 (icon)": (
        lambda http: http.post(
            "/images/generations", json={"prompt": "x", "model": "recraftv2", "style": "icon"}
        ),
        44,
    ),
    "three raster images": (
        lambda http: http.post("/images/generations", json={"prompt": "x", "n": 3}),
        120,
    ),
    "raster image to image": (
        lambda http: http.post(
            "/images/imageToImage", data={"prompt": "x", "strength": "0.5"}, files=_image()
        ),
        40,
    ),
    "vector image to image, two images": (
        lambda http: http.post(
            "/images/imageToImage",
            data={"prompt": "x", "strength": "0.5", "style": "vector_illustration", "n": "2"},
            files=_image(),
        ),
        160,
    ),
    "raster inpainting": (
        lambda http: http.post("/images/inpaint", data={"prompt": "x"}, files=_image_and_mask()),
        40,
    ),
    "replace vector background": (
        lambda http: http.post(
            "/images/replaceBackground",
            data={"prompt": "x", "style": "vector_illustration"},
            files=_image(),
        ),
        80,
    ),
    "generate raster background": (
        lambda http: http.post(
            "/images/generateBackground", data={"prompt": "x"}, files=_image_and_mask()
        ),
        40,
    ),
    "style creation": (
        lambda http: http.post(
            "/styles", data={"style": "icon"}, files={"file1": _photo()["file"]}
        ),
        40,
    ),
    "vectorization": (lambda http: http.post("/images/vectorize", files=_photo()), 10),
    "background removal": (lambda http: http.post("/images/removeBackground", files=_photo()), 10),
    "crisp upscale": (lambda http: http.post("/images/crispUpscale", files=_photo()), 4),
    "creative upscale": (lambda http: http.post("/images/creativeUpscale", files=_photo()), 250),
    "erase region": (lambda http: http.post("/images/eraseRegion", files=_image_and_mask()), 2),
    "two variations": (
        lambda http: http.post(
            "/images/variateImage", data={"size": "1024x1024", "n": "2"}, files=_image()
        ),
        80,
    ),
}


@pytest.mark.parametrize("name", list(PRICED_CALLS))
def test_each_call_charges_its_documented_price_and_says_so(name, http):
    call, price = PRICED_CALLS[name]

    response = call(http)

    assert response.status_code == 200, response.text
    assert response.json()["credits"] == price
    assert http.get("/users/me").json()["credits"] == 100_000 - price


def test_a_style_id_is_priced_by_the_base_style_it_was_made_from(http):
    style = http.post(
        "/styles", data={"style": "vector_illustration"}, files={"file1": _photo()["file"]}
    ).json()

    response = http.post("/images/generations", json={"prompt": "x", "style_id": style["id"]})

    assert response.json()["credits"] == 80
    assert response.json()["data"][0]["url"]


def test_a_refused_request_costs_nothing(http):
    http.post("/images/generations", json={"prompt": "x", "n": 9})

    assert http.get("/users/me").json()["credits"] == 100_000


def test_each_token_has_its_own_balance(http, sandbox):
    http.post("/images/generations", json={"prompt": "x"})

    other = http.get("/users/me", headers={"Authorization": "Bearer second-token"}).json()
    mine = http.get("/users/me").json()

    assert mine["credits"] == 100_000 - 40
    assert other["credits"] == 100_000
    assert mine["id"] != other["id"]


@pytest.mark.parametrize(
    "headers, message",
    [
        ({}, "Authorization header"),
        ({"Authorization": "Bearer not-a-token"}, "not valid"),
        ({"Authorization": "Basic c2FuZGJveC10b2tlbg=="}, "Authorization header"),
    ],
)
def test_a_missing_or_unknown_token_is_unauthorized(headers, message, anonymous):
    response = anonymous.post("/images/generations", json={"prompt": "x"}, headers=headers)

    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert message in response.json()["message"]


def test_a_call_the_balance_cannot_cover_is_refused_and_charges_nothing(http, sandbox):
    sandbox.set_credits(sandbox.token, 79)

    refused = http.post("/images/generations", json={"prompt": "x", "style": "vector_illustration"})
    cheaper = http.post("/images/generations", json={"prompt": "x"})

    assert refused.status_code == 402
    assert refused.json()["code"] == "not_enough_credits"
    assert "80" in refused.json()["message"] and "79" in refused.json()["message"]
    assert cheaper.status_code == 200
    assert http.get("/users/me").json()["credits"] == 39


def test_an_admin_can_add_a_token_with_its_own_balance(anonymous, sandbox):
    sandbox.set_credits("new-team-token", 7)

    me = anonymous.get("/users/me", headers={"Authorization": "Bearer new-team-token"})

    assert me.status_code == 200
    assert me.json()["credits"] == 7


# --- rate limit -----------------------------------------------------------------------


def test_images_beyond_the_per_minute_limit_are_refused_with_retry_after(http, sandbox):
    sandbox.set_rate_limit(5)

    first = http.post("/images/generations", json={"prompt": "x", "n": 3})
    second = http.post("/images/generations", json={"prompt": "x", "n": 3})
    third = http.post("/images/generations", json={"prompt": "x", "n": 2})

    assert first.status_code == 200
    assert second.status_code == 429
    assert second.json()["code"] == "too_many_requests"
    assert 1 <= int(second.headers["Retry-After"]) <= 60
    assert third.status_code == 200  # 3 + 2 fits in 5
    assert http.get("/users/me").json()["credits"] == 100_000 - 5 * 40


def test_each_single_image_tool_call_counts_one_image(http, sandbox):
    sandbox.set_rate_limit(2)

    statuses = [http.post("/images/crispUpscale", files=_photo()).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_creating_a_style_makes_no_image_and_is_not_rate_limited(http, sandbox):
    sandbox.set_rate_limit(1)
    http.post("/images/generations", json={"prompt": "x"})

    response = http.post("/styles", data={"style": "icon"}, files={"file1": _photo()["file"]})

    assert response.status_code == 200


def test_the_rate_limit_is_per_token(http, sandbox):
    sandbox.set_rate_limit(1)
    http.post("/images/generations", json={"prompt": "x"})

    other = http.post(
        "/images/generations",
        json={"prompt": "x"},
        headers={"Authorization": "Bearer second-token"},
    )

    assert other.status_code == 200


def test_the_openai_client_reports_the_rate_limit(client, sandbox):
    sandbox.set_rate_limit(1)
    client.images.generate(prompt="x")

    with pytest.raises(openai.RateLimitError) as caught:
        client.images.generate(prompt="x")

    assert caught.value.response.headers["Retry-After"]

"""Image URLs: public, signed, typed by content, and gone when they expire."""

from __future__ import annotations

import base64
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from . import pictures


def _generate(http, **params) -> dict:
    response = http.post("/images/generations", json={"prompt": "a lighthouse", **params})
    assert response.status_code == 200, response.text
    return response.json()["data"][0]


def _with_query(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return parts._replace(query=urlencode(query)).geturl()


@pytest.mark.parametrize(
    "params, content_type, magic",
    [
        ({}, "image/png", b"\x89PNG"),
        ({"image_format": "webp"}, "image/webp", b"RIFF"),
        ({"style": "vector_illustration"}, "image/svg+xml", b"<svg"),
    ],
)
def test_an_image_url_serves_the_image_without_a_token(params, content_type, magic, http, fetch):
    url = _generate(http, **params)["url"]

    response = fetch(url)

    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.content.startswith(magic)


def test_b64_json_answers_the_same_bytes_the_url_would(http, fetch):
    by_url = _generate(http, random_seed=7)
    inline = _generate(http, random_seed=7, response_format="b64_json")

    assert "url" not in inline
    assert base64.b64decode(inline["b64_json"]) == fetch(by_url["url"]).content


def test_a_tampered_signature_is_forbidden(http, fetch):
    url = _generate(http)["url"]

    response = fetch(_with_query(url, signature="A" * 32))

    assert response.status_code == 403


def test_an_expiry_pushed_later_is_forbidden(http, fetch):
    url = _generate(http)["url"]
    expires = float(parse_qs(urlsplit(url).query)["expires"][0])

    response = fetch(_with_query(url, expires=f"{expires + 86_400:.3f}"))

    assert response.status_code == 403


def test_a_signature_does_not_open_another_image(http, fetch):
    first, second = http.post("/images/generations", json={"prompt": "x", "n": 2}).json()["data"]
    query = urlsplit(first["url"]).query

    response = fetch(second["url"].split("?")[0] + "?" + query)

    assert response.status_code == 403


def test_an_expired_url_is_gone_and_the_image_is_swept(http, fetch, sandbox):
    sandbox.set_url_ttl(1)
    image = _generate(http)
    assert fetch(image["url"]).status_code == 200
    stored = sandbox.state()["stored_images"]

    time.sleep(2.2)  # past the TTL and at least one sweep (every second)

    assert fetch(image["url"]).status_code == 410
    assert sandbox.state()["stored_images"] < stored


def test_the_url_ttl_applies_to_tool_results_too(http, fetch, sandbox):
    sandbox.set_url_ttl(1)
    response = http.post("/images/vectorize", files={"file": ("a.png", pictures.photo())})

    time.sleep(1.2)

    assert fetch(response.json()["image"]["url"]).status_code == 410


def test_image_urls_use_the_public_url(http, sandbox):
    url = _generate(http)["url"]

    assert url.startswith(f"{sandbox.url}/images/")

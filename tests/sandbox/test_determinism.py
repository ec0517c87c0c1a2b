"""The same request with the same random_seed gives the same bytes, whatever ids the
images get; a different seed gives a different picture; no seed, a new picture."""

from __future__ import annotations

import base64

import pytest

from . import pictures


def _bytes(http, path, **request) -> list[bytes]:
    response = http.post(path, **request)
    assert response.status_code == 200, response.text
    body = response.json()
    images = [body["image"]] if "image" in body else body["data"]
    return [base64.b64decode(i["b64_json"]) for i in images]


def _photo():
    return {"image": ("image.png", pictures.photo())}


REQUESTS = {
    "generation": (
        "/images/generations",
        lambda: {
            "json": {"prompt": "a fox", "n": 2, "random_seed": 7, "response_format": "b64_json"}
        },
    ),
    "vector generation": (
        "/images/generations",
        lambda: {
            "json": {
                "prompt": "a fox",
                "style": "vector_illustration",
                "random_seed": 7,
                "response_format": "b64_json",
            }
        },
    ),
    "image to image": (
        "/images/imageToImage",
        lambda: {
            "data": {
                "prompt": "winter",
                "strength": "0.5",
                "random_seed": "7",
                "response_format": "b64_json",
            },
            "files": _photo(),
        },
    ),
    "remove background": (
        "/images/removeBackground",
        lambda: {"data": {"response_format": "b64_json"}, "files": _photo()},
    ),
    "vectorize": (
        "/images/vectorize",
        lambda: {"data": {"response_format": "b64_json"}, "files": _photo()},
    ),
    "creative upscale": (
        "/images/creativeUpscale",
        lambda: {
            "data": {"random_seed": "7", "response_format": "b64_json"},
            "files": _photo(),
        },
    ),
    "variations": (
        "/images/variateImage",
        lambda: {
            "data": {
                "size": "1024x1024",
                "n": "2",
                "random_seed": "7",
                "response_format": "b64_json",
            },
            "files": _photo(),
        },
    ),
}


@pytest.mark.parametrize("name", list(REQUESTS))
def test_the_same_request_answers_the_same_bytes(name, http):
    path, request = REQUESTS[name]

    first = _bytes(http, path, **request())
    second = _bytes(http, path, **request())

    assert first == second


def test_a_different_random_seed_gives_a_different_image(http):
    def generate(seed):
        return _bytes(
            http,
            "/images/generations",
            json={"prompt": "a fox", "random_seed": seed, "response_format": "b64_json"},
        )

    assert generate(1) == generate(1)
    assert generate(1) != generate(2)


def test_the_docs_seed_and_random_seed_are_the_same_seed(http):
    def variate(field):
        return _bytes(
            http,
            "/images/variateImage",
            data={"size": "1024x1024", field: "13191922", "response_format": "b64_json"},
            files=_photo(),
        )

    assert variate("seed") == variate("random_seed")


def test_a_different_upload_gives_a_different_result(http):
    def vectorize(upload):
        return _bytes(
            http,
            "/images/vectorize",
            data={"response_format": "b64_json"},
            files={"file": ("a.png", upload)},
        )

    assert vectorize(pictures.photo()) != vectorize(pictures.photo(400, 256))


def test_the_first_of_n_images_is_the_image_a_call_for_one_gives(http):
    one = _bytes(
        http,
        "/images/generations",
        json={"prompt": "a fox", "random_seed": 5, "response_format": "b64_json"},
    )
    three = _bytes(
        http,
        "/images/generations",
        json={"prompt": "a fox", "n": 3, "random_seed": 5, "response_format": "b64_json"},
    )

    assert three[0] == one[0]
    assert len(set(three)) == 3


def test_asking_again_without_a_seed_gives_new_pictures_as_the_api_does(http):
    request = {"json": {"prompt": "a fox", "response_format": "b64_json"}}

    assert _bytes(http, "/images/generations", **request) != _bytes(
        http, "/images/generations", **request
    )


def test_the_deterministic_tools_answer_the_same_bytes_without_a_seed(http):
    request = {"data": {"response_format": "b64_json"}, "files": _photo()}

    assert _bytes(http, "/images/vectorize", **request) == _bytes(
        http, "/images/vectorize", **request
    )

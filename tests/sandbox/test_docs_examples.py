"""Every example in the API docs works against the sandbox, unchanged but for the base
URL and the key: first through the OpenAI Python client as the docs write it, then
as the docs' curl commands send it."""

# The docs open their uploads inline (`open('image.png', 'rb')`); so do these tests.
# ruff: noqa: SIM115

from __future__ import annotations

import pytest

from . import pictures


@pytest.fixture
def docs_files(tmp_path, monkeypatch):
    """image.png and mask.png in the working directory, so `open('image.png', 'rb')`
    works as written in the docs."""
    (tmp_path / "image.png").write_bytes(pictures.photo())
    (tmp_path / "mask.png").write_bytes(pictures.mask())
    monkeypatch.chdir(tmp_path)


def _create_style(client):
    return client.post(
        path="/styles",
        cast_to=object,
        options={"headers": {"Content-Type": "multipart/form-data"}},
        body={"style": "digital_illustration"},
        files={"file1": open("image.png", "rb")},
    )


# Each example: the docs' call, and where its image is in the answer.
PYTHON_EXAMPLES = {
    "generate image": (
        lambda client: client.images.generate(
            prompt="race car on a track",
            style="digital_illustration",
        ),
        "data",
    ),
    "image to image": (
        lambda client: client.post(
            path="/images/imageToImage",
            cast_to=object,
            options={"headers": {"Content-Type": "multipart/form-data"}},
            files={
                "image": open("image.png", "rb"),
            },
            body={
                "prompt": "winter",
                "strength": 0.2,
            },
        ),
        "data",
    ),
    "inpaint": (
        lambda client: client.post(
            path="/images/inpaint",
            cast_to=object,
            options={"headers": {"Content-Type": "multipart/form-data"}},
            files={
                "image": open("image.png", "rb"),
                "mask": open("mask.png", "rb"),
            },
            body={
                "prompt": "winter",
            },
        ),
        "data",
    ),
    "replace background": (
        lambda client: client.post(
            path="/images/replaceBackground",
            cast_to=object,
            options={"headers": {"Content-Type": "multipart/form-data"}},
            files={
                "image": open("image.png", "rb"),
            },
            body={
                "prompt": "winter",
            },
        ),
        "data",
    ),
    "generate background": (
        lambda client: client.post(
            path="/images/generateBackground",
            cast_to=object,
            options={"headers": {"Content-Type": "multipart/form-data"}},
            files={
                "image": open("image.png", "rb"),
                "mask": open("mask.png", "rb"),
            },
            body={
                "prompt": "winter",
            },
        ),
        "data",
    ),
    "vectorize": (
        lambda client: client.post(
            path="/images/vectorize",
            cast_to=object,
            options={"headers": {"Content-Type": "multipart/form-data"}},
            files={"file": open("image.png", "rb")},
        ),
        "image",
    ),
    "remove background": (
        lambda client: client.post(
            path="/images/removeBackground",
            cast_to=object,
            options={"headers": {"Content-Type": "multipart/form-data"}},
            files={"file": open("image.png", "rb")},
        ),
        "image",
    ),
    "crisp upscale": (
        lambda client: client.post(
            path="/images/crispUpscale",
            cast_to=object,
            options={"headers": {"Content-Type": "multipart/form-data"}},
            files={"file": open("image.png", "rb")},
        ),
        "image",
    ),
    "creative upscale": (
        lambda client: client.post(
            path="/images/creativeUpscale",
            cast_to=object,
            options={"headers": {"Content-Type": "multipart/form-data"}},
            files={"file": open("image.png", "rb")},
        ),
        "image",
    ),
    "erase region": (
        lambda client: client.post(
            path="/images/eraseRegion",
            cast_to=object,
            options={"headers": {"Content-Type": "multipart/form-data"}},
            files={"image": open("image.png", "rb"), "mask": open("mask.png", "rb")},
        ),
        "image",
    ),
    "controls colors": (
        lambda client: client.images.generate(
            prompt="race car on a track",
            style="realistic_image",
            extra_body={"controls": {"colors": [{"rgb": [0, 255, 0]}]}},
        ),
        "data",
    ),
    "text layout": (
        lambda client: client.images.generate(
            prompt="cute red panda with a sign",
            style="digital_illustration",
            extra_body={
                "text_layout": [
                    {
                        "text": "Recraft",
                        "bbox": [[0.3, 0.45], [0.6, 0.45], [0.6, 0.55], [0.3, 0.55]],
                    },
                    {
                        "text": "AI",
                        "bbox": [[0.62, 0.45], [0.70, 0.45], [0.70, 0.55], [0.62, 0.55]],
                    },
                ]
            },
        ),
        "data",
    ),
    "variate image": (
        lambda client: client.post(
            path="/images/variateImage",
            cast_to=object,
            options={"headers": {"Content-Type": "multipart/form-data"}},
            files={"image": open("image.png", "rb")},
            body={"size": "1024x1024"},
        ),
        "data",
    ),
    "examples: generate with recraftv3": (
        lambda client: client.images.generate(
            prompt="two race cars on a track",
            style="digital_illustration",
            model="recraftv3",
        ),
        "data",
    ),
    "examples: generate with size": (
        lambda client: client.images.generate(
            prompt="red point siamese cat",
            style="realistic_image",
            size="1280x1024",
        ),
        "data",
    ),
    "examples: generate with substyle": (
        lambda client: client.images.generate(
            prompt="a monster with lots of hands",
            style="digital_illustration",
            extra_body={"substyle": "hand_drawn"},
        ),
        "data",
    ),
    "examples: image to image with style": (
        lambda client: client.post(
            path="/images/imageToImage",
            cast_to=object,
            options={"headers": {"Content-Type": "multipart/form-data"}},
            files={
                "image": open("image.png", "rb"),
            },
            body={
                "prompt": "winter",
                "strength": 0.2,
                "style": "digital_illustration",
            },
        ),
        "data",
    ),
    "examples: inpaint with style": (
        lambda client: client.post(
            path="/images/inpaint",
            cast_to=object,
            options={"headers": {"Content-Type": "multipart/form-data"}},
            files={
                "image": open("image.png", "rb"),
                "mask": open("mask.png", "rb"),
            },
            body={
                "style": "digital_illustration",
                "prompt": "moon",
            },
        ),
        "data",
    ),
    "examples: remove background as b64": (
        lambda client: client.post(
            path="/images/removeBackground",
            cast_to=object,
            options={"headers": {"Content-Type": "multipart/form-data"}},
            body={"response_format": "b64_json"},
            files={"file": open("image.png", "rb")},
        ),
        "image",
    ),
    "examples: crisp upscale as b64": (
        lambda client: client.post(
            path="/images/crispUpscale",
            cast_to=object,
            options={"headers": {"Content-Type": "multipart/form-data"}},
            body={"response_format": "b64_json"},
            files={"file": open("image.png", "rb")},
        ),
        "image",
    ),
    "examples: variate as webp": (
        lambda client: client.post(
            path="/images/variateImage",
            cast_to=object,
            options={"headers": {"Content-Type": "multipart/form-data"}},
            body={
                "size": "1024x1024",
                "n": 1,
                "response_format": "url",
                "seed": 13191922,
                "image_format": "webp",
            },
            files={"file": open("image.png", "rb")},
        ),
        "data",
    ),
}


def _image_of(response, where: str) -> dict:
    """The first image object of an answer, whatever the client parsed it into."""
    if not isinstance(response, dict):
        response = response.model_dump()
    return response["image"] if where == "image" else response["data"][0]


@pytest.mark.parametrize("name", list(PYTHON_EXAMPLES))
def test_docs_python_example_answers_an_image(name, client, fetch, docs_files):
    call, where = PYTHON_EXAMPLES[name]

    image = _image_of(call(client), where)

    assert image["image_id"]
    if "b64_json" in image and image["b64_json"]:
        assert image.get("url") is None
    else:
        downloaded = fetch(image["url"])
        assert downloaded.status_code == 200
        assert downloaded.headers["content-type"] in ("image/png", "image/webp", "image/svg+xml")
        assert len(downloaded.content) > 100


def test_docs_create_style_example_answers_a_style_id(client, docs_files):
    style = _create_style(client)

    assert style["id"]
    assert style["style"] == "digital_illustration"
    assert style["credits"] == 40


def test_docs_create_style_and_generate_example_generates_with_the_style(client, docs_files):
    style = client.post(
        path="/styles",
        cast_to=object,
        options={"headers": {"Content-Type": "multipart/form-data"}},
        body={"style": "digital_illustration"},
        files={"file": open("image.png", "rb")},
    )

    response = client.images.generate(
        prompt="wood potato masher",
        extra_body={"style_id": style["id"]},
    )

    assert response.data[0].url


def test_docs_user_example_shows_the_balance(client):
    response = client.get(path="/users/me", cast_to=object)

    assert response["credits"] == 100_000
    assert set(response) == {"id", "credits", "email", "name"}


# --- the same calls as the docs' curl commands ----------------------------------------


CURL_EXAMPLES = {
    "generate_recraftv3.sh": lambda http: http.post(
        "/images/generations",
        json={
            "prompt": "two race cars on a track",
            "style": "digital_illustration",
            "model": "recraftv3",
        },
    ),
    "generate_with_size.sh": lambda http: http.post(
        "/images/generations",
        json={"prompt": "red point siamese cat", "style": "realistic_image", "size": "1280x1024"},
    ),
    "generate_digital_illustration.sh": lambda http: http.post(
        "/images/generations",
        json={
            "prompt": "a monster with lots of hands",
            "style": "digital_illustration",
            "substyle": "hand_drawn",
        },
    ),
    "image_to_image.sh": lambda http: http.post(
        "/images/imageToImage",
        data={"prompt": "winter", "strength": "0.2", "style": "digital_illustration"},
        files={"image": open("image.png", "rb")},
    ),
    "inpaint.sh": lambda http: http.post(
        "/images/inpaint",
        data={"prompt": "moon", "style": "digital_illustration"},
        files={"image": open("image.png", "rb"), "mask": open("mask.png", "rb")},
    ),
    "vectorize.sh": lambda http: http.post(
        "/images/vectorize", files={"file": open("image.png", "rb")}
    ),
    "remove_background_b64.sh": lambda http: http.post(
        "/images/removeBackground",
        data={"response_format": "b64_json"},
        files={"file": open("image.png", "rb")},
    ),
    "crisp_upscale_b64.sh": lambda http: http.post(
        "/images/crispUpscale",
        data={"response_format": "b64_json"},
        files={"file": open("image.png", "rb")},
    ),
    "creative_upscale.sh": lambda http: http.post(
        "/images/creativeUpscale", files={"file": open("image.png", "rb")}
    ),
    "variate_image.sh": lambda http: http.post(
        "/images/variateImage",
        data={
            "response_format": "url",
            "size": "1024x1024",
            "n": "1",
            "seed": "13191922",
            "image_format": "webp",
        },
        files={"file": open("image.png", "rb")},
    ),
    "erase region (usage)": lambda http: http.post(
        "/images/eraseRegion",
        files={"image": open("image.png", "rb"), "mask": open("mask.png", "rb")},
    ),
    "replace background (usage)": lambda http: http.post(
        "/images/replaceBackground",
        data={"prompt": "winter"},
        files={"image": open("image.png", "rb")},
    ),
    "generate background (usage)": lambda http: http.post(
        "/images/generateBackground",
        data={"prompt": "winter"},
        files={"image": open("image.png", "rb"), "mask": open("mask.png", "rb")},
    ),
}


@pytest.mark.parametrize("name", list(CURL_EXAMPLES))
def test_docs_curl_example_answers_an_image(name, http, docs_files):
    response = CURL_EXAMPLES[name](http)

    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body["created"], int)
    assert isinstance(body["credits"], int) and body["credits"] > 0
    image = body["image"] if "image" in body else body["data"][0]
    assert image["image_id"]
    assert image.get("url") or image.get("b64_json")


def test_docs_curl_create_style_then_generate_with_its_id(http, docs_files):
    created = http.post(
        "/styles", data={"style": "digital_illustration"}, files={"file": open("image.png", "rb")}
    )
    assert created.status_code == 200, created.text

    generated = http.post(
        "/images/generations",
        json={"prompt": "wood potato masher", "style_id": created.json()["id"]},
    )

    assert generated.status_code == 200, generated.text
    assert generated.json()["data"][0]["url"]

"""Every documented rule: a request that breaks it is answered 400, naming the field
in a sentence, and costs nothing."""

from __future__ import annotations

import pytest

from . import pictures

LONG_PROMPT = "é" * 501  # 501 characters but 1002 bytes: the limit is in bytes
RECRAFT_BOX = [[0.3, 0.45], [0.6, 0.45], [0.6, 0.55], [0.3, 0.55]]


def _generate(**params):
    return {"path": "/images/generations", "json": {"prompt": "a fox", **params}}


def _upload(path, data=None, **files):
    """A multipart call; `files` maps field names to functions making the bytes."""
    return {"path": path, "data": data or {}, "files": files}


def photo():
    return pictures.photo()


def mask():
    return pictures.mask()


# (request, field the answer must name, words the message must contain)
RULES = {
    # prompt
    "prompt is required": (
        {"path": "/images/generations", "json": {"style": "realistic_image"}},
        "prompt",
        "prompt is required",
    ),
    "prompt at most 1000 bytes": (_generate(prompt=LONG_PROMPT), "prompt", "1002 bytes"),
    "prompt of a transform at most 1000 bytes": (
        _upload("/images/inpaint", {"prompt": LONG_PROMPT}, image=photo, mask=mask),
        "prompt",
        "at most 1000 bytes",
    ),
    # n
    "n at least 1": (_generate(n=0), "n", "from 1 to 6"),
    "n at most 6": (_generate(n=7), "n", "from 1 to 6"),
    "n of a transform at most 6": (
        _upload("/images/imageToImage", {"prompt": "x", "strength": "0.5", "n": "7"}, image=photo),
        "n",
        "from 1 to 6",
    ),
    "n must be a number in multipart": (
        _upload(
            "/images/imageToImage", {"prompt": "x", "strength": "0.5", "n": "two"}, image=photo
        ),
        "n",
        "whole number",
    ),
    # size
    "size from the list": (_generate(size="1000x1000"), "size", "not a supported size"),
    "variate needs a size": (
        _upload("/images/variateImage", image=photo),
        "size",
        "size is required",
    ),
    "variate size from the list": (
        _upload("/images/variateImage", {"size": "512x512"}, image=photo),
        "size",
        "not a supported size",
    ),
    # the style / substyle / model matrix
    "style must exist": (_generate(style="oil_painting"), "style", "is not a style"),
    "icon is not a recraftv3 style": (
        _generate(style="icon"),
        "style",
        "not available on recraftv3",
    ),
    "any is not a recraftv2 style": (
        _generate(style="any", model="recraftv2"),
        "style",
        "not available on recraftv2",
    ),
    "substyle must belong to the style": (
        _generate(style="digital_illustration", substyle="b_and_w"),
        "substyle",
        "not a substyle of digital_illustration",
    ),
    "substyle must exist on the model": (
        _generate(style="digital_illustration", substyle="voxel"),
        "substyle",
        "on recraftv3",
    ),
    "substyle needs a style": (_generate(substyle="hdr"), "substyle", "needs the style"),
    "model must be recraftv3 or recraftv2": (
        _generate(model="dall-e-3"),
        "model",
        "must be one of",
    ),
    "transforms take recraftv3 only": (
        _upload(
            "/images/imageToImage",
            {"prompt": "x", "strength": "0.5", "model": "recraftv2"},
            image=photo,
        ),
        "model",
        "must be one of recraftv3",
    ),
    "style_id and style are exclusive": (
        _generate(style="realistic_image", style_id="229b2a75-05e4-4580-85f9-b47ee521a00d"),
        "style_id",
        "mutually exclusive",
    ),
    "style_id must be a UUID": (_generate(style_id="my-style"), "style_id", "must be a UUID"),
    # text layout
    "text layout words use the listed characters": (
        _generate(text_layout=[{"text": "HI~THERE", "bbox": RECRAFT_BOX}]),
        "text_layout[0].text",
        "'~'",
    ),
    "text layout words are single words": (
        _generate(text_layout=[{"text": "TWO WORDS", "bbox": RECRAFT_BOX}]),
        "text_layout[0].text",
        "' '",
    ),
    "text layout boxes have exactly 4 points": (
        _generate(text_layout=[{"text": "AI", "bbox": RECRAFT_BOX[:3]}]),
        "text_layout[0].bbox",
        "exactly 4 points",
    ),
    "text layout is recraftv3 only": (
        _generate(
            model="recraftv2",
            style="digital_illustration",
            text_layout=[{"text": "AI", "bbox": RECRAFT_BOX}],
        ),
        "text_layout",
        "recraftv3 only",
    ),
    # controls
    "artistic level at most 5": (
        _generate(controls={"artistic_level": 6}),
        "controls.artistic_level",
        "from 0 to 5",
    ),
    "artistic level at least 0": (
        _generate(controls={"artistic_level": -1}),
        "controls.artistic_level",
        "from 0 to 5",
    ),
    "colour channels at most 255": (
        _generate(controls={"colors": [{"rgb": [0, 256, 0]}]}),
        "controls.colors[0]",
        "from 0 to 255",
    ),
    "colours have 3 channels": (
        _generate(controls={"colors": [{"rgb": [0, 255]}]}),
        "controls.colors[0]",
        "3 integers",
    ),
    "background colour channels at least 0": (
        _generate(controls={"background_color": {"rgb": [-1, 0, 0]}}),
        "controls.background_color",
        "from 0 to 255",
    ),
    "controls sent as text must be JSON": (
        _upload(
            "/images/imageToImage",
            {"prompt": "x", "strength": "0.5", "controls": "{colors: green}"},
            image=photo,
        ),
        "controls",
        "JSON object",
    ),
    # strength
    "strength is required": (
        _upload("/images/imageToImage", {"prompt": "x"}, image=photo),
        "strength",
        "strength is required",
    ),
    "strength at most 1": (
        _upload("/images/imageToImage", {"prompt": "x", "strength": "1.5"}, image=photo),
        "strength",
        "[0, 1]",
    ),
    "strength at least 0": (
        _upload("/images/imageToImage", {"prompt": "x", "strength": "-0.1"}, image=photo),
        "strength",
        "[0, 1]",
    ),
    "strength must be a number": (
        _upload("/images/imageToImage", {"prompt": "x", "strength": "strong"}, image=photo),
        "strength",
        "must be a number",
    ),
    # formats
    "response format url or b64_json": (_generate(response_format="xml"), "response_format", "url"),
    "image format png or webp": (
        _upload("/images/variateImage", {"size": "1024x1024", "image_format": "jpeg"}, image=photo),
        "image_format",
        "png, webp",
    ),
    "random seed must be a number": (
        _upload("/images/variateImage", {"size": "1024x1024", "random_seed": "abc"}, image=photo),
        "random_seed",
        "whole number",
    ),
    "the docs' seed must fit 32 bits": (
        _upload("/images/variateImage", {"size": "1024x1024", "seed": str(2**32)}, image=photo),
        "seed",
        "4294967295",
    ),
    # uploads: presence, bytes, pixels, sides, formats
    "vectorize needs a file": (_upload("/images/vectorize"), "file", "file is required"),
    "image to image needs an image": (
        _upload("/images/imageToImage", {"prompt": "x", "strength": "0.5"}),
        "image",
        "image file is required",
    ),
    "inpaint needs a mask": (
        _upload("/images/inpaint", {"prompt": "x"}, image=photo),
        "mask",
        "mask file is required",
    ),
    "an upload is a file, not text": (
        {"path": "/images/vectorize", "data": {"file": "image.png"}, "files": {}},
        "file",
        "uploaded as a file",
    ),
    "uploads at most 5 MB": (
        _upload("/images/vectorize", file=lambda: b"\x89PNG\r\n\x1a\n" + bytes(5 * 1024 * 1024)),
        "file",
        "the limit is 5 MB",
    ),
    "crisp upscale at most 4 MP": (
        _upload("/images/crispUpscale", file=lambda: pictures.solid(2100, 2100)),
        "file",
        "the limit is 4 MP",
    ),
    "longer side at most 4096 px": (
        _upload("/images/vectorize", file=lambda: pictures.solid(4097, 300)),
        "file",
        "at most 4096 px",
    ),
    "shorter side at least 256 px": (
        _upload("/images/removeBackground", file=lambda: pictures.solid(400, 255)),
        "file",
        "at least 256 px",
    ),
    "erase region shorter side at least 32 px": (
        _upload(
            "/images/eraseRegion",
            image=lambda: pictures.solid(100, 31),
            mask=lambda: pictures.mask(100, 31, (0, 0, 10, 10)),
        ),
        "image",
        "at least 32 px",
    ),
    "uploads are PNG, JPG or WEBP": (
        _upload("/images/vectorize", file=lambda: pictures.encode(pictures.photo_pixels(), "GIF")),
        "file",
        "GIF files are not accepted",
    ),
    "uploads are images": (
        _upload("/images/vectorize", file=lambda: b"%PDF-1.7 not an image"),
        "file",
        "not an image",
    ),
    # masks
    "masks are grayscale": (
        _upload("/images/eraseRegion", image=photo, mask=lambda: pictures.mask(mode="RGB")),
        "mask",
        "grayscale",
    ),
    "masks are pure black and white": (
        _upload(
            "/images/inpaint",
            {"prompt": "x"},
            image=photo,
            mask=lambda: pictures.encode(pictures.mask_array().astype("uint8") * 128),
        ),
        "mask",
        "pure black (0) or pure white (255)",
    ),
    "masks match the image's size": (
        _upload(
            "/images/generateBackground",
            {"prompt": "x"},
            image=photo,
            mask=lambda: pictures.mask(300, 256),
        ),
        "mask",
        "same size",
    ),
    # style creation
    "a style needs its base style": (
        _upload("/styles", file1=photo),
        "style",
        "base style is required",
    ),
    "a style's base is one of four": (
        _upload("/styles", {"style": "logo_raster"}, file1=photo),
        "style",
        "cannot be the base of a style",
    ),
    "a style needs references": (
        _upload("/styles", {"style": "digital_illustration"}),
        "files",
        "at least one reference",
    ),
    "a style takes at most 5 references": (
        {
            "path": "/styles",
            "data": {"style": "digital_illustration"},
            "files": [("images", photo) for _ in range(6)],
        },
        "images",  # where the sixth came in
        "at most 5",
    ),
    "style references at most 5 MB together": (
        _upload(
            "/styles",
            {"style": "digital_illustration"},
            file1=lambda: pictures.encode(pictures.noise(1200, 1000)),
            file2=lambda: pictures.encode(pictures.noise(1200, 1000)),
        ),
        "files",
        "at most 5 MB",
    ),
}


def _send(http, request):
    if "json" in request:
        return http.post(request["path"], json=request["json"])
    files = request["files"]
    items = files if isinstance(files, list) else list(files.items())
    multipart = [(name, (f"{name}.png", make())) for name, make in items]
    # Without files httpx sends the fields URL-encoded, which the API also reads.
    return http.post(request["path"], data=request["data"], files=multipart or None)


@pytest.mark.parametrize("rule", list(RULES))
def test_a_request_breaking_a_documented_rule_is_refused_naming_the_field(rule, http, sandbox):
    request, field, words = RULES[rule]

    response = _send(http, request)

    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "invalid_request"
    assert body["field"] == field
    assert words in body["message"]
    assert sandbox.credits() == 100_000


def test_an_unknown_style_id_is_not_found_naming_style_id(http):
    response = http.post(
        "/images/generations",
        json={"prompt": "a fox", "style_id": "229b2a75-05e4-4580-85f9-b47ee521a00d"},
    )

    assert response.status_code == 404
    assert response.json()["field"] == "style_id"


def test_another_tokens_style_is_not_found(http, sandbox):
    created = http.post(
        "/styles",
        data={"style": "digital_illustration"},
        files={"file1": ("a.png", pictures.photo())},
    ).json()

    with_other_token = http.post(
        "/images/generations",
        json={"prompt": "a fox", "style_id": created["id"]},
        headers={"Authorization": "Bearer second-token"},
    )

    assert with_other_token.status_code == 404


def test_lower_case_text_layout_words_are_accepted_as_in_the_docs_example(http):
    response = http.post(
        "/images/generations",
        json={"prompt": "a sign", "text_layout": [{"text": "Recraft", "bbox": RECRAFT_BOX}]},
    )

    assert response.status_code == 200, response.text


def test_the_edge_values_of_each_range_are_accepted(http):
    response = http.post(
        "/images/generations",
        json={
            "prompt": "é" * 500,
            "n": 6,
            "controls": {
                "artistic_level": 5,
                "colors": [{"rgb": [0, 0, 0]}, {"rgb": [255, 255, 255]}],
            },
            "size": "1024x1024",
        },
    )

    assert response.status_code == 200, response.text
    assert len(response.json()["data"]) == 6


def test_uploads_at_the_documented_limits_are_accepted(http):
    response = http.post(
        "/images/crispUpscale", files={"file": ("tiny.png", pictures.solid(32, 32))}
    )

    assert response.status_code == 200, response.text


def test_webp_and_jpeg_uploads_are_accepted_and_judged_by_their_bytes(http):
    for fmt in ("WEBP", "JPEG"):
        upload = pictures.photo(fmt=fmt)
        # A misleading name changes nothing: the bytes say what the file is.
        response = http.post("/images/vectorize", files={"file": ("picture.gif", upload)})
        assert response.status_code == 200, (fmt, response.text)

"""What each operation does to the pixels: honest results a client can check."""

from __future__ import annotations

import re

import cv2
import numpy as np
import pytest

from . import pictures

RECRAFT_BOX = [[0.3, 0.45], [0.6, 0.45], [0.6, 0.55], [0.3, 0.55]]


@pytest.fixture
def call(http, fetch):
    """POST to an endpoint and download every image of the answer."""

    def post(path, *, json=None, data=None, files=None) -> list[bytes]:
        response = http.post(path, json=json, data=data, files=files)
        assert response.status_code == 200, response.text
        body = response.json()
        images = [body["image"]] if "image" in body else body["data"]
        downloads = [fetch(image["url"]) for image in images]
        assert all(d.status_code == 200 for d in downloads)
        return [d.content for d in downloads]

    return post


def _photo_files(**extra):
    return {"image": ("image.png", pictures.photo()), **extra}


def _mask_file():
    return ("mask.png", pictures.mask())


# --- generation -----------------------------------------------------------------------


def test_generation_makes_n_distinct_images_of_the_requested_size(call):
    images = call("/images/generations", json={"prompt": "a kite", "n": 3, "size": "1820x1024"})

    decoded = [pictures.decode(i) for i in images]
    assert [d.shape[:2] for d in decoded] == [(1024, 1820)] * 3
    assert len({i for i in images}) == 3


def test_vector_styles_answer_svg_with_real_elements(call):
    (svg,) = call(
        "/images/generations",
        json={"prompt": "a fox", "style": "vector_illustration", "size": "1365x1024"},
    )

    text = svg.decode()
    assert text.startswith("<svg")
    assert 'width="1365"' in text and 'height="1024"' in text
    assert 'viewBox="0 0 1365 1024"' in text
    assert re.search(r"<(path|circle|ellipse)\b", text)


def test_icons_on_recraftv2_are_svg(call):
    (svg,) = call(
        "/images/generations", json={"prompt": "a bell", "style": "icon", "model": "recraftv2"}
    )

    assert svg.startswith(b"<svg")
    assert re.search(rb"<(path|circle)\b", svg)


def test_image_format_webp_gives_a_webp_generation(call):
    (image,) = call("/images/generations", json={"prompt": "a kite", "image_format": "webp"})

    assert pictures.image_format(image) == "WEBP"


def test_the_chosen_colours_dominate_the_picture(call):
    colors = [[20, 160, 90], [240, 200, 40], [30, 40, 120]]

    (image,) = call(
        "/images/generations",
        json={
            "prompt": "a kite",
            "style": "digital_illustration",
            "controls": {"colors": [{"rgb": c} for c in colors]},
        },
    )

    assert pictures.share_near(pictures.decode(image), colors) > 0.9


def test_the_background_colour_is_the_most_common_colour(call):
    (image,) = call(
        "/images/generations",
        json={
            "prompt": "a kite",
            "style": "digital_illustration",
            "controls": {"background_color": {"rgb": [250, 10, 130]}, "artistic_level": 0},
        },
    )

    pixels = pictures.decode(image).reshape(-1, 3).astype(np.int64)
    packed = (pixels[:, 0] << 16) | (pixels[:, 1] << 8) | pixels[:, 2]
    most_common = int(np.bincount(packed).argmax())
    assert [most_common >> 16, (most_common >> 8) & 255, most_common & 255] == [250, 10, 130]


def test_text_layout_words_are_drawn_inside_their_boxes(call):
    params = {
        "prompt": "a red panda with a sign",
        "style": "digital_illustration",
        "random_seed": 5,
    }
    layout = [{"text": "RECRAFT", "bbox": RECRAFT_BOX}]

    (plain,) = call("/images/generations", json=params)
    (with_text,) = call("/images/generations", json={**params, "text_layout": layout})

    changed = np.any(pictures.decode(plain) != pictures.decode(with_text), axis=2)
    inside = np.zeros_like(changed)
    inside[
        int(0.45 * 1024) - 1 : int(0.55 * 1024) + 2, int(0.3 * 1024) - 1 : int(0.6 * 1024) + 2
    ] = 1
    assert changed[inside].mean() > 0.1  # ink in the box
    assert not changed[~inside].any()  # and nowhere else


def test_no_text_control_leaves_the_text_layout_out(call):
    params = {"prompt": "a sign", "random_seed": 5}
    layout = [{"text": "AI", "bbox": RECRAFT_BOX}]

    (plain,) = call("/images/generations", json=params)
    (without,) = call(
        "/images/generations",
        json={**params, "text_layout": layout, "controls": {"no_text": True}},
    )

    assert plain == without


def test_a_created_style_lends_its_reference_colours_to_generations(call, http):
    magenta, cyan = (230, 0, 200), (0, 200, 210)
    style = http.post(
        "/styles",
        data={"style": "digital_illustration"},
        files={"file1": ("ref.png", pictures.two_colour_reference(magenta, cyan))},
    ).json()

    (image,) = call("/images/generations", json={"prompt": "a teapot", "style_id": style["id"]})

    assert pictures.share_near(pictures.decode(image), [magenta, cyan]) > 0.9


def test_generation_with_a_vector_style_id_answers_svg(call, http):
    style = http.post(
        "/styles",
        data={"style": "vector_illustration"},
        files={"file": ("ref.png", pictures.photo())},
    ).json()

    (svg,) = call("/images/generations", json={"prompt": "a teapot", "style_id": style["id"]})

    assert svg.startswith(b"<svg")


# --- editing --------------------------------------------------------------------------


def test_erase_region_fills_the_mask_and_keeps_every_other_pixel(call):
    original = pictures.photo_pixels()
    masked = pictures.mask_array()

    (result,) = call("/images/eraseRegion", files=_photo_files(mask=_mask_file()))

    erased = pictures.decode(result)
    assert np.array_equal(erased[~masked], original[~masked])
    # The red subject is gone: the hole now holds colours from around it.
    assert pictures.share_near(erased[masked], [pictures.SUBJECT]) < 0.05


def test_inpaint_changes_only_the_masked_pixels(call):
    original = pictures.photo_pixels()
    masked = pictures.mask_array()

    (result,) = call(
        "/images/inpaint", data={"prompt": "a moon"}, files=_photo_files(mask=_mask_file())
    )

    inpainted = pictures.decode(result)
    assert np.array_equal(inpainted[~masked], original[~masked])
    assert np.any(inpainted[masked] != original[masked], axis=1).mean() > 0.5


def test_generate_background_changes_only_the_masked_pixels(call):
    original = pictures.photo_pixels()
    background = ~pictures.mask_array()  # keep the subject, fill everything else
    mask = pictures.encode(background.astype(np.uint8) * 255)

    results = call(
        "/images/generateBackground",
        data={"prompt": "a beach", "n": "2"},
        files={"image": ("image.png", pictures.photo()), "mask": ("mask.png", mask)},
    )

    assert len(set(results)) == 2
    for result in results:
        filled = pictures.decode(result)
        assert np.array_equal(filled[~background], original[~background])
        assert np.any(filled[background] != original[background], axis=1).mean() > 0.5


def test_replace_background_keeps_the_subject_and_changes_the_rest(call):
    original = pictures.photo_pixels()
    left, top, right, bottom = pictures.SUBJECT_BOX

    (result,) = call("/images/replaceBackground", data={"prompt": "a beach"}, files=_photo_files())

    replaced = pictures.decode(result)
    core = (slice(top + 8, bottom - 8), slice(left + 8, right - 8))
    assert np.array_equal(replaced[core], original[core])
    corners = np.concatenate(
        [replaced[:20, :20].reshape(-1, 3), replaced[-20:, -20:].reshape(-1, 3)]
    )
    assert pictures.share_near(corners, [pictures.BACKGROUND], tolerance=20) < 0.5


def test_remove_background_makes_the_background_transparent(call):
    left, top, right, bottom = pictures.SUBJECT_BOX

    (result,) = call("/images/removeBackground", files={"file": ("a.png", pictures.photo())})

    cut = pictures.decode(result)
    assert cut.shape == (256, 384, 4)
    alpha = cut[..., 3]
    assert alpha[:30, :30].max() == 0 and alpha[-30:, -30:].max() == 0
    assert alpha[top + 10 : bottom - 10, left + 10 : right - 10].min() == 255


def test_remove_background_can_answer_webp_with_transparency(call):
    (result,) = call(
        "/images/removeBackground",
        data={"image_format": "webp"},
        files={"file": ("a.png", pictures.photo())},
    )

    assert pictures.image_format(result) == "WEBP"
    assert pictures.decode(result)[0, 0, 3] == 0


def _sharpness(pixels: np.ndarray) -> float:
    gray = cv2.cvtColor(pixels[..., :3], cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


@pytest.mark.parametrize("tool", ["crispUpscale", "creativeUpscale"])
def test_upscaling_doubles_the_size_and_is_sharper_than_a_plain_resize(tool, call):
    (result,) = call(f"/images/{tool}", files={"file": ("a.png", pictures.photo())})

    upscaled = pictures.decode(result)
    plain = cv2.resize(pictures.photo_pixels(), (768, 512), interpolation=cv2.INTER_LINEAR)
    assert upscaled.shape[:2] == (512, 768)
    assert _sharpness(upscaled) > _sharpness(plain)


def test_creative_upscale_adds_detail_crisp_upscale_does_not(call):
    upload = {"file": ("a.png", pictures.photo())}

    (crisp,) = call("/images/crispUpscale", files=upload)
    (creative,) = call("/images/creativeUpscale", files=upload)

    assert _sharpness(pictures.decode(creative)) > _sharpness(pictures.decode(crisp))


def test_vectorize_traces_the_upload_into_svg_paths_of_its_size(call):
    (svg,) = call("/images/vectorize", files={"file": ("a.png", pictures.photo())})

    text = svg.decode()
    assert text.startswith("<svg")
    assert 'width="384"' in text and 'height="256"' in text and "viewBox=" in text
    assert text.count("<path") >= 3  # backdrop, red block, blue bar
    fills = {m.lower() for m in re.findall(r'fill="(#[0-9A-Fa-f]{6})"', text)}
    assert any(int(f[1:3], 16) > 150 and int(f[3:5], 16) < 80 for f in fills)  # the red


def test_image_to_image_departs_from_the_upload_in_proportion_to_strength(call):
    original = pictures.photo_pixels().astype(int)

    def difference(strength: str) -> float:
        (result,) = call(
            "/images/imageToImage",
            data={"prompt": "winter", "strength": strength, "random_seed": "3"},
            files=_photo_files(),
        )
        return float(np.abs(pictures.decode(result).astype(int) - original).mean())

    none, some, most = difference("0"), difference("0.2"), difference("0.8")
    assert none == 0
    assert 0 < some < most
    assert most == pytest.approx(some * 4, rel=0.1)


def test_image_to_image_with_a_vector_style_answers_traced_svg(call):
    (svg,) = call(
        "/images/imageToImage",
        data={"prompt": "winter", "strength": "0.5", "style": "vector_illustration"},
        files=_photo_files(),
    )

    assert svg.startswith(b"<svg") and b"<path" in svg


def test_variations_have_the_requested_size_format_and_number(call):
    images = call(
        "/images/variateImage",
        data={"size": "1365x1024", "n": "3", "image_format": "webp"},
        files=_photo_files(),
    )

    assert len(set(images)) == 3
    assert all(pictures.image_format(i) == "WEBP" for i in images)
    assert all(pictures.decode(i).shape[:2] == (1024, 1365) for i in images)


def test_variations_default_to_png(call):
    (image,) = call("/images/variateImage", data={"size": "1024x1024"}, files=_photo_files())

    assert pictures.image_format(image) == "PNG"


def test_uploads_under_the_spec_names_work_too(call):
    (vector,) = call("/images/vectorize", files={"image": ("a.png", pictures.photo())})
    (erased,) = call(
        "/images/eraseRegion",
        files={"file": ("a.png", pictures.photo()), "mask": _mask_file()},
    )

    assert vector.startswith(b"<svg")
    assert pictures.image_format(erased) == "PNG"

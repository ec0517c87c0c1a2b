import pytest

from recraft_studio.recraft import catalog
from recraft_studio.recraft.catalog import Op
from recraft_studio.recraft.validation import (
    FieldError,
    check_mask,
    check_params,
    check_style_references,
    inspect_image,
)
from tests import images

GENERATE = catalog.OPERATIONS[Op.GENERATE]


def fields(errors):
    return {e.field for e in errors}


def test_a_plain_prompt_passes():
    assert check_params(GENERATE, {"prompt": "race car on a track"}) == []


def test_a_prompt_over_1000_bytes_is_rejected_counting_bytes_not_characters():
    # 334 three-byte characters: 334 characters, 1002 bytes.
    errors = check_params(GENERATE, {"prompt": "€" * 334})
    assert fields(errors) == {"prompt"}
    assert "1002 bytes" in errors[0].message
    assert check_params(GENERATE, {"prompt": "€" * 333}) == []


@pytest.mark.parametrize("n", [0, 7, "3", 2.5, True])
def test_n_must_be_a_whole_number_from_1_to_6(n):
    assert fields(check_params(GENERATE, {"prompt": "x", "n": n})) == {"n"}


@pytest.mark.parametrize(
    "params, field, words",
    [
        ({"model": "recraftv2", "style": "any"}, "style", "not available on recraftv2"),
        ({"model": "recraftv3", "style": "icon"}, "style", "not available on recraftv3"),
        ({"style": "watercolour"}, "style", "not a style"),
        ({"style": "digital_illustration", "substyle": "kawaii"}, "substyle", "not a substyle"),
        ({"substyle": "hand_drawn"}, "substyle", "needs the style"),
        (
            {"style": "realistic_image", "style_id": "229b2a75-05e4-4580-85f9-b47ee521a00d"},
            "style_id",
            "mutually exclusive",
        ),
        ({"style_id": "not-a-uuid"}, "style_id", "must be a UUID"),
        ({"model": "recraftv4"}, "model", "must be one of"),
        ({"size": "1000x1000"}, "size", "not a supported size"),
        ({"response_format": "png"}, "response_format", "must be one of"),
    ],
)
def test_style_model_and_format_rules_name_the_field(params, field, words):
    errors = check_params(GENERATE, {"prompt": "x", **params})
    assert fields(errors) == {field}
    assert words in errors[0].message


@pytest.mark.parametrize(
    "controls, field",
    [
        ({"artistic_level": 6}, "controls.artistic_level"),
        ({"artistic_level": -1}, "controls.artistic_level"),
        ({"colors": [{"rgb": [0, 256, 0]}]}, "controls.colors[0]"),
        ({"colors": [{"rgb": [0, 0]}]}, "controls.colors[0]"),
        ({"background_color": {"rgb": [-1, 0, 0]}}, "controls.background_color"),
        ({"no_text": "yes"}, "controls.no_text"),
    ],
)
def test_controls_are_checked_value_by_value(controls, field):
    assert fields(check_params(GENERATE, {"prompt": "x", "controls": controls})) == {field}


def test_valid_controls_pass():
    controls = {
        "artistic_level": 5,
        "colors": [{"rgb": [0, 255, 0]}],
        "background_color": {"rgb": [255, 255, 255]},
        "no_text": True,
    }
    assert check_params(GENERATE, {"prompt": "x", "controls": controls}) == []


def test_text_layout_takes_supported_characters_and_four_points_per_box():
    box = [[0.3, 0.45], [0.6, 0.45], [0.6, 0.55], [0.3, 0.55]]
    ok = [{"text": "RECRAFT", "bbox": box}]
    assert check_params(GENERATE, {"prompt": "x", "text_layout": ok}) == []
    # The docs' own example sends "Recraft": lower case reads as the listed capitals.
    assert (
        check_params(GENERATE, {"prompt": "x", "text_layout": [{"text": "Recraft", "bbox": box}]})
        == []
    )
    accented = [{"text": "CAFÉ~", "bbox": box}]
    errors = check_params(GENERATE, {"prompt": "x", "text_layout": accented})
    assert fields(errors) == {"text_layout[0].text"}
    assert "'É'" in errors[0].message and "'~'" in errors[0].message
    three = [{"text": "AI", "bbox": box[:3]}]
    assert fields(check_params(GENERATE, {"prompt": "x", "text_layout": three})) == {
        "text_layout[0].bbox"
    }
    on_v2 = {"prompt": "x", "model": "recraftv2", "style": "realistic_image", "text_layout": ok}
    assert fields(check_params(GENERATE, on_v2)) == {"text_layout"}


@pytest.mark.parametrize("strength", [-0.1, 1.01, None, "0.5"])
def test_image_to_image_needs_a_strength_in_0_1(strength):
    op = catalog.OPERATIONS[Op.IMAGE_TO_IMAGE]
    params = {"prompt": "winter", "strength": strength}
    assert "strength" in fields(check_params(op, params))


def test_transforms_take_only_v3():
    op = catalog.OPERATIONS[Op.INPAINT]
    assert fields(check_params(op, {"prompt": "x", "model": "recraftv2"})) == {"model"}


def test_variations_need_a_size_and_take_png_or_webp():
    op = catalog.OPERATIONS[Op.VARIATE]
    assert fields(check_params(op, {})) == {"size"}
    assert fields(check_params(op, {"size": "1024x1024", "image_format": "jpg"})) == {
        "image_format"
    }
    assert check_params(op, {"size": "1024x1024", "image_format": "webp", "n": 2}) == []


# --- uploads ---------------------------------------------------------------------


def test_an_upload_is_sniffed_from_its_bytes():
    info = inspect_image(images.png(300, 400, fmt="WEBP"))
    assert (info.format, info.width, info.height) == ("WEBP", 300, 400)


def test_a_gif_is_refused_whatever_its_name():
    with pytest.raises(FieldError, match="GIF files are not accepted"):
        inspect_image(images.png(300, 300, fmt="GIF"))


def test_text_is_not_an_image():
    with pytest.raises(FieldError, match="not an image"):
        inspect_image(b"%PDF-1.7 definitely not a picture")


def test_the_shorter_side_must_be_at_least_256_px_except_for_small_tools():
    data = images.png(300, 200)
    with pytest.raises(FieldError, match="at least 256 px"):
        inspect_image(data)
    assert inspect_image(data, limits=catalog.SMALL_TOOL_LIMITS).height == 200


def test_the_longer_side_may_be_at_most_4096_px():
    with pytest.raises(FieldError, match="at most 4096 px"):
        inspect_image(images.png(4097, 256, mode="L"))


def test_small_tools_take_at_most_4_megapixels():
    with pytest.raises(FieldError, match="the limit is 4 MP"):
        inspect_image(images.png(2100, 2100, mode="L"), limits=catalog.SMALL_TOOL_LIMITS)


def test_files_over_5_mb_are_refused_before_decoding():
    with pytest.raises(FieldError, match="the limit is 5 MB"):
        inspect_image(images.noise_png(1400, 1400))


def test_a_mask_must_be_grayscale_pure_and_the_same_size():
    check_mask(images.mask(512, 512), image_size=(512, 512))
    with pytest.raises(FieldError, match="same size"):
        check_mask(images.mask(512, 512), image_size=(600, 512))
    with pytest.raises(FieldError, match="grayscale"):
        check_mask(images.png(512, 512), image_size=(512, 512))
    with pytest.raises(FieldError, match="pure black"):
        check_mask(images.mask(512, 512, values=(0, 128)), image_size=(512, 512))


def test_style_references_are_one_to_five_images_of_at_most_5_mb_together():
    one = images.png(256, 256)
    assert len(check_style_references([one] * 5)) == 5
    with pytest.raises(FieldError, match="at most 5"):
        check_style_references([one] * 6)
    with pytest.raises(FieldError, match="at least one"):
        check_style_references([])
    big = images.noise_png(1000, 1000)  # about 3 MB each
    with pytest.raises(FieldError, match="total"):
        check_style_references([big, big])

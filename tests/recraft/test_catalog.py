import pytest

from recraft_studio.recraft import catalog
from recraft_studio.recraft.catalog import Model, Op


def test_v3_offers_any_and_logo_raster_but_not_icon():
    styles = catalog.styles_for("recraftv3")
    assert "any" in styles and "logo_raster" in styles
    assert "icon" not in styles


def test_v2_offers_icon_but_not_any_or_logo_raster():
    styles = catalog.styles_for("recraftv2")
    assert "icon" in styles
    assert "any" not in styles and "logo_raster" not in styles


@pytest.mark.parametrize(
    "model, style, substyle, offered",
    [
        ("recraftv3", "digital_illustration", "hand_drawn", True),
        ("recraftv3", "digital_illustration", "kawaii", False),  # V2 only
        ("recraftv2", "digital_illustration", "kawaii", True),
        ("recraftv2", "realistic_image", "evening_light", False),  # V3 only
        ("recraftv2", "icon", "pictogram", True),
        ("recraftv3", "logo_raster", "emblem_stamp", True),
    ],
)
def test_substyles_follow_the_appendix(model, style, substyle, offered):
    assert (substyle in catalog.substyles_for(model, style)) is offered


def test_the_appendix_lists_fifteen_sizes_starting_with_the_square_default():
    assert len(catalog.SIZES) == 15
    assert catalog.SIZES[0] == catalog.DEFAULT_SIZE == "1024x1024"
    assert all(catalog.parse_size(s) for s in catalog.SIZES)


@pytest.mark.parametrize(
    "model, style, n, units",
    [
        ("recraftv3", "realistic_image", 1, 40),
        ("recraftv3", "vector_illustration", 2, 160),
        ("recraftv2", "digital_illustration", 3, 66),
        ("recraftv2", "icon", 1, 44),
        (None, None, 1, 40),  # defaults: V3, raster
    ],
)
def test_generation_is_priced_per_image_by_model_and_raster_or_vector(model, style, n, units):
    assert catalog.OPERATIONS[Op.GENERATE].price(model=model, style=style, n=n) == units


@pytest.mark.parametrize(
    "op, style, units",
    [
        (Op.IMAGE_TO_IMAGE, "realistic_image", 40),
        (Op.INPAINT, "vector_illustration", 80),
        (Op.REPLACE_BACKGROUND, None, 40),
        (Op.GENERATE_BACKGROUND, "icon", 80),
        (Op.CREATE_STYLE, None, 40),
        (Op.VECTORIZE, None, 10),
        (Op.REMOVE_BACKGROUND, None, 10),
        (Op.CRISP_UPSCALE, None, 4),
        (Op.CREATIVE_UPSCALE, None, 250),
        (Op.ERASE_REGION, None, 2),
    ],
)
def test_each_tool_costs_what_the_pricing_table_says(op, style, units):
    assert catalog.OPERATIONS[op].price(style=style) == units


def test_crisp_upscale_and_erase_region_take_smaller_images():
    for op in (Op.CRISP_UPSCALE, Op.ERASE_REGION):
        limits = catalog.OPERATIONS[op].limits
        assert limits.max_pixels == 4 * catalog.MEGAPIXEL and limits.min_side == 32
    assert catalog.OPERATIONS[Op.VECTORIZE].limits.min_side == 256


def test_text_layout_charset_has_capitals_digits_and_listed_symbols_only():
    assert set("RECRAFT2024!") <= catalog.TEXT_LAYOUT_CHARSET
    assert "a" not in catalog.TEXT_LAYOUT_CHARSET
    assert " " not in catalog.TEXT_LAYOUT_CHARSET
    assert "ẞ" in catalog.TEXT_LAYOUT_CHARSET


def test_every_model_is_labelled():
    assert set(catalog.MODEL_LABELS) == set(Model)

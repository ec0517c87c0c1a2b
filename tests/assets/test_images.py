"""Judging an image against a tool's limits, and the fixes the studio can make."""

import io

import pytest
from PIL import Image

from recraft_studio.assets import images
from recraft_studio.assets.images import Fix
from recraft_studio.recraft import catalog
from recraft_studio.recraft.validation import FieldError, inspect_image
from tests.images import mask, noise_png, png

DEFAULT = catalog.DEFAULT_LIMITS
SMALL = catalog.SMALL_TOOL_LIMITS


def size_of(data):
    return Image.open(io.BytesIO(data)).size


def test_uploads_accept_what_at_least_one_tool_takes():
    assert (
        catalog.UploadLimits(
            max_bytes=5 * catalog.MB, max_pixels=16 * catalog.MEGAPIXEL, max_side=4096, min_side=32
        )
        == images.UPLOAD_LIMITS
    )


@pytest.mark.parametrize(
    "size, limits, expected",
    [
        ((1000, 800), DEFAULT, (1000, 800)),
        ((8000, 2000), DEFAULT, (4096, 1024)),
        ((5000, 5000), DEFAULT, (4096, 4096)),
        ((2400, 2000), SMALL, (2243, 1869)),
        ((20000, 100), DEFAULT, None),  # too thin: 4096 × 20 is under 256 px
    ],
)
def test_the_fitting_size_keeps_the_shape_within_every_bound(size, limits, expected):
    fitted = images.fit_size(*size, limits)
    assert fitted == expected
    if fitted:
        w, h = fitted
        assert w * h <= limits.max_pixels and max(w, h) <= limits.max_side
        assert min(w, h) >= limits.min_side


def test_an_acceptable_image_has_no_problem():
    assert images.diagnose(png(600, 400), DEFAULT) is None


def test_a_large_image_can_be_fitted_and_the_copy_passes_the_limits():
    problem = images.diagnose(png(2400, 2000), SMALL)
    assert problem.fixes == (Fix.FIT,) and problem.fit_size == (2243, 1869)
    fitted = images.refit(png(2400, 2000), SMALL)
    assert size_of(fitted) == (2243, 1869)
    inspect_image(fitted, limits=SMALL)


def test_a_heavy_file_is_shrunk_until_it_is_small_enough():
    data = noise_png(1400, 1400)
    assert images.diagnose(data, DEFAULT).can_fit
    fitted = images.refit(data, DEFAULT)
    assert len(fitted) <= DEFAULT.max_bytes and size_of(fitted)[0] < 1400


def test_a_small_image_is_told_to_upscale_first():
    problem = images.diagnose(png(200, 150), DEFAULT)
    assert problem.fixes == (Fix.UPSCALE,) and "at least 256 px" in problem.message


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_formats_are_converted_to_png(fmt):
    out = io.BytesIO()
    Image.new("RGB", (300, 300), (1, 2, 3)).save(out, fmt)
    problem = images.diagnose(out.getvalue(), DEFAULT)
    assert problem.can_convert
    fixed = images.fix(out.getvalue(), DEFAULT)
    assert inspect_image(fixed, limits=DEFAULT).format == "PNG"


def test_a_transparent_gif_keeps_its_transparency():
    img = Image.new("P", (300, 300), 0)
    img.info["transparency"] = 0
    out = io.BytesIO()
    img.save(out, "GIF", transparency=0)
    converted = Image.open(io.BytesIO(images.to_png(out.getvalue())))
    assert converted.mode == "RGBA" and converted.getpixel((0, 0))[3] == 0


def test_a_file_that_is_no_image_has_no_fix():
    problem = images.diagnose(b"%PDF-1.7 nothing to see", DEFAULT)
    assert problem.fixes == () and "not an image" in problem.message
    with pytest.raises(FieldError):
        images.fix(b"%PDF-1.7 nothing to see", DEFAULT)


def test_a_scaled_mask_still_holds_only_black_and_white():
    scaled = Image.open(io.BytesIO(images.scale_mask(mask(600, 600), (301, 299))))
    assert scaled.size == (301, 299) and scaled.mode == "L"
    assert {v for v, n in enumerate(scaled.histogram()) if n} == {0, 255}


def test_an_all_black_mask_marks_nothing():
    assert images.mask_has_white(mask(64, 64, box=(8, 8, 20, 20)))
    assert not images.mask_has_white(mask(64, 64, values=(0, 0)))

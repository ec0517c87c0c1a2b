"""Reading colours people type, and the dominant colours of images."""

import io

import pytest
from PIL import Image, ImageDraw

from recraft_studio.brand.colors import (
    NoColors,
    NotAColor,
    dominant_colors,
    parse_color,
    to_hex,
)


@pytest.mark.parametrize(
    "text",
    ["#1a2b3c", "1a2b3c", "#1A2B3C", "rgb(26, 43, 60)", "26, 43, 60", "26 43 60", " (26,43,60) "],
)
def test_hex_and_rgb_text_read_as_the_same_colour(text):
    assert parse_color(text) == (26, 43, 60)


def test_short_hex_and_css_names_are_colours_too():
    assert parse_color("#abc") == (170, 187, 204)
    assert parse_color("rebeccapurple") == (102, 51, 153)


@pytest.mark.parametrize("text", ["", "   ", "nope", "#12", "300, 0, 0", "rgb(0, 0, 256)", "1,2"])
def test_what_is_not_a_colour_is_refused_with_a_reason(text):
    with pytest.raises(NotAColor) as caught:
        parse_color(text)
    assert str(caught.value)


def test_hex_is_written_in_lower_case_with_a_hash():
    assert to_hex((26, 43, 60)) == "#1a2b3c"


def _image(fmt="PNG", mode="RGB"):
    """Three quarters orange, a quarter navy, and a speck of green (under 1%)."""
    img = Image.new(mode, (200, 200), (240, 120, 20) if mode == "RGB" else (240, 120, 20, 255))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, 199, 49), fill=(10, 20, 90))
    draw.rectangle((0, 199, 2, 199), fill=(0, 200, 0))
    out = io.BytesIO()
    img.save(out, fmt)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "JPEG"])
def test_the_dominant_colours_come_largest_share_first_without_specks(fmt):
    colors = dominant_colors(_image(fmt), 5)
    assert len(colors) == 2
    (r1, g1, b1), (r2, g2, b2) = colors
    assert abs(r1 - 240) < 12 and abs(g1 - 120) < 12 and abs(b1 - 20) < 12
    assert abs(r2 - 10) < 16 and abs(g2 - 20) < 16 and abs(b2 - 90) < 16


def test_transparent_pixels_are_not_a_colour():
    img = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    ImageDraw.Draw(img).rectangle((0, 0, 49, 99), fill=(200, 10, 10, 255))
    out = io.BytesIO()
    img.save(out, "PNG")
    assert dominant_colors(out.getvalue(), 3) == [(200, 10, 10)]


def test_a_fully_transparent_image_has_no_colours():
    out = io.BytesIO()
    Image.new("RGBA", (50, 50), (0, 0, 0, 0)).save(out, "PNG")
    with pytest.raises(NoColors, match="transparent"):
        dominant_colors(out.getvalue())


def test_the_number_of_colours_asked_for_is_kept_within_two_to_eight():
    img = Image.new("RGB", (160, 10))
    draw = ImageDraw.Draw(img)
    for i in range(16):
        draw.rectangle((i * 10, 0, i * 10 + 9, 9), fill=(i * 16, 255 - i * 16, (i * 40) % 256))
    out = io.BytesIO()
    img.save(out, "PNG")
    assert len(dominant_colors(out.getvalue(), 50)) == 8
    assert len(dominant_colors(out.getvalue(), 1)) == 2


SVG = b"""<svg xmlns="http://www.w3.org/2000/svg" width="1024" height="1024"
 viewBox="0 0 1024 1024">
<rect x="0" y="0" width="1024" height="1024" fill="#f7efda"/>
<path d="M100 100 L600 100 L600 600 Z" fill="#e6aa50" stroke="#181a2c" stroke-width="5"/>
<g style="fill: #336699"><circle cx="800" cy="800" r="100"/></g>
<path d="M0 0 L10 10" fill="none" stroke="url(#g)"/>
</svg>"""


def test_an_svg_gives_the_colours_it_paints_with_the_largest_area_first():
    assert [to_hex(c) for c in dominant_colors(SVG, 5)] == [
        "#f7efda",
        "#e6aa50",
        "#336699",
        "#181a2c",
    ]


@pytest.mark.parametrize("data", [b"not an image", b"<svg><unclosed", b"GIF89a" + b"\0" * 20])
def test_a_file_that_is_not_a_readable_image_has_no_colours(data):
    with pytest.raises(NoColors):
        dominant_colors(data)

"""Colours: reading what people type, and finding the dominant colours of an image.

Parsing leans on Pillow's `ImageColor` (hex, `rgb()`, `hsl()`, CSS names); a bare
"12, 34, 56" or "1a2b3c" is accepted as well, since that is how people paste them.
Dominant colours come from Pillow's median-cut quantizer on a small copy of the
image; vector images, which Pillow cannot draw, are read for the colours they fill
and stroke with.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from collections import Counter

import numpy as np
from defusedxml import ElementTree
from PIL import Image, ImageColor, UnidentifiedImageError

RGB = tuple[int, int, int]

#: How many colours extraction offers by default, and the range a person may ask for.
DEFAULT_EXTRACT = 5
EXTRACT_MIN, EXTRACT_MAX = 2, 8
#: A colour covering less of the image than this is noise, not a brand colour.
MIN_SHARE = 0.01
#: Colours closer than this (RGB distance) are one colour that compression smeared.
MERGE_DISTANCE = 40
#: Extraction works on a copy this small: dominant colours do not need more pixels.
SAMPLE_SIDE = 200
#: Images larger than this are not read for colours.
EXTRACT_MAX_BYTES = 20 * 1024 * 1024

_BARE_TRIPLE = re.compile(r"^\(?\s*(\d{1,3})\s*[,\s]\s*(\d{1,3})\s*[,\s]\s*(\d{1,3})\s*\)?$")
_BARE_HEX = re.compile(r"^[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$")


class NotAColor(ValueError):
    """Text that names no colour."""


class NoColors(ValueError):
    """An image colours cannot be read from (not an image, or nothing opaque)."""


def parse_color(text: str) -> RGB:
    """`#1a2b3c`, `1a2b3c`, `#abc`, `rgb(26, 43, 60)`, `26, 43, 60` or a CSS name."""
    value = (text or "").strip()
    if not value:
        raise NotAColor("Enter a colour.")
    triple = _BARE_TRIPLE.match(value)
    if triple:
        rgb = tuple(int(c) for c in triple.groups())
        if any(c > 255 for c in rgb):
            raise NotAColor(f"{value!r}: each of red, green and blue goes from 0 to 255.")
        return rgb  # type: ignore[return-value]
    if _BARE_HEX.match(value):
        value = f"#{value}"
    try:
        parsed = ImageColor.getrgb(value)
    except ValueError:
        raise NotAColor(
            f"{text.strip()!r} is not a colour; use #RRGGBB or red, green, blue (0–255)."
        )
    rgb = tuple(int(c) for c in parsed[:3])
    if any(not 0 <= c <= 255 for c in rgb):
        raise NotAColor(f"{value!r}: each of red, green and blue goes from 0 to 255.")
    return rgb  # type: ignore[return-value]


def to_hex(rgb) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def looks_like_svg(data: bytes) -> bool:
    head = data[:512].lstrip().lower()
    return head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in data[:4096])


def dominant_colors(data: bytes, count: int = DEFAULT_EXTRACT) -> list[RGB]:
    """Up to `count` colours that cover most of the image, the largest share first."""
    count = max(EXTRACT_MIN, min(EXTRACT_MAX, count))
    if len(data) > EXTRACT_MAX_BYTES:
        raise NoColors(f"The image is over {EXTRACT_MAX_BYTES // (1024 * 1024)} MB.")
    if looks_like_svg(data):
        return _svg_colors(data, count)
    return _raster_colors(data, count)


def _raster_colors(data: bytes, count: int) -> list[RGB]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                img.draft("RGB", (SAMPLE_SIDE * 2, SAMPLE_SIDE * 2))  # JPEG: decode small
                img.thumbnail((SAMPLE_SIDE, SAMPLE_SIDE))
                rgba = img.convert("RGBA")
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise NoColors(
            "This file is not an image whose colours can be read (PNG, JPG, WEBP or SVG)."
        )
    pixels = np.asarray(rgba)
    opaque = pixels[pixels[..., 3] >= 128][:, :3]  # transparent pixels are no colour
    if len(opaque) == 0:
        raise NoColors("The image is fully transparent.")
    strip = Image.fromarray(np.ascontiguousarray(opaque.reshape(1, -1, 3)), "RGB")
    # Quantize finer than asked, then merge near twins (JPEG and WEBP smear one flat
    # colour into several close ones), so each colour offered is really distinct.
    quantized = strip.quantize(colors=min(count * 3, 64), method=Image.Quantize.MEDIANCUT)
    palette = quantized.getpalette() or []
    shares: list[list] = []  # [rgb, pixel count], the largest first
    for pixels_of, index in sorted(quantized.getcolors() or [], reverse=True):
        rgb = tuple(palette[index * 3 : index * 3 + 3])
        twin = next((s for s in shares if _distance(s[0], rgb) < MERGE_DISTANCE), None)
        if twin is not None:
            twin[1] += pixels_of
        else:
            shares.append([rgb, pixels_of])
    shares.sort(key=lambda s: s[1], reverse=True)
    total = len(opaque)
    kept = [rgb for rgb, n in shares if n / total >= MIN_SHARE] or [shares[0][0]]
    return _distinct(kept, count)


def _distance(a, b) -> float:
    return sum((x - y) ** 2 for x, y in zip(a, b, strict=True)) ** 0.5


_STYLE_DECL = re.compile(r"(fill|stroke|stroke-width|stop-color)\s*:\s*([^;]+)")
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:e-?\d+)?", re.IGNORECASE)
_SHAPES = {"rect", "circle", "ellipse", "path", "polygon", "polyline", "line"}
_NO_PAINT = {"none", "transparent", "currentcolor", "inherit"}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _number(value, default: float = 0.0) -> float:
    match = _NUMBER.match(str(value or "").strip())
    return abs(float(match.group())) if match else default


def _paint(element, inherited: dict) -> dict:
    """The fill, stroke and stroke width in force on `element` (attributes, then style)."""
    paint = dict(inherited)
    for name in ("fill", "stroke", "stroke-width", "stop-color"):
        if element.get(name):
            paint[name] = element.get(name).strip()
    for name, value in _STYLE_DECL.findall(element.get("style") or ""):
        paint[name] = value.strip()
    return paint


def _extent(element, canvas: tuple[float, float]) -> tuple[float, float]:
    """Roughly the width and height a shape covers, in user units."""
    tag = _local(element.tag)
    if tag == "rect":
        width, height = element.get("width", ""), element.get("height", "")
        w = canvas[0] * _number(width) / 100 if width.endswith("%") else _number(width)
        h = canvas[1] * _number(height) / 100 if height.endswith("%") else _number(height)
        return w, h
    if tag == "circle":
        r = _number(element.get("r"))
        return 2 * r, 2 * r
    if tag == "ellipse":
        return 2 * _number(element.get("rx")), 2 * _number(element.get("ry"))
    coords = [float(n) for n in _NUMBER.findall(element.get("d") or element.get("points") or "")]
    if tag == "line":
        coords = [_number(element.get(k)) for k in ("x1", "y1", "x2", "y2")]
    xs, ys = coords[0::2], coords[1::2]
    if not xs or not ys:
        return 0.0, 0.0
    return max(xs) - min(xs), max(ys) - min(ys)


def _svg_colors(data: bytes, count: int) -> list[RGB]:
    """Colours an SVG paints with, weighted by roughly how much of it each covers.

    Pillow cannot draw SVG, so each shape's area is estimated from its geometry
    (a path from the box around its points), and each outline from its length
    times its stroke width. Rough, but a background rectangle outweighs the thin
    outlines drawn on it, as it does to the eye.
    """
    try:
        root = ElementTree.fromstring(data)
    except Exception:  # defusedxml raises several types for hostile or broken XML
        raise NoColors("This SVG file cannot be read.")
    view_box = [_number(v) for v in (root.get("viewBox") or "").replace(",", " ").split()]
    canvas = (
        (view_box[2], view_box[3])
        if len(view_box) == 4
        else (_number(root.get("width"), 1024.0), _number(root.get("height"), 1024.0))
    )
    weights: Counter[RGB] = Counter()

    def add(value: str | None, weight: float) -> None:
        if not value or weight <= 0 or value.lower() in _NO_PAINT or value.startswith("url("):
            return
        with contextlib.suppress(NotAColor):  # an unknown paint server or keyword
            weights[parse_color(value)] += weight

    def walk(element, inherited: dict) -> None:
        paint = _paint(element, inherited)
        tag = _local(element.tag)
        if tag in _SHAPES:
            w, h = _extent(element, canvas)
            area = w * h * (0.5 if tag in ("path", "polygon") else 1.0)
            if tag not in ("line", "polyline"):
                add(paint.get("fill", "black"), area)
            add(paint.get("stroke"), 2 * (w + h) * _number(paint.get("stroke-width"), 1.0))
        elif tag == "stop":
            # A gradient's stops share the area of what it fills; count each a little.
            add(paint.get("stop-color"), canvas[0] * canvas[1] * 0.05)
        for child in element:
            walk(child, {k: v for k, v in paint.items() if k != "stop-color"})

    walk(root, {})
    if not weights:
        raise NoColors("The SVG paints with no colour that can be taken.")
    return _distinct([rgb for rgb, _ in weights.most_common()], count)


def _distinct(colors: list, count: int) -> list[RGB]:
    seen: list[RGB] = []
    for rgb in colors:
        rgb = tuple(int(c) for c in rgb)
        if rgb not in seen:
            seen.append(rgb)  # type: ignore[arg-type]
    return seen[:count]

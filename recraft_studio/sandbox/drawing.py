"""Pictures drawn from a request: the sandbox's stand-in for the model.

A request becomes a `Scene` (size, base style, palette, background, artistic level,
seed); the scene becomes a list of shapes in relative coordinates, and the same
shapes are drawn either as raster pixels (OpenCV) or as SVG elements. What the
request asks for is visible in the result: the palette and background colour are
the colours drawn, vector styles answer real SVG, the artistic level sets how many
shapes there are and how wildly they sit, and every text-layout word is drawn inside
its box. Nothing here is random except through the scene's seed.
"""

from __future__ import annotations

import colorsys
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from xml.sax.saxutils import escape

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from recraft_studio.recraft import catalog

RGB = tuple[int, int, int]

DEFAULT_ARTISTIC_LEVEL = 2

#: Sub-pixel precision of OpenCV's drawing (coordinates carry 4 fractional bits).
_SHIFT = 4
_ONE = 1 << _SHIFT

# The bundled font (Pillow's Aileron) has Latin glyphs only. The non-Latin letters
# text layout accepts are, by design of that list, look-alikes of Latin capitals, so
# each is drawn as the Latin letter it looks like.
_LOOKALIKES = str.maketrans(
    {
        "Ø": "O", "Đ": "D", "Ħ": "H", "Ł": "L", "Ŋ": "N", "Ŧ": "T", "ß": "B", "ẞ": "B",
        "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
        "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "І": "I",
        "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
        "С": "C", "Т": "T", "У": "Y", "Х": "X",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Scene:
    """Everything that decides a picture, derived from the request."""

    width: int
    height: int
    style: str
    palette: tuple[RGB, ...]
    background: RGB
    seed: int
    substyle: str | None = None
    artistic_level: int = DEFAULT_ARTISTIC_LEVEL
    #: A palette the caller chose (controls.colors, a style's references) is drawn
    #: in exactly those colours, without gradients that would blend them away.
    strict_palette: bool = False
    text_layout: tuple[Mapping, ...] = field(default=())


@dataclass(frozen=True)
class Shape:
    """One filled figure in relative coordinates (x by width, y by height)."""

    kind: str  # "ellipse" or "polygon"
    color: RGB
    points: tuple[tuple[float, float], ...] = ()
    center: tuple[float, float] = (0.5, 0.5)
    #: Radii relative to the shorter side, so circles stay round on any size.
    radii: tuple[float, float] = (0.1, 0.1)
    angle: float = 0.0
    outline: RGB | None = None
    outline_width: float = 0.0  # relative to the shorter side


# --- colours --------------------------------------------------------------------------


def _hsv(h: float, s: float, v: float) -> RGB:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return (round(r * 255), round(g * 255), round(b * 255))


def luminance(color: Sequence[float]) -> float:
    r, g, b = color[:3]
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255.0


def mix(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def derived_palette(seed: int) -> tuple[tuple[RGB, ...], RGB]:
    """A harmonious palette and a light background for a prompt with no colours given."""
    rng = np.random.default_rng(seed)
    hue = float(rng.random())
    palette = (
        _hsv(hue, 0.65, 0.9),
        _hsv(hue + 0.07, 0.75, 0.7),
        _hsv(hue + 0.5, 0.6, 0.85),
        _hsv(hue + 0.55, 0.45, 0.35),
        _hsv(hue + 0.15, 0.35, 0.95),
    )
    background = _hsv(hue + 0.02, 0.12, 0.97)
    return palette, background


def contrasting(color: RGB, palette: Sequence[RGB]) -> RGB:
    """The palette colour that stands out most against `color`, else black or white."""
    target = luminance(color)
    best = max(palette, key=lambda c: abs(luminance(c) - target), default=None)
    if best is not None and abs(luminance(best) - target) >= 0.35:
        return best
    return (20, 20, 20) if target > 0.5 else (245, 245, 245)


# --- composition ----------------------------------------------------------------------


def _shape_colors(scene: Scene) -> list[RGB]:
    colors = [c for c in scene.palette if c != scene.background]
    if not colors:
        # One colour for everything: shapes in its shades, so they can be seen.
        base = scene.palette[0] if scene.palette else scene.background
        dark = luminance(base) > 0.5
        colors = [mix(base, (0, 0, 0) if dark else (255, 255, 255), t) for t in (0.35, 0.6)]
    return colors


def _outline_color(scene: Scene, colors: Sequence[RGB]) -> RGB:
    if scene.strict_palette:
        return min([*colors, scene.background], key=luminance)
    return mix(min(colors, key=luminance), (0, 0, 0), 0.5)


def _star(cx: float, cy: float, r: float, aspect: float, points: int, angle: float) -> tuple:
    coords = []
    for i in range(points * 2):
        radius = r if i % 2 == 0 else r * 0.45
        theta = angle + math.pi * i / points
        coords.append((cx + radius * math.cos(theta) / aspect, cy + radius * math.sin(theta)))
    return tuple(coords)


def _rectangle(cx: float, cy: float, w: float, h: float, aspect: float, angle: float) -> tuple:
    cos, sin = math.cos(angle), math.sin(angle)
    corners = []
    for dx, dy in ((-w, -h), (w, -h), (w, h), (-w, h)):
        x = dx * cos - dy * sin
        y = dx * sin + dy * cos
        corners.append((cx + x / aspect, cy + y))
    return tuple(corners)


def plan(scene: Scene) -> list[Shape]:
    """The figures of the picture, in drawing order, for raster and SVG alike."""
    rng = np.random.default_rng(scene.seed)
    colors = _shape_colors(scene)
    outline = _outline_color(scene, colors)
    # Relative x units per relative y unit, so shapes keep their proportions.
    aspect = scene.width / scene.height
    level = scene.artistic_level
    wild = level / catalog.ARTISTIC_LEVEL_MAX
    count = 3 + 3 * level
    shapes: list[Shape] = []

    def color(i: int) -> RGB:
        return colors[i % len(colors)]

    if scene.style == "realistic_image":
        # A horizon, a light in the sky and a few rounded subjects.
        for layer in range(2):
            top = 0.62 + 0.1 * layer
            phase, frequency = rng.random() * 6.0, 4.0 + 4.0 * rng.random()
            wave = [
                (float(x), top + 0.05 * math.sin(frequency * x + phase) * (0.5 + wild))
                for x in np.linspace(0.0, 1.0, 32)
            ]
            shapes.append(
                Shape("polygon", color(layer + 1), points=(*wave, (1.0, 1.0), (0.0, 1.0)))
            )
        shapes.append(
            Shape(
                "ellipse",
                color(0),
                center=(0.2 + 0.6 * rng.random(), 0.18 + 0.15 * rng.random()),
                radii=(0.08, 0.08),
            )
        )
        for i in range(1 + level // 2):
            r = 0.06 + 0.08 * rng.random()
            shapes.append(
                Shape(
                    "ellipse",
                    color(i + 3),
                    center=(0.15 + 0.7 * rng.random(), 0.62 + 0.12 * rng.random()),
                    radii=(r * (1.2 + rng.random()), r),
                    angle=float(rng.normal(0, 20 * wild)),
                )
            )
        return shapes

    if scene.style == "logo_raster":
        cx, cy = 0.5, 0.5
        shapes.append(Shape("ellipse", color(0), center=(cx, cy), radii=(0.36, 0.36)))
        shapes.append(Shape("ellipse", scene.background, center=(cx, cy), radii=(0.3, 0.3)))
        shapes.append(
            Shape(
                "polygon",
                color(1),
                points=_star(cx, cy, 0.24, aspect, 5 + level % 3, -math.pi / 2),
                outline=outline,
                outline_width=0.008,
            )
        )
        return shapes

    if scene.style == "icon":
        # One glyph on a rounded tile: few colours, readable when small.
        shapes.append(
            Shape("polygon", color(0), points=_rectangle(0.5, 0.5, 0.38, 0.38, aspect, 0.0))
        )
        kind = int(rng.integers(3))
        if kind == 0:
            shapes.append(Shape("ellipse", color(1), center=(0.5, 0.5), radii=(0.22, 0.22)))
        elif kind == 1:
            shapes.append(
                Shape("polygon", color(1), points=_star(0.5, 0.5, 0.26, aspect, 5, -math.pi / 2))
            )
        else:
            triangle = _star(0.5, 0.55, 0.28, aspect, 3, -math.pi / 2)[0::2]
            shapes.append(Shape("polygon", color(1), points=triangle))
        shapes.append(Shape("ellipse", color(2), center=(0.5, 0.5), radii=(0.07, 0.07)))
        return shapes

    # any, digital_illustration and vector_illustration: a composition of figures,
    # orderly at level 0 and scattered, rotated and crowded at level 5.
    thick = scene.substyle in ("hand_drawn", "hand_drawn_outline", "bold_stroke", "marker_outline")
    for i in range(count):
        spread = 0.15 + 0.35 * wild
        cx = float(np.clip(0.5 + rng.normal(0, spread), 0.05, 0.95))
        cy = float(np.clip(0.5 + rng.normal(0, spread), 0.05, 0.95))
        size = 0.05 + 0.18 * rng.random() * (1.3 - 0.5 * wild)
        angle = float(rng.normal(0, math.pi * wild / 2))
        kind = int(rng.integers(4))
        common = {"outline": outline, "outline_width": 0.012 if thick else 0.005}
        if kind == 0:
            shapes.append(
                Shape("ellipse", color(i), center=(cx, cy), radii=(size, size * 0.8), **common)
            )
        elif kind == 1:
            points = _rectangle(cx, cy, size, size * 0.6, aspect, angle)
            shapes.append(Shape("polygon", color(i), points=points, **common))
        elif kind == 2:
            points = _star(cx, cy, size, aspect, 3, angle - math.pi / 2)
            points = points[0::2]
            shapes.append(Shape("polygon", color(i), points=points, **common))
        else:
            points = _star(cx, cy, size, aspect, 5, angle - math.pi / 2)
            shapes.append(Shape("polygon", color(i), points=points, **common))
    return shapes


# --- raster ---------------------------------------------------------------------------


def _fixed(value: float) -> int:
    return round(value * _ONE)


def _background(scene: Scene) -> np.ndarray:
    img = np.empty((scene.height, scene.width, 3), np.uint8)
    if scene.style == "realistic_image" and not scene.strict_palette:
        # A sky: the background colour deepening towards the top.
        top = np.array(mix(scene.background, scene.palette[0], 0.45), np.float32)
        bottom = np.array(scene.background, np.float32)
        t = np.linspace(0.0, 1.0, scene.height, dtype=np.float32)[:, None]
        img[:] = np.rint(top + (bottom - top) * t)[:, None, :].astype(np.uint8)
    else:
        img[:] = scene.background
    return img


def render_raster(scene: Scene, shapes: Sequence[Shape] | None = None) -> np.ndarray:
    """The scene as an RGB array of its size."""
    shapes = plan(scene) if shapes is None else shapes
    img = _background(scene)
    w, h = scene.width, scene.height
    short = min(w, h)
    for shape in shapes:
        thickness = max(1, round(shape.outline_width * short)) if shape.outline else 0
        if shape.kind == "ellipse":
            center = (_fixed(shape.center[0] * w), _fixed(shape.center[1] * h))
            axes = (_fixed(shape.radii[0] * short), _fixed(shape.radii[1] * short))
            cv2.ellipse(
                img, center, axes, shape.angle, 0, 360, shape.color, -1, cv2.LINE_AA, _SHIFT
            )
            if thickness:
                cv2.ellipse(
                    img, center, axes, shape.angle, 0, 360, shape.outline, thickness,
                    cv2.LINE_AA, _SHIFT,
                )  # fmt: skip
        else:
            pts = np.array(
                [[_fixed(x * w), _fixed(y * h)] for x, y in shape.points], np.int32
            ).reshape(-1, 1, 2)
            cv2.fillPoly(img, [pts], shape.color, cv2.LINE_AA, _SHIFT)
            if thickness:
                cv2.polylines(img, [pts], True, shape.outline, thickness, cv2.LINE_AA, _SHIFT)
    img = _substyle_finish(img, scene)
    if scene.text_layout:
        draw_text_layout(img, scene.text_layout, scene.palette)
    return img


def _substyle_finish(img: np.ndarray, scene: Scene) -> np.ndarray:
    """The few substyles with an effect a person would recognise at a glance."""
    substyle = scene.substyle
    if scene.style == "realistic_image":
        img = cv2.GaussianBlur(img, (0, 0), 1.2)
    if substyle in ("b_and_w", "noir"):
        gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
        img = cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)
    elif substyle == "pixel_art":
        h, w = img.shape[:2]
        block = max(4, min(w, h) // 64)
        small = cv2.resize(
            img, (max(1, w // block), max(1, h // block)), interpolation=cv2.INTER_AREA
        )
        img = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
    elif substyle == "motion_blur":
        kernel = np.full((1, 21), 1 / 21, np.float32)
        img = cv2.filter2D(img, -1, kernel)
    elif substyle == "hdr":
        img = cv2.convertScaleAbs(img, alpha=1.3, beta=-35)
    elif substyle in ("grain", "grain_20"):
        noise = np.random.default_rng(scene.seed).normal(0, 10, img.shape[:2])[..., None]
        img = np.clip(img + noise, 0, 255).astype(np.uint8)
    return img


@lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


#: The widest a word's glyphs are rendered before being warped into the box.
_GLYPHS_MAX_WIDTH = 4096


def word_glyphs(text: str, size: int = 96) -> np.ndarray:
    """A word as a white-on-black mask, cropped to its ink with a small margin."""
    # A long word gets a smaller font, so its canvas stays small; an absurdly long
    # one (the API bounds the prompt, not the words) is drawn as far as it fits.
    text = text.translate(_LOOKALIKES)[: _GLYPHS_MAX_WIDTH // 8]
    size = max(8, min(size, _GLYPHS_MAX_WIDTH // max(1, len(text))))
    font = _font(size)
    left, top, right, bottom = font.getbbox(text)
    pad = size // 12
    canvas = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 0)
    ImageDraw.Draw(canvas).text((pad - left, pad - top), text, font=font, fill=255)
    return np.asarray(canvas)


#: Box corners may lie outside the picture (they are cropped), but not absurdly far.
_FAR = 100_000.0


def _quad(bbox: Sequence[Sequence[float]], width: int, height: int) -> np.ndarray:
    corners = np.array([[float(x) * width, float(y) * height] for x, y in bbox], np.float64)
    return np.clip(corners, -_FAR, _FAR).astype(np.float32)


def draw_text_layout(img: np.ndarray, layout: Sequence[Mapping], palette: Sequence[RGB]) -> None:
    """Draw each word stretched into its 4-point box, in place.

    The word's glyphs are mapped onto the quadrilateral with a perspective warp, so
    the ink lands inside the box whatever its shape; parts of a box outside the
    picture are cropped, as the docs describe.
    """
    height, width = img.shape[:2]
    for item in layout:
        quad = _quad(item["bbox"], width, height)
        if abs(cv2.contourArea(quad)) < 4.0:
            continue
        x0, y0 = np.floor(quad.min(axis=0)).astype(int)
        x1, y1 = np.ceil(quad.max(axis=0)).astype(int)
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
        if x1 <= x0 or y1 <= y0:
            continue
        glyphs = word_glyphs(str(item["text"]))
        gh, gw = glyphs.shape
        source = np.array([[0, 0], [gw, 0], [gw, gh], [0, gh]], np.float32)
        transform = cv2.getPerspectiveTransform(source, quad - np.array([x0, y0], np.float32))
        warped = cv2.warpPerspective(
            glyphs, transform, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderValue=0
        )
        region = img[y0:y1, x0:x1]
        ink_rgb = contrasting(tuple(region.reshape(-1, 3).mean(axis=0)), palette)
        # A thin halo in the opposite tone keeps the word legible over any shape.
        halo_rgb = (20, 20, 20) if luminance(ink_rgb) > 0.5 else (245, 245, 245)
        stroke = max(1, round(min(x1 - x0, y1 - y0) / 40))
        halo = cv2.dilate(warped, np.ones((2 * stroke + 1, 2 * stroke + 1), np.uint8))
        for mask, rgb in ((halo, halo_rgb), (warped, ink_rgb)):
            alpha = (mask.astype(np.float32) / 255.0)[..., None]
            color = np.array(rgb, np.float32)
            region[:] = np.rint(region * (1.0 - alpha) + color * alpha).astype(np.uint8)


# --- SVG ------------------------------------------------------------------------------


def _hex(color: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


def _num(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def render_svg(scene: Scene, shapes: Sequence[Shape] | None = None) -> str:
    """The scene as an SVG document with width, height and viewBox in pixels."""
    shapes = plan(scene) if shapes is None else shapes
    w, h = scene.width, scene.height
    short = min(w, h)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">',
        f'<rect x="0" y="0" width="{w}" height="{h}" fill="{_hex(scene.background)}"/>',
    ]
    for shape in shapes:
        stroke = ""
        if shape.outline:
            width = _num(shape.outline_width * short)
            stroke = (
                f' stroke="{_hex(shape.outline)}" stroke-width="{width}" stroke-linejoin="round"'
            )
        paint = f'fill="{_hex(shape.color)}"{stroke}'
        if shape.kind == "ellipse":
            cx, cy = _num(shape.center[0] * w), _num(shape.center[1] * h)
            rx, ry = shape.radii[0] * short, shape.radii[1] * short
            if rx == ry:
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="{_num(rx)}" {paint}/>')
            else:
                rotate = (
                    f' transform="rotate({_num(shape.angle)} {cx} {cy})"' if shape.angle else ""
                )
                parts.append(
                    f'<ellipse cx="{cx}" cy="{cy}" rx="{_num(rx)}" ry="{_num(ry)}"'
                    f"{rotate} {paint}/>"
                )
        else:
            d = " ".join(
                f"{'M' if i == 0 else 'L'}{_num(x * w)} {_num(y * h)}"
                for i, (x, y) in enumerate(shape.points)
            )
            parts.append(f'<path d="{d} Z" {paint}/>')
    for item in scene.text_layout:
        parts.append(_svg_word(item, w, h, scene))
    parts.append("</svg>")
    return "\n".join(p for p in parts if p)


def _svg_word(item: Mapping, width: int, height: int, scene: Scene) -> str:
    """A word as <text> laid along its box: rotated with the top edge, sized to fit."""
    quad = _quad(item["bbox"], width, height)
    top = quad[1] - quad[0]
    side = quad[3] - quad[0]
    box_w, box_h = float(np.hypot(*top)), float(np.hypot(*side))
    if box_w < 1 or box_h < 1:
        return ""
    angle = math.degrees(math.atan2(float(top[1]), float(top[0])))
    ink = contrasting(scene.background, scene.palette)
    return (
        f'<text transform="translate({_num(quad[0][0])} {_num(quad[0][1])}) rotate({_num(angle)})" '
        f'x="{_num(box_w / 2)}" y="{_num(box_h * 0.82)}" font-size="{_num(box_h * 0.8)}" '
        f'textLength="{_num(box_w * 0.92)}" lengthAdjust="spacingAndGlyphs" text-anchor="middle" '
        f'font-family="Helvetica, Arial, sans-serif" font-weight="bold" fill="{_hex(ink)}">'
        f"{escape(str(item['text']))}</text>"
    )

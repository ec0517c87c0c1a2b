"""Downloads as asked: a stored image in another format or at another size.

A rendition is made on request in the web process, so its size is capped
(`MAX_SIDE`, `MAX_PIXELS`) before any pixel is allocated: a request for a 50,000 px
wide copy is refused with the largest width on offer, never attempted. SVG is
rasterised by resvg (the `resvg-py` binding: a self-contained wheel, no system
library), after every reference to something outside the document is removed, so a
hostile SVG cannot make the renderer read a file of this machine.

Nothing here knows about Django: `assets.views` stores and serves what this makes.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from dataclasses import dataclass

from defusedxml import ElementTree
from PIL import Image

#: The longest side and the most pixels a download may have (a 16 MP RGBA image is
#: 64 MB in memory while it is encoded: a bound a web process can afford).
MAX_SIDE = 4096
MAX_PIXELS = 16 * 1024 * 1024
#: SVG documents larger than this are not rasterised (the API's are far smaller).
MAX_SVG_BYTES = 10 * 1024 * 1024

#: Format name in the URL → (Pillow's name, content type).
RASTER_FORMATS = {
    "png": ("PNG", "image/png"),
    "jpg": ("JPEG", "image/jpeg"),
    "webp": ("WEBP", "image/webp"),
}
FORMAT_LABELS = {"png": "PNG", "jpg": "JPG", "webp": "WEBP", "svg": "SVG"}
SCALES = (1, 2)


class RenditionRefused(ValueError):
    """A rendition that cannot be made; the message says what can."""


@dataclass(frozen=True)
class Request:
    """What a person asked for: a format and a width (None: the image's own)."""

    format: str
    width: int | None = None


def formats_for(content_type: str) -> list[str]:
    """Formats an image can be downloaded in: a vector also as itself (SVG)."""
    raster = list(RASTER_FORMATS)
    return ["svg", *raster] if content_type == "image/svg+xml" else raster


def target_size(width: int, height: int, *, want: int | None) -> tuple[int, int]:
    """The output size for a requested width, keeping the shape; refused past the cap."""
    if width <= 0 or height <= 0:
        raise RenditionRefused("This image has no size to scale from.")
    if want is None:
        want = width
    if want < 1:
        raise RenditionRefused("Choose a width of at least 1 px.")
    out_h = max(1, round(height * want / width))
    largest = max_width(width, height)
    if want > MAX_SIDE or out_h > MAX_SIDE or want * out_h > MAX_PIXELS:
        raise RenditionRefused(
            f"{want} px wide is too large to download here; choose {largest} px or less."
        )
    return want, out_h


def max_width(width: int, height: int) -> int:
    """The widest rendition allowed for an image of this shape."""
    by_side = min(MAX_SIDE, int(MAX_SIDE * width / height)) if height else MAX_SIDE
    by_pixels = int((MAX_PIXELS * width / height) ** 0.5) if height else MAX_SIDE
    return max(1, min(by_side, by_pixels))


# --- SVG --------------------------------------------------------------------------------

_XLINK = "{http://www.w3.org/1999/xlink}href"
_SAFE_DATA = re.compile(r"^\s*data:image/(png|jpeg|jpg|webp|gif)[;,]", re.IGNORECASE)
_CSS_URL = re.compile(r"url\(\s*['\"]?(?!#)[^)]*\)", re.IGNORECASE)


def _inert_href(value: str) -> bool:
    value = value.strip()
    return value.startswith("#") or bool(_SAFE_DATA.match(value))


def svg_self_contained(data: bytes) -> bytes:
    """The SVG with every outside reference removed: only `#fragment`s and embedded
    raster images stay, so rendering it reads nothing but the document itself."""
    if len(data) > MAX_SVG_BYTES:
        raise RenditionRefused("This SVG is too large to convert here; download it as SVG.")
    try:
        root = ElementTree.fromstring(data)
    except Exception:  # defusedxml refuses entities and broken XML with several types
        raise RenditionRefused("This SVG cannot be read, so it cannot be converted.")
    for element in root.iter():
        for name in ("href", _XLINK):
            if name in element.attrib and not _inert_href(element.attrib[name]):
                del element.attrib[name]
        style = element.attrib.get("style")
        if style and _CSS_URL.search(style):
            element.attrib["style"] = _CSS_URL.sub("none", style)
        if element.tag.endswith("style") and element.text:
            element.text = _CSS_URL.sub("none", element.text.replace("@import", ""))
    return ElementTree.tostring(root)


def rasterize_svg(data: bytes, *, width: int, height: int) -> Image.Image:
    """The SVG drawn at `width` × `height` px, with its transparency."""
    import resvg_py

    svg = svg_self_contained(data).decode("utf-8")
    try:
        png = resvg_py.svg_to_bytes(svg_string=svg, width=width, height=height)
    except ValueError as exc:
        raise RenditionRefused(f"This SVG could not be drawn ({exc}).")
    image = Image.open(io.BytesIO(bytes(png)))
    image.load()
    return image


# --- rasters ----------------------------------------------------------------------------


def _open_raster(data: bytes) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = Image.open(io.BytesIO(data))
        image.load()
    return image


def _encode(image: Image.Image, fmt: str) -> bytes:
    pil_name, _ = RASTER_FORMATS[fmt]
    if fmt == "jpg":
        # JPG has no transparency: transparent parts become white, as in most tools.
        if image.mode in ("RGBA", "LA", "P"):
            rgba = image.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
            image = flat
        elif image.mode != "RGB":
            image = image.convert("RGB")
        options = {"quality": 92, "optimize": True}
    elif fmt == "webp":
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA")
        options = {"quality": 90, "method": 4}
    else:
        if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            image = image.convert("RGBA")
        options = {}
    out = io.BytesIO()
    image.save(out, pil_name, **options)
    return out.getvalue()


def render(data: bytes, *, content_type: str, size: tuple[int, int], want: Request) -> bytes:
    """The image's bytes in the requested format and width (checked by `target_size`)."""
    width, height = target_size(*size, want=want.width)
    is_svg = content_type == "image/svg+xml"
    if want.format == "svg":
        if not is_svg:
            raise RenditionRefused("Only a vector image downloads as SVG.")
        return data
    if want.format not in RASTER_FORMATS:
        raise RenditionRefused("Choose PNG, JPG or WEBP.")
    if is_svg:
        image = rasterize_svg(data, width=width, height=height)
    else:
        image = _open_raster(data)
        if image.size != (width, height):
            image = image.resize((width, height), Image.Resampling.LANCZOS)
    return _encode(image, want.format)


# --- names ------------------------------------------------------------------------------

_NAME_WORDS = 7
_NAME_CHARS = 60
#: Words a file name does without ("a red panda" → "red-panda").
_STOP_WORDS = frozenset({"a", "an", "the", "of", "and", "with", "in", "on", "at", "to", "for"})


def slug_words(text: str, *, words: int = _NAME_WORDS, chars: int = _NAME_CHARS) -> str:
    """`"A red panda mascot, waving!"` → `"red-panda-mascot-waving"` (ASCII, short)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    parts = [w for w in re.findall(r"[a-z0-9]+", ascii_text.lower()) if w not in _STOP_WORDS]
    parts = parts[:words]
    slug = "-".join(parts)
    return slug[:chars].rstrip("-")


def download_name(*, project: str, prompt: str, number: int, extension: str) -> str:
    """`launch-red-panda-mascot-1.png`: the project, the prompt's first words, a number."""
    stem = "-".join(p for p in (slug_words(project, words=4), slug_words(prompt)) if p)
    return f"{stem or 'image'}-{number}.{extension}"

"""Pillow work on images before they are sent: judging them against a tool's limits,
and the fixes the studio offers (scale down to fit, convert to PNG, resize a mask).

The limits themselves come from `recraft.catalog` and are checked by
`recraft.validation.inspect_image`; this module only decides which problem an image
has and whether the studio can fix it without the person doing anything else.
"""

from __future__ import annotations

import io
import math
import struct
import warnings
import zlib
from dataclasses import dataclass
from enum import StrEnum

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from recraft_studio.recraft import catalog
from recraft_studio.recraft.catalog import MB, MEGAPIXEL, Op, UploadLimits
from recraft_studio.recraft.validation import FieldError, inspect_image

#: The tools: every operation that takes an uploaded image (style creation aside).
TOOL_OPS: tuple[Op, ...] = tuple(
    o.op for o in catalog.OPERATIONS.values() if o.limits is not None and o.op != Op.CREATE_STYLE
)

#: An upload is kept when at least one tool could take it: the loosest bound of each kind.
UPLOAD_LIMITS = UploadLimits(
    max_bytes=max(catalog.OPERATIONS[op].limits.max_bytes for op in TOOL_OPS),
    max_pixels=max(catalog.OPERATIONS[op].limits.max_pixels for op in TOOL_OPS),
    max_side=max(catalog.OPERATIONS[op].limits.max_side for op in TOOL_OPS),
    min_side=min(catalog.OPERATIONS[op].limits.min_side for op in TOOL_OPS),
)

#: What the studio reads at all: larger files are refused before they are decoded.
HARD_MAX_BYTES = 50 * MB
#: The decompression-bomb guard: the studio decodes no image past the API's 16 MP
#: and a margin (a 24-megapixel photo can still be scaled down to fit). The size is
#: read from the header first, so a larger image is refused before a pixel is
#: decoded: a 100 KB PNG can declare 10,000 × 10,000 pixels, 400 MB once decoded.
DECODE_MAX_PIXELS = catalog.DEFAULT_LIMITS.max_pixels * 3 // 2
#: The largest image the studio offers to scale down (the name other modules use).
HARD_MAX_PIXELS = DECODE_MAX_PIXELS

#: What a person is told about a file whose header reads but whose pixels do not.
DAMAGED = (
    "This image is damaged or incomplete (it may have been cut off while copying or "
    "uploading), so it cannot be read. Export or download it again and upload that copy."
)

#: Formats Pillow reads that the API does not take, and that we convert to PNG on request.
CONVERTIBLE_FORMATS = frozenset({"GIF", "BMP", "TIFF", "MPO", "ICO", "PPM", "TGA"})


class Fix(StrEnum):
    """What the studio can do about an image a tool would refuse."""

    FIT = "fit"  # scale down (and re-encode) to fit the limits
    CONVERT = "convert"  # re-encode as PNG
    UPSCALE = "upscale"  # too small: upscale it with a tool first


@dataclass(frozen=True)
class Problem:
    """Why a tool would refuse an image, and the fixes on offer (possibly none)."""

    message: str
    fixes: tuple[Fix, ...] = ()
    #: The size the image would have after `Fix.FIT` (smaller still if the file must
    #: also shrink below the byte limit: how well it compresses is not known ahead).
    fit_size: tuple[int, int] | None = None
    #: What `Fix.FIT` does, as a person would say it ("scale it down to 2243 × 1869").
    fit_label: str = ""

    @property
    def can_fit(self) -> bool:
        return Fix.FIT in self.fixes

    @property
    def can_convert(self) -> bool:
        return Fix.CONVERT in self.fixes

    @property
    def needs_upscale(self) -> bool:
        return Fix.UPSCALE in self.fixes


def _open(data: bytes) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return Image.open(io.BytesIO(data))


def sniff(data: bytes) -> tuple[str, int, int] | None:
    """Format, width and height from the header, or None when Pillow cannot read it."""
    try:
        with _open(data) as img:
            return img.format or "", img.width, img.height
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        return None


def _too_many_pixels(width: int, height: int) -> str:
    return (
        f"The image is {width} × {height} ({width * height / MEGAPIXEL:.0f} MP); the studio "
        f"reads images up to {DECODE_MAX_PIXELS // MEGAPIXEL} MP."
    )


#: What Pillow raises while decoding a damaged, truncated or hostile file.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    TypeError,
    struct.error,
    zlib.error,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
)


def decode(data: bytes, *, field: str = "image") -> Image.Image:
    """The first frame of `data`, decoded, after its header passed the pixel guard.

    Raises `FieldError` on `field` for a file with too many pixels (before anything
    is decoded) and for a damaged or truncated one. Every decode of bytes a person
    brought goes through here.
    """
    facts = sniff(data)
    if facts is None:
        raise FieldError(field, "This file is not an image the studio can read.")
    _, width, height = facts
    if width * height > DECODE_MAX_PIXELS:
        raise FieldError(field, _too_many_pixels(width, height))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            img.seek(0)  # the first frame of an animated GIF or a multi-page TIFF
            img.load()
    except _DECODE_ERRORS:
        raise FieldError(field, DAMAGED)
    return img


def check_decodable(data: bytes, *, field: str = "image") -> None:
    """Refuse an image that cannot be decoded whole, before any of it is stored.

    A PNG's chunks carry checksums that decoding does not look at; a file whose
    checksums fail was damaged on the way, whatever its pixels look like.
    """
    with decode(data, field=field) as img:
        fmt = img.format
    if fmt == "PNG":
        try:
            with Image.open(io.BytesIO(data)) as img:
                img.verify()
        except _DECODE_ERRORS:
            raise FieldError(field, DAMAGED)


def upright(data: bytes, *, field: str = "image") -> bytes:
    """The image with its EXIF orientation applied, or `data` itself when it has none.

    Phones store a portrait photo as landscape pixels plus an orientation tag; the
    API, thumbnails and browsers that ignore the tag would show it sideways. The
    turned image is re-encoded in its own format, without the tag.
    """
    orientation = 1
    try:
        with _open(data) as img:
            orientation = img.getexif().get(ExifTags.Base.Orientation, 1)
            fmt = img.format
    except (UnidentifiedImageError, *_DECODE_ERRORS):
        return data
    if orientation in (None, 1) or fmt not in catalog.UPLOAD_FORMATS:
        return data
    with decode(data, field=field) as img:
        turned = ImageOps.exif_transpose(img)
        out = io.BytesIO()
        if fmt == "JPEG":
            turned.convert("RGB").save(out, "JPEG", quality=95, optimize=True)
        elif fmt == "WEBP":
            turned.save(out, "WEBP", lossless=True)
        else:
            turned.save(out, "PNG", optimize=True)
    return out.getvalue()


def fit_size(width: int, height: int, limits: UploadLimits) -> tuple[int, int] | None:
    """The largest size with the same shape that fits `limits`; None when none does.

    An image too thin to keep its shorter side above the minimum while its longer side
    fits cannot be fixed by scaling.
    """
    scale = min(
        1.0,
        limits.max_side / max(width, height),
        math.sqrt(limits.max_pixels / (width * height)),
    )
    # Rounding down keeps both the area and the longer side within their bounds.
    new_w, new_h = max(1, math.floor(width * scale)), max(1, math.floor(height * scale))
    if min(new_w, new_h) < limits.min_side:
        return None
    return new_w, new_h


def diagnose(data: bytes, limits: UploadLimits, *, field: str = "image") -> Problem | None:
    """None when `inspect_image` accepts the bytes; otherwise the problem and its fixes."""
    try:
        inspect_image(data, limits=limits, field=field)
        return None
    except FieldError as error:
        message = error.message
    if len(data) > HARD_MAX_BYTES:
        return Problem(
            f"The file is {len(data) / MB:.1f} MB; the studio reads files up to "
            f"{HARD_MAX_BYTES // MB} MB, and the tools take at most {limits.max_bytes // MB} MB."
        )
    facts = sniff(data)
    if facts is None:
        return Problem(message)
    fmt, width, height = facts
    fixes: list[Fix] = []
    if fmt not in catalog.UPLOAD_FORMATS:
        if fmt not in CONVERTIBLE_FORMATS:
            return Problem(message)
        fixes.append(Fix.CONVERT)
    if width * height > DECODE_MAX_PIXELS:
        # Refused from the header alone: scaling it down would mean decoding it.
        return Problem(_too_many_pixels(width, height))
    size, label = None, ""
    too_heavy = len(data) > limits.max_bytes
    too_large = width * height > limits.max_pixels or max(width, height) > limits.max_side
    if too_large or too_heavy:
        size = fit_size(width, height, limits)
        if size is not None:
            fixes.append(Fix.FIT)
            if size != (width, height):
                label = f"scale it down to {size[0]} × {size[1]}"
                if too_heavy:
                    label += f" (or smaller, until the file is under {limits.max_bytes // MB} MB)"
            else:
                label = f"scale it down until the file is under {limits.max_bytes // MB} MB"
    elif min(width, height) < limits.min_side:
        fixes.append(Fix.UPSCALE)
    return Problem(message, tuple(fixes), size, label)


def _flatten_mode(img: Image.Image) -> Image.Image:
    """RGB, or RGBA when the image has any transparency; nothing else travels well."""
    has_alpha = "A" in img.getbands() or (img.mode == "P" and "transparency" in img.info)
    if img.mode in ("RGB", "RGBA") and (img.mode == "RGBA") == has_alpha:
        return img
    return img.convert("RGBA" if has_alpha else "RGB")


def _encode(img: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        img.convert("RGB").save(out, "JPEG", quality=92, optimize=True)
    else:
        img.save(out, "PNG", optimize=True)
    return out.getvalue()


def refit(data: bytes, limits: UploadLimits) -> bytes:
    """Re-encode (PNG, or JPEG for a JPEG) and scale down until `limits` accept it.

    Pixel and side limits are met by resizing once; the byte limit by shrinking a
    little more each time, since how well a picture compresses is not known ahead.
    Raises `FieldError` when no size within the limits is left.
    """
    with decode(data) as src:
        fmt = "JPEG" if src.format in ("JPEG", "MPO") else "PNG"
        img = _flatten_mode(ImageOps.exif_transpose(src))
        img.load()
    size = fit_size(img.width, img.height, limits)
    if size is None:
        raise FieldError("image", "This image cannot be scaled to fit the tool's limits.")
    for _ in range(30):
        resized = img if size == img.size else img.resize(size, Image.Resampling.LANCZOS)
        encoded = _encode(resized, fmt)
        if len(encoded) <= limits.max_bytes:
            inspect_image(encoded, limits=limits)
            return encoded
        # Shrink in proportion to the excess (bytes grow with the area), and a bit more.
        ratio = math.sqrt(limits.max_bytes / len(encoded)) * 0.97
        size = (max(1, math.floor(size[0] * ratio)), max(1, math.floor(size[1] * ratio)))
        if min(size) < limits.min_side:
            break
    raise FieldError("image", "This image cannot be made small enough for the tool's limits.")


def to_png(data: bytes) -> bytes:
    """The same picture as a PNG (the first frame of an animation)."""
    with decode(data) as src:
        img = _flatten_mode(ImageOps.exif_transpose(src))
        img.load()
    return _encode(img, "PNG")


def fix(data: bytes, limits: UploadLimits) -> bytes:
    """Apply every fix `diagnose` offers for `data` (convert, then fit when needed)."""
    problem = diagnose(data, limits)
    if problem is None:
        return data
    if problem.can_convert:
        data = to_png(data)
        problem = diagnose(data, limits)
        if problem is None:
            return data
    if problem.can_fit:
        return refit(data, limits)
    raise FieldError("image", problem.message)


def scale_mask(data: bytes, size: tuple[int, int]) -> bytes:
    """A mask resized with nearest neighbour, so it still holds only 0 and 255."""
    with decode(data, field="mask") as src:
        img = src.convert("L")
    img = img.resize(size, Image.Resampling.NEAREST).point(lambda v: 255 if v >= 128 else 0)
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()


def mask_has_white(data: bytes) -> bool:
    """Whether the mask marks any pixel at all (a black mask would change nothing)."""
    with decode(data, field="mask") as img:
        return img.convert("L").getextrema()[1] >= 128


#: Formats an image can be converted to for a download or an export (Pillow names).
CONVERT_FORMATS = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP"}


def convert(data: bytes, fmt: str) -> bytes:
    """The same picture as PNG, JPG or WEBP (`fmt`: "png", "jpg" or "webp").

    JPG has no transparency: transparent pixels become white, as a page would show
    them, not the black a plain mode conversion gives. SVG is not raster: callers
    keep it as it is.
    """
    target = CONVERT_FORMATS[fmt]
    with _open(data) as src:
        src.seek(0)
        if src.format == target:
            return data
        img = _flatten_mode(ImageOps.exif_transpose(src))
        img.load()
    out = io.BytesIO()
    if target == "JPEG":
        if img.mode == "RGBA":
            background = Image.new("RGB", img.size, (255, 255, 255))
            background.paste(img, mask=img.getchannel("A"))
            img = background
        img.save(out, "JPEG", quality=92, optimize=True)
    elif target == "WEBP":
        img.save(out, "WEBP", quality=92, method=4)
    else:
        img.save(out, "PNG", optimize=True)
    return out.getvalue()

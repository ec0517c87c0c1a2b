"""The API's documented rules, checked in one place.

The studio's forms call these before anything is queued or spent; the sandbox calls
the very same functions to decide which requests to answer with HTTP 400. Each rule
reports the field it concerns and a sentence a person can act on.

Parameters are checked as typed Python values (ints, floats, dicts): callers that
receive strings (multipart forms) convert them first, and report a conversion failure
as a `FieldError` of their own.
"""

from __future__ import annotations

import io
import math
import uuid
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError

from . import catalog
from .catalog import MB, MEGAPIXEL, Model, Operation, UploadLimits

FORMAT_NAMES = {"PNG": "PNG", "JPEG": "JPG", "WEBP": "WEBP"}


@dataclass(frozen=True)
class FieldError(Exception):
    """A rule that one field of a request breaks."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class RequestInvalid(Exception):
    """A request that breaks one or more rules; `errors` lists them all."""

    def __init__(self, errors: Sequence[FieldError]):
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in self.errors))


@dataclass(frozen=True)
class ImageInfo:
    """What sniffing an upload's bytes told us."""

    format: str  # Pillow's name: PNG, JPEG or WEBP
    width: int
    height: int
    mode: str
    size_bytes: int

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def mime_type(self) -> str:
        return {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}[self.format]

    @property
    def extension(self) -> str:
        return {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}[self.format]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# --- text -----------------------------------------------------------------------------


def check_prompt(value: Any, *, field: str = "prompt", required: bool = True) -> list[FieldError]:
    if value is None or value == "":
        return [FieldError(field, "A prompt is required.")] if required else []
    if not isinstance(value, str):
        return [FieldError(field, "The prompt must be text.")]
    if not value.strip():
        return [FieldError(field, "The prompt must not be blank.")]
    size = len(value.encode("utf-8"))
    if size > catalog.PROMPT_MAX_BYTES:
        return [
            FieldError(
                field,
                f"The prompt is {size} bytes long; the API takes at most "
                f"{catalog.PROMPT_MAX_BYTES} bytes (UTF-8).",
            )
        ]
    return []


def check_text(
    value: Any, *, field: str, max_bytes: int, label: str | None = None
) -> list[FieldError]:
    """An optional text of at most `max_bytes` (UTF-8); `label` names it in messages."""
    label = label or field
    if value is None or value == "":
        return []
    if not isinstance(value, str):
        return [FieldError(field, f"{label} must be text.")]
    size = len(value.encode("utf-8"))
    if size > max_bytes:
        return [
            FieldError(
                field,
                f"{label} is {size:,} bytes long; it may be at most {max_bytes:,} bytes (UTF-8).",
            )
        ]
    return []


def check_n(value: Any, *, field: str = "n") -> list[FieldError]:
    if value is None:
        return []
    if not _is_int(value) or not catalog.N_MIN <= value <= catalog.N_MAX:
        return [
            FieldError(
                field,
                f"n must be a whole number from {catalog.N_MIN} to {catalog.N_MAX}; got {value!r}.",
            )
        ]
    return []


def check_size(value: Any, *, field: str = "size", required: bool = False) -> list[FieldError]:
    if value is None or value == "":
        return [FieldError(field, "A size is required.")] if required else []
    if value not in catalog.SIZES:
        return [
            FieldError(
                field,
                f"{value!r} is not a supported size; use one of {', '.join(catalog.SIZES)}.",
            )
        ]
    return []


def check_style(
    *,
    model: Any,
    style: Any,
    substyle: Any,
    style_id: Any,
    models: Iterable[Model] = (Model.V3, Model.V2),
) -> list[FieldError]:
    """The model / style / substyle matrix of the Appendix, and `style_id` xor `style`."""
    errors: list[FieldError] = []
    allowed_models = [str(m) for m in models]
    if model is None or model == "":
        model = str(catalog.DEFAULT_MODEL)
    if model not in allowed_models:
        errors.append(
            FieldError("model", f"model must be one of {', '.join(allowed_models)}; got {model!r}.")
        )
        return errors
    if style_id not in (None, ""):
        if style not in (None, ""):
            errors.append(
                FieldError(
                    "style_id",
                    "style_id and style are mutually exclusive: send one or the other.",
                )
            )
        try:
            uuid.UUID(str(style_id))
        except ValueError:
            errors.append(FieldError("style_id", f"style_id must be a UUID; got {style_id!r}."))
        if substyle not in (None, ""):
            errors.append(
                FieldError(
                    "substyle", "A substyle refines a base style; it cannot go with style_id."
                )
            )
        return errors
    offered = catalog.SUBSTYLES[Model(model)]
    if style not in (None, "") and not isinstance(style, str):
        errors.append(FieldError("style", f"style must be text; got {style!r}."))
        return errors
    if substyle not in (None, "") and not isinstance(substyle, str):
        errors.append(FieldError("substyle", f"substyle must be text; got {substyle!r}."))
        return errors
    if style in (None, ""):
        if substyle not in (None, ""):
            errors.append(FieldError("substyle", "A substyle needs the style it belongs to."))
        return errors
    if style not in offered:
        if style in catalog.STYLES:
            message = f"The style {style!r} is not available on {model}."
        else:
            message = (
                f"{style!r} is not a style; use one of {', '.join(catalog.styles_for(model))}."
            )
        errors.append(FieldError("style", message))
        return errors
    if substyle not in (None, ""):
        choices = offered[style]
        if substyle not in choices:
            if choices:
                message = (
                    f"{substyle!r} is not a substyle of {style} on {model}; "
                    f"use one of {', '.join(choices)}."
                )
            else:
                message = f"The style {style} takes no substyle on {model}."
            errors.append(FieldError("substyle", message))
    return errors


def _check_color(value: Any, field: str) -> list[FieldError]:
    if not isinstance(value, Mapping) or "rgb" not in value:
        return [FieldError(field, "A colour is an object with an rgb array of 3 integers.")]
    rgb = value["rgb"]
    if (
        not isinstance(rgb, list | tuple)
        or len(rgb) != 3
        or not all(_is_int(c) and catalog.RGB_MIN <= c <= catalog.RGB_MAX for c in rgb)
    ):
        return [
            FieldError(
                field,
                f"rgb must be 3 integers from {catalog.RGB_MIN} to {catalog.RGB_MAX}; got {rgb!r}.",
            )
        ]
    return []


def check_controls(value: Any, *, field: str = "controls") -> list[FieldError]:
    if value is None:
        return []
    if not isinstance(value, Mapping):
        return [FieldError(field, "controls must be an object.")]
    errors: list[FieldError] = []
    level = value.get("artistic_level")
    if level is not None and (
        not _is_int(level) or not catalog.ARTISTIC_LEVEL_MIN <= level <= catalog.ARTISTIC_LEVEL_MAX
    ):
        errors.append(
            FieldError(
                f"{field}.artistic_level",
                f"artistic_level must be a whole number from {catalog.ARTISTIC_LEVEL_MIN} "
                f"to {catalog.ARTISTIC_LEVEL_MAX}; got {level!r}.",
            )
        )
    colors = value.get("colors")
    if colors is not None:
        if not isinstance(colors, list | tuple):
            errors.append(FieldError(f"{field}.colors", "colors must be an array of colours."))
        else:
            for i, color in enumerate(colors):
                errors += _check_color(color, f"{field}.colors[{i}]")
    background = value.get("background_color")
    if background is not None:
        errors += _check_color(background, f"{field}.background_color")
    no_text = value.get("no_text")
    if no_text is not None and not isinstance(no_text, bool):
        errors.append(FieldError(f"{field}.no_text", "no_text must be true or false."))
    return errors


def is_text_layout_character(char: str) -> bool:
    """Whether a word in a text layout may hold `char`.

    The docs list capital letters only, yet their own text-layout example sends the
    word "Recraft"; a lower-case letter is therefore taken as its capital, and is
    accepted when that capital is listed. Anything else unlisted is refused.
    """
    if char in catalog.TEXT_LAYOUT_CHARSET:
        return True
    upper = char.upper()
    return len(upper) == 1 and upper != char and upper in catalog.TEXT_LAYOUT_CHARSET


def check_text_layout(value: Any, *, model: Any, field: str = "text_layout") -> list[FieldError]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        return [FieldError(field, "text_layout must be an array of {text, bbox} objects.")]
    if value and (model or str(catalog.DEFAULT_MODEL)) != Model.V3:
        return [FieldError(field, "text_layout is available on recraftv3 only.")]
    if len(value) > catalog.TEXT_LAYOUT_MAX_WORDS:
        return [
            FieldError(
                field,
                f"text_layout has {len(value):,} words; it may have at most "
                f"{catalog.TEXT_LAYOUT_MAX_WORDS}.",
            )
        ]
    errors: list[FieldError] = []
    for i, item in enumerate(value):
        where = f"{field}[{i}]"
        if not isinstance(item, Mapping):
            errors.append(FieldError(where, "Each text element is an object with text and bbox."))
            continue
        text = item.get("text")
        if not isinstance(text, str) or not text:
            errors.append(FieldError(f"{where}.text", "Each text element needs a word."))
        elif len(text) > catalog.TEXT_LAYOUT_WORD_MAX_CHARS:
            errors.append(
                FieldError(
                    f"{where}.text",
                    f"A word may have at most {catalog.TEXT_LAYOUT_WORD_MAX_CHARS} characters; "
                    f"this one has {len(text)}.",
                )
            )
        else:
            bad = sorted({c for c in text if not is_text_layout_character(c)})
            if bad:
                shown = ", ".join(repr(c) for c in bad)
                errors.append(
                    FieldError(
                        f"{where}.text",
                        f"{text!r} has characters text layout does not support: {shown}. "
                        "Use a single word of letters, digits and the listed symbols.",
                    )
                )
        bbox = item.get("bbox")
        if (
            not isinstance(bbox, list | tuple)
            or len(bbox) != catalog.TEXT_LAYOUT_POINTS
            or not all(
                isinstance(p, list | tuple) and len(p) == 2 and all(_is_number(c) for c in p)
                for p in bbox
            )
        ):
            errors.append(
                FieldError(
                    f"{where}.bbox",
                    f"bbox must be exactly {catalog.TEXT_LAYOUT_POINTS} points, each [x, y].",
                )
            )
        else:
            errors += _check_bbox_bounds(bbox, f"{where}.bbox")
    return errors


def bbox_bounds_problem(xs: Sequence[float], ys: Sequence[float]) -> str:
    """Why a box's coordinates are out of bounds, or ""; shared by forms and the API."""
    low, high = catalog.TEXT_LAYOUT_COORD_MIN, catalog.TEXT_LAYOUT_COORD_MAX
    coords = [*xs, *ys]
    if not all(math.isfinite(c) for c in coords):
        return "its coordinates must be finite numbers."
    if any(c < low or c > high for c in coords):
        return (
            f"its coordinates must lie from {low * 100:g} % to {high * 100:g} % of the image "
            "(beyond the edges the word is cropped)."
        )
    if max(xs) <= 0 or min(xs) >= 1 or max(ys) <= 0 or min(ys) >= 1:
        return "it lies wholly outside the image, so none of its word would show."
    return ""


def _check_bbox_bounds(bbox: Sequence[Sequence[float]], field: str) -> list[FieldError]:
    problem = bbox_bounds_problem([p[0] for p in bbox], [p[1] for p in bbox])
    return [FieldError(field, f"The bounding box is out of bounds: {problem}")] if problem else []


def check_strength(
    value: Any, *, required: bool = True, field: str = "strength"
) -> list[FieldError]:
    if value is None or value == "":
        return [FieldError(field, "strength is required.")] if required else []
    if not _is_number(value) or not catalog.STRENGTH_MIN <= value <= catalog.STRENGTH_MAX:
        return [FieldError(field, f"strength must lie in [0, 1]; got {value!r}.")]
    return []


def check_choice(value: Any, choices: Iterable[str], *, field: str) -> list[FieldError]:
    choices = [str(c) for c in choices]
    if value is None or value == "":
        return []
    if value not in choices:
        return [FieldError(field, f"{field} must be one of {', '.join(choices)}; got {value!r}.")]
    return []


def check_seed(value: Any, *, field: str = "random_seed") -> list[FieldError]:
    if value is None or value == "":
        return []
    if not _is_int(value) or not 0 <= value < 2**32:
        return [FieldError(field, f"{field} must be a whole number from 0 to 4294967295.")]
    return []


def check_style_base(value: Any, *, field: str = "style") -> list[FieldError]:
    """The base style a custom style is built on (Create style: `style` is required)."""
    if value is None or value == "":
        return [
            FieldError(
                field,
                f"A base style is required; use one of {', '.join(catalog.CUSTOM_STYLE_BASES)}.",
            )
        ]
    if value not in catalog.CUSTOM_STYLE_BASES:
        return [
            FieldError(
                field,
                f"{value!r} cannot be the base of a style; use one of "
                f"{', '.join(catalog.CUSTOM_STYLE_BASES)}.",
            )
        ]
    return []


def check_params(operation: Operation, params: Mapping[str, Any]) -> list[FieldError]:
    """Every documented rule on the non-file parameters of a call to `operation`."""
    errors: list[FieldError] = []
    if operation.takes_prompt:
        errors += check_prompt(params.get("prompt"), required=operation.prompt_required)
        errors += check_text(
            params.get("negative_prompt"),
            field="negative_prompt",
            max_bytes=catalog.NEGATIVE_PROMPT_MAX_BYTES,
        )
    if operation.takes_n:
        errors += check_n(params.get("n"))
    if operation.takes_size:
        errors += check_size(params.get("size"), required=operation.size_required)
    if operation.takes_style:
        errors += check_style(
            model=params.get("model"),
            style=params.get("style"),
            substyle=params.get("substyle"),
            style_id=params.get("style_id"),
            models=operation.models,
        )
    if operation.takes_controls:
        errors += check_controls(params.get("controls"))
    if operation.takes_text_layout:
        errors += check_text_layout(params.get("text_layout"), model=params.get("model"))
    if operation.takes_strength:
        errors += check_strength(params.get("strength"))
    errors += check_choice(
        params.get("response_format"), catalog.ResponseFormat, field="response_format"
    )
    errors += check_choice(params.get("image_format"), catalog.ImageFormat, field="image_format")
    errors += check_seed(params.get("random_seed"))
    return errors


# --- images ---------------------------------------------------------------------------


def _human_bytes(n: int) -> str:
    return f"{n / MB:.1f} MB" if n >= MB / 10 else f"{n / 1024:.0f} KB"


def sniff_image(data: bytes, *, field: str = "image") -> tuple[str, int, int, str]:
    """Format, width, height and mode read from the bytes; the filename is never trusted."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                # Reads only the header: large images are judged without decoding them.
                return img.format or "", img.width, img.height, img.mode
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise FieldError(field, "This file is not an image the API can read (PNG, JPG or WEBP).")


def inspect_image(
    data: bytes, *, limits: UploadLimits = catalog.DEFAULT_LIMITS, field: str = "image"
) -> ImageInfo:
    """Check an upload against an endpoint's documented limits; raise `FieldError`."""
    if not data:
        raise FieldError(field, "The file is empty.")
    if len(data) > limits.max_bytes:
        raise FieldError(
            field,
            f"The file is {_human_bytes(len(data))}; the limit is {limits.max_bytes // MB} MB.",
        )
    fmt, width, height, mode = sniff_image(data, field=field)
    if fmt not in catalog.UPLOAD_FORMATS:
        raise FieldError(
            field, f"{fmt or 'This'} files are not accepted; upload a PNG, JPG or WEBP image."
        )
    info = ImageInfo(fmt, width, height, mode, len(data))
    if info.pixels > limits.max_pixels:
        raise FieldError(
            field,
            f"The image is {width} × {height} ({info.pixels / MEGAPIXEL:.1f} MP); the limit is "
            f"{limits.max_pixels // MEGAPIXEL} MP.",
        )
    if max(width, height) > limits.max_side:
        raise FieldError(
            field,
            f"The image is {width} × {height}; its longer side may be at most "
            f"{limits.max_side} px.",
        )
    if min(width, height) < limits.min_side:
        raise FieldError(
            field,
            f"The image is {width} × {height}; its shorter side must be at least "
            f"{limits.min_side} px.",
        )
    return info


def _channels_agree(img: Image.Image) -> bool:
    red, green, blue = img.split()
    return red.tobytes() == green.tobytes() == blue.tobytes()


def check_mask(
    data: bytes,
    *,
    image_size: tuple[int, int],
    limits: UploadLimits = catalog.DEFAULT_LIMITS,
    field: str = "mask",
) -> ImageInfo:
    """A mask is grayscale, holds only 0 and 255, and matches the image's size."""
    info = inspect_image(data, limits=limits, field=field)
    if (info.width, info.height) != tuple(image_size):
        raise FieldError(
            field,
            f"The mask is {info.width} × {info.height} but the image is "
            f"{image_size[0]} × {image_size[1]}; they must be the same size.",
        )
    with Image.open(io.BytesIO(data)) as img:
        # WEBP has no grayscale mode: Pillow always decodes it as colour, so a WEBP
        # mask counts as grayscale when its three channels agree everywhere.
        webp_gray = info.format == "WEBP" and info.mode == "RGB" and _channels_agree(img)
        if info.mode not in ("L", "1") and not webp_gray:
            raise FieldError(
                field, f"The mask must be a grayscale image; this one is in {info.mode} mode."
            )
        histogram = img.convert("L").histogram()
    if any(count for value, count in enumerate(histogram) if value not in (0, 255)):
        raise FieldError(
            field, "Every pixel of the mask must be pure black (0) or pure white (255)."
        )
    return info


def check_style_references(files: Sequence[bytes], *, field: str = "files") -> list[ImageInfo]:
    """1 to 5 PNG, JPG or WEBP images, at most 5 MB together."""
    if not files:
        raise FieldError(field, "Upload at least one reference image.")
    if len(files) > catalog.STYLE_REFERENCES_MAX_FILES:
        raise FieldError(
            field,
            f"{len(files)} images were given; a style takes at most "
            f"{catalog.STYLE_REFERENCES_MAX_FILES}.",
        )
    total = sum(len(f) for f in files)
    if total > catalog.STYLE_REFERENCES_MAX_BYTES:
        raise FieldError(
            field,
            f"The images total {_human_bytes(total)}; together they may be at most "
            f"{catalog.STYLE_REFERENCES_MAX_BYTES // MB} MB.",
        )
    infos = []
    for i, data in enumerate(files, start=1):
        if not data:
            raise FieldError(field, f"Image {i} is empty.")
        fmt, width, height, mode = sniff_image(data, field=field)
        if fmt not in catalog.UPLOAD_FORMATS:
            raise FieldError(field, f"Image {i} is not a PNG, JPG or WEBP image.")
        infos.append(ImageInfo(fmt, width, height, mode, len(data)))
    return infos


def check_uploads(operation: Operation, uploads: Mapping[str, bytes]) -> dict[str, ImageInfo]:
    """Every documented rule on the files of a call to a single-upload `operation`.

    `uploads` maps the names the docs use (`image`, `file`, `mask`) to the bytes
    received; a missing required file, a file outside the endpoint's limits or a mask
    that does not fit its image raises `FieldError`. Style creation, which takes a set
    of references instead, is checked by `check_style_references`.
    """
    limits = operation.limits or catalog.DEFAULT_LIMITS
    infos: dict[str, ImageInfo] = {}
    for name in operation.files:
        data = uploads.get(name)
        if data is None:
            kind = "mask" if name == "mask" else "image"
            raise FieldError(
                name, f"An {kind} file is required: upload it as the multipart field {name!r}."
            )
        if name == "mask":
            continue
        infos[name] = inspect_image(data, limits=limits, field=name)
    if operation.has_mask:
        base = next(iter(infos.values()))
        infos["mask"] = check_mask(
            uploads["mask"], image_size=(base.width, base.height), limits=limits
        )
    return infos

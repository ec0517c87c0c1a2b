"""Bytes in, pixels out, and back: how the sandbox reads uploads and writes results.

Pixels travel between modules as numpy arrays in RGB or RGBA order. Encoding is
deterministic (fixed settings, no timestamps), so the same pixels always give the
same bytes, which is what makes the sandbox's answers reproducible.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from recraft_studio.recraft.catalog import ImageFormat

PNG = "image/png"
WEBP = "image/webp"
SVG = "image/svg+xml"

#: zlib level 1, one fixed row filter (Sub) and run-length matching: about a third
#: of the time of OpenCV's defaults for flat, generated pictures, at a similar size.
#: The sandbox is a load generator, not an archive.
PNG_OPTIONS = [
    cv2.IMWRITE_PNG_COMPRESSION,
    1,
    cv2.IMWRITE_PNG_FILTER,
    cv2.IMWRITE_PNG_FILTER_SUB,
    cv2.IMWRITE_PNG_STRATEGY,
    cv2.IMWRITE_PNG_STRATEGY_RLE,
]
WEBP_QUALITY = 90


@dataclass(frozen=True)
class Output:
    """One result image, ready to store and serve."""

    data: bytes
    content_type: str


def decode(data: bytes) -> np.ndarray:
    """An upload as an RGB array, or RGBA when it carries transparency."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data)) as img:
            has_alpha = img.mode in ("RGBA", "LA", "PA") or (
                img.mode == "P" and "transparency" in img.info
            )
            return np.asarray(img.convert("RGBA" if has_alpha else "RGB"))


def decode_mask(data: bytes) -> np.ndarray:
    """A mask as a boolean array: True where the docs' white pixels ask for change."""
    with Image.open(io.BytesIO(data)) as img:
        return np.asarray(img.convert("L")) >= 128


def to_rgb(pixels: np.ndarray, background: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    """Flatten transparency onto `background`; RGB passes through untouched."""
    if pixels.shape[2] == 3:
        return pixels
    alpha = pixels[..., 3:4].astype(np.float32) / 255.0
    flat = pixels[..., :3] * alpha + np.array(background, np.float32) * (1.0 - alpha)
    return np.rint(flat).astype(np.uint8)


def _bgr(pixels: np.ndarray) -> np.ndarray:
    code = cv2.COLOR_RGBA2BGRA if pixels.shape[2] == 4 else cv2.COLOR_RGB2BGR
    return cv2.cvtColor(np.ascontiguousarray(pixels), code)


def encode(pixels: np.ndarray, image_format: str | None = None, *, exact: bool = False) -> Output:
    """Pixels as PNG, or WEBP when asked; `exact` keeps a WEBP lossless.

    Operations that promise to leave pixels alone (erase region, inpaint) encode
    exactly, so a client can compare the untouched pixels with its upload.
    """
    if image_format == ImageFormat.WEBP:
        buffer = io.BytesIO()
        img = Image.fromarray(np.ascontiguousarray(pixels))
        if exact:
            img.save(buffer, "WEBP", lossless=True, quality=0, method=0, exact=True)
        else:
            img.save(buffer, "WEBP", quality=WEBP_QUALITY, method=0)
        return Output(buffer.getvalue(), WEBP)
    ok, data = cv2.imencode(".png", _bgr(pixels), PNG_OPTIONS)
    if not ok:  # pragma: no cover - OpenCV fails only on impossible shapes
        raise RuntimeError("PNG encoding failed")
    return Output(data.tobytes(), PNG)


def svg_output(svg: str) -> Output:
    return Output(svg.encode("utf-8"), SVG)


def fit_within(pixels: np.ndarray, longest: int) -> np.ndarray:
    """Shrink so the longer side is at most `longest`; never enlarge."""
    height, width = pixels.shape[:2]
    scale = longest / max(height, width)
    if scale >= 1:
        return pixels
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)

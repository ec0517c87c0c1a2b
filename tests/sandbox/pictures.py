"""Images for the sandbox tests, drawn in code so the suite carries no binary files."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

BACKGROUND = (214, 222, 232)
SUBJECT = (196, 32, 40)
#: Where `photo()` puts its subject, as (left, top, right, bottom) in pixels.
SUBJECT_BOX = (120, 80, 264, 176)


def encode(pixels: np.ndarray | Image.Image, fmt: str = "PNG", **options) -> bytes:
    img = pixels if isinstance(pixels, Image.Image) else Image.fromarray(pixels)
    buffer = io.BytesIO()
    img.save(buffer, fmt, **options)
    return buffer.getvalue()


def decode(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as img:
        return np.asarray(img.convert("RGBA" if "A" in img.mode else "RGB"))


def image_format(data: bytes) -> str:
    with Image.open(io.BytesIO(data)) as img:
        return img.format


def photo_pixels(width: int = 384, height: int = 256) -> np.ndarray:
    """A light, slightly graded backdrop with a red block and a blue bar on it."""
    ramp = np.linspace(-8, 8, width, dtype=np.float32)[None, :, None]
    pixels = np.clip(np.array(BACKGROUND, np.float32) + ramp, 0, 255)
    pixels = np.repeat(pixels, height, axis=0).astype(np.uint8)
    left, top, right, bottom = SUBJECT_BOX
    pixels[top:bottom, left:right] = SUBJECT
    pixels[top + 30 : top + 60, left + 40 : right - 40] = (30, 60, 190)
    return pixels


def photo(width: int = 384, height: int = 256, fmt: str = "PNG") -> bytes:
    return encode(photo_pixels(width, height), fmt, **({"quality": 95} if fmt != "PNG" else {}))


def solid(width: int, height: int, color=(90, 140, 200), fmt: str = "PNG") -> bytes:
    return encode(np.full((height, width, 3), color, np.uint8), fmt)


def mask(width: int = 384, height: int = 256, box=SUBJECT_BOX, mode: str = "L") -> bytes:
    """White (255) inside `box`, black (0) elsewhere: the docs' mask."""
    pixels = np.zeros((height, width), np.uint8)
    left, top, right, bottom = box
    pixels[top:bottom, left:right] = 255
    img = Image.fromarray(pixels)
    return encode(img.convert(mode) if mode != "L" else img)


def mask_array(width: int = 384, height: int = 256, box=SUBJECT_BOX) -> np.ndarray:
    pixels = np.zeros((height, width), bool)
    left, top, right, bottom = box
    pixels[top:bottom, left:right] = True
    return pixels


def two_colour_reference(first=(230, 0, 200), second=(0, 200, 210)) -> bytes:
    """A style reference made of two colours, left and right."""
    pixels = np.zeros((256, 256, 3), np.uint8)
    pixels[:, :128] = first
    pixels[:, 128:] = second
    return encode(pixels)


def share_near(pixels: np.ndarray, colors, tolerance: float = 40.0) -> float:
    """The share of pixels within `tolerance` (RGB distance) of any of `colors`."""
    rgb = pixels[..., :3].reshape(-1, 3).astype(np.float32)
    palette = np.array(colors, np.float32)
    distance = np.linalg.norm(rgb[:, None, :] - palette[None, :, :], axis=2).min(axis=1)
    return float((distance <= tolerance).mean())


def noise(width: int, height: int, seed: int = 0) -> np.ndarray:
    """Random pixels: an image that does not compress, for size limits."""
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)

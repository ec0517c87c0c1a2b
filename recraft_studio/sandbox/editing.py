"""The image tools, done for real with OpenCV, scikit-image and vtracer.

Each function takes and returns numpy arrays (RGB or RGBA) and is deterministic:
anything random draws from a seed the caller passes, and OpenCV's own generator is
re-seeded before the one algorithm that uses it (grabCut). The results are modest
but honest: a traced SVG really traces the upload, a removed background really is
transparent, an erased region really is filled from its surroundings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import cv2
import numpy as np
import vtracer
from PIL import Image
from skimage.filters import threshold_otsu

from . import codec

RGB = tuple[int, int, int]

#: Upscaling doubles each side, within these bounds on the result.
UPSCALE_FACTOR = 2.0
UPSCALE_MAX_SIDE = 8192
UPSCALE_MAX_PIXELS = 32 * 1024 * 1024

#: Tracing works on a copy no longer than this, reduced to this many colours: the
#: SVG keeps the upload's size through its viewBox, and tracing stays well under a
#: second even for a 16 MP photograph.
TRACE_MAX_SIDE = 512
TRACE_COLORS = 16

#: Foreground segmentation runs on a copy this size; its mask is scaled back up.
SEGMENT_MAX_SIDE = 200

#: Inpainting above this many masked pixels is done on a reduced copy.
ERASE_MAX_MASKED = 300_000

_SVG_ROOT = re.compile(r"<svg\b[^>]*>")


def _split_alpha(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    if pixels.shape[2] == 4:
        return np.ascontiguousarray(pixels[..., :3]), np.ascontiguousarray(pixels[..., 3])
    return pixels, None


def _join_alpha(rgb: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    return rgb if alpha is None else np.dstack([rgb, alpha])


# --- vectorize ------------------------------------------------------------------------


def vectorize(pixels: np.ndarray) -> str:
    """Trace the picture into SVG paths (vtracer), at the upload's own size."""
    height, width = pixels.shape[:2]
    small = codec.fit_within(pixels, TRACE_MAX_SIDE)
    mode = "RGBA" if small.shape[2] == 4 else "RGB"
    img = Image.fromarray(np.ascontiguousarray(small), mode)
    if mode == "RGB":
        # Smoothing away grain and reducing the colours give clean, few shapes, as a
        # vectorizer should; tracing noise would give thousands of specks.
        img = Image.fromarray(cv2.medianBlur(np.ascontiguousarray(small), 5))
        img = img.quantize(TRACE_COLORS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        img = img.convert("RGB")
    traced = vtracer.convert_pixels_to_svg(
        list(img.convert("RGBA").getdata()),
        img.size,
        colormode="color",
        hierarchical="stacked",
        mode="spline",
        filter_speckle=8,
        color_precision=6,
        layer_difference=16,
        path_precision=2,
    )
    traced_w, traced_h = img.size
    root = (
        f'<svg version="1.1" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {traced_w} {traced_h}">'
    )
    body = _SVG_ROOT.sub(root, traced, count=1)
    # Drop the XML declaration and generator comment: the answer is a bare SVG.
    return body[body.index("<svg") :]


# --- remove background ----------------------------------------------------------------


def _border_mask(shape: tuple[int, int], width: int) -> np.ndarray:
    mask = np.zeros(shape, bool)
    mask[:width, :] = mask[-width:, :] = True
    mask[:, :width] = mask[:, -width:] = True
    return mask


def foreground_alpha(pixels: np.ndarray) -> np.ndarray:
    """An alpha mask (0..255) of the subject: what is not background.

    The background is taken to be what touches the picture's border in colours seen
    on that border; that guess seeds grabCut on a reduced copy, whose answer is
    scaled back to full size with soft edges. An upload that already has
    transparency keeps it.
    """
    rgb, alpha_in = _split_alpha(pixels)
    height, width = rgb.shape[:2]
    small = codec.fit_within(rgb, SEGMENT_MAX_SIDE)
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).astype(np.float32)
    h, w = lab.shape[:2]
    border = _border_mask((h, w), max(2, min(h, w) // 50))
    # Distance of every pixel to the nearest of a few typical border colours.
    samples = lab[border]
    quantiles = np.linspace(0, len(samples) - 1, num=min(8, len(samples))).astype(int)
    order = np.argsort(samples[:, 0], kind="stable")
    references = samples[order][quantiles]
    distance = np.min(
        np.linalg.norm(lab[:, :, None, :] - references[None, None, :, :], axis=3), axis=2
    )
    if float(distance.max()) < 1.0:
        # One flat colour: all of it is background.
        return np.zeros((height, width), np.uint8)
    cutoff = max(float(threshold_otsu(distance)), 12.0)
    near = (distance < cutoff).astype(np.uint8)
    # Background = border-coloured regions connected to the border.
    count, labels = cv2.connectedComponents(near, connectivity=4)
    touching = np.unique(labels[border & (near == 1)])
    background = np.isin(labels, touching[touching > 0])
    init = np.where(background, cv2.GC_PR_BGD, cv2.GC_PR_FGD).astype(np.uint8)
    init[border] = cv2.GC_BGD
    mask = (~background).astype(np.uint8)
    if mask.any() and (init != cv2.GC_BGD).any():
        cv2.setRNGSeed(0x5EED)  # grabCut's k-means draws from OpenCV's RNG
        bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
        try:
            cv2.grabCut(small, init, None, bgd, fgd, 2, cv2.GC_INIT_WITH_MASK)
            refined = np.isin(init, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)
            if refined.any():
                mask = refined
        except cv2.error:
            pass  # keep the border-colour guess
    mask = cv2.morphologyEx(mask * 255, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    alpha = cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR)
    alpha = cv2.GaussianBlur(alpha, (0, 0), max(0.8, max(width, height) / 1000))
    if alpha_in is not None:
        alpha = np.minimum(alpha, alpha_in)
    return alpha


def remove_background(pixels: np.ndarray) -> np.ndarray:
    """The upload as RGBA, its background fully transparent."""
    rgb, _ = _split_alpha(pixels)
    return np.dstack([rgb, foreground_alpha(pixels)])


def replace_background(pixels: np.ndarray, alpha: np.ndarray, scene: np.ndarray) -> np.ndarray:
    """The subject, untouched where it is opaque, over a new background."""
    rgb, _ = _split_alpha(pixels)
    a = alpha.astype(np.float32)[..., None] / 255.0
    out = np.rint(rgb * a + scene * (1.0 - a)).astype(np.uint8)
    solid = alpha == 255
    out[solid] = rgb[solid]
    return out


# --- upscale --------------------------------------------------------------------------


def upscaled_size(width: int, height: int) -> tuple[int, int]:
    factor = min(
        UPSCALE_FACTOR,
        math.sqrt(UPSCALE_MAX_PIXELS / (width * height)),
        UPSCALE_MAX_SIDE / max(width, height),
    )
    return max(width + 1, round(width * factor)), max(height + 1, round(height * factor))


def upscale(pixels: np.ndarray, *, creative: bool, seed: int) -> np.ndarray:
    """Twice the size (within bounds), Lanczos-resampled and sharpened.

    Crisp upscale sharpens the edges there are (unsharp mask); creative upscale
    also invents fine texture where the picture has structure, so it adds detail a
    plain resize cannot have.
    """
    rgb, alpha = _split_alpha(pixels)
    height, width = rgb.shape[:2]
    size = upscaled_size(width, height)
    up = cv2.resize(rgb, size, interpolation=cv2.INTER_LANCZOS4)
    # Unsharp mask: up + 0.7 × (up − blurred), saturating in 8 bits.
    result = cv2.addWeighted(up, 1.7, cv2.GaussianBlur(up, (0, 0), 1.0), -0.7, 0)
    if creative:
        result = cv2.addWeighted(result, 1.5, cv2.GaussianBlur(up, (0, 0), 3.0), -0.5, 0)
        gray = cv2.cvtColor(up, cv2.COLOR_RGB2GRAY)
        edges = cv2.GaussianBlur(cv2.Canny(gray, 40, 120), (0, 0), 3.0).astype(np.float32)
        weight = 0.3 + edges / max(1.0, float(edges.max()))
        texture = np.random.default_rng(seed).normal(0, 6.0, up.shape[:2]).astype(np.float32)
        result = np.clip(result + (texture * weight)[..., None], 0, 255).astype(np.uint8)
    if alpha is not None:
        alpha = cv2.resize(alpha, size, interpolation=cv2.INTER_LANCZOS4)
    return _join_alpha(result, alpha)


# --- erase, inpaint, backgrounds ------------------------------------------------------


def _inpaint(channels: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """cv2.inpaint (Telea), on a reduced copy when the hole is large."""
    mask8 = mask.astype(np.uint8) * 255
    masked = int(mask.sum())
    if masked <= ERASE_MAX_MASKED:
        return cv2.inpaint(channels, mask8, 5, cv2.INPAINT_TELEA)
    height, width = mask.shape
    scale = math.sqrt(ERASE_MAX_MASKED / masked)
    size = (max(8, round(width * scale)), max(8, round(height * scale)))
    small = cv2.resize(channels, size, interpolation=cv2.INTER_AREA)
    small_mask = (cv2.resize(mask8, size, interpolation=cv2.INTER_AREA) > 0).astype(np.uint8) * 255
    filled = cv2.inpaint(small, small_mask, 5, cv2.INPAINT_TELEA)
    return cv2.resize(filled, (width, height), interpolation=cv2.INTER_CUBIC)


def erase_region(pixels: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Fill the masked pixels from their surroundings; every other pixel is kept."""
    rgb, alpha = _split_alpha(pixels)
    out = rgb.copy()
    if mask.all():
        # Nothing is left to fill from: the best guess of the scene is its mean colour.
        out[:] = np.rint(rgb.reshape(-1, 3).mean(axis=0)).astype(np.uint8)
        return _join_alpha(out, alpha)
    out[mask] = _inpaint(rgb, mask)[mask]
    if alpha is not None:
        alpha = alpha.copy()
        alpha[mask] = _inpaint(alpha, mask)[mask]
    return _join_alpha(out, alpha)


def fill_masked(pixels: np.ndarray, mask: np.ndarray, scene: np.ndarray) -> np.ndarray:
    """Masked pixels from `scene`, the rest exactly as uploaded (inpaint, backgrounds)."""
    rgb, alpha = _split_alpha(pixels)
    out = rgb.copy()
    out[mask] = scene[mask]
    if alpha is not None:
        alpha = alpha.copy()
        alpha[mask] = 255
    return _join_alpha(out, alpha)


def surrounding_color(pixels: np.ndarray, mask: np.ndarray) -> RGB:
    """The mean colour of a ring just outside the mask, to blend new content in."""
    rgb, _ = _split_alpha(pixels)
    ring = cv2.dilate(mask.astype(np.uint8), np.ones((15, 15), np.uint8)).astype(bool) & ~mask
    source = rgb[ring] if ring.any() else rgb.reshape(-1, 3)
    return tuple(int(round(v)) for v in source.mean(axis=0))  # type: ignore[return-value]


# --- image to image, variations ---------------------------------------------------------


def blend(pixels: np.ndarray, scene: np.ndarray, strength: float) -> np.ndarray:
    """Depart from the upload in proportion to `strength`: 0 keeps it, 1 replaces it."""
    rgb, alpha = _split_alpha(pixels)
    out = np.rint(rgb * (1.0 - strength) + scene.astype(np.float32) * strength)
    return _join_alpha(out.astype(np.uint8), alpha)


def cover(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale and centre-crop to exactly `width` × `height`."""
    h, w = pixels.shape[:2]
    scale = max(width / w, height / h)
    size = (max(width, round(w * scale)), max(height, round(h * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    scaled = cv2.resize(pixels, size, interpolation=interpolation)
    x0, y0 = (size[0] - width) // 2, (size[1] - height) // 2
    return np.ascontiguousarray(scaled[y0 : y0 + height, x0 : x0 + width])


def variate(pixels: np.ndarray, width: int, height: int, seed: int) -> np.ndarray:
    """A variation of the upload at the requested size: shifted hues, a new framing."""
    rng = np.random.default_rng(seed)
    base = cover(codec.to_rgb(pixels), width, height)
    hsv = cv2.cvtColor(base, cv2.COLOR_RGB2HSV)
    hue_shift = int(rng.integers(12, 168))  # OpenCV hues run 0..179
    hsv[..., 0] = ((hsv[..., 0].astype(np.int16) + hue_shift) % 180).astype(np.uint8)
    saturation = hsv[..., 1].astype(np.float32) * float(rng.uniform(0.85, 1.2))
    hsv[..., 1] = np.clip(saturation, 0, 255).astype(np.uint8)
    shifted = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    angle = float(rng.uniform(-8, 8))
    scale = float(rng.uniform(1.02, 1.15))
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, scale)
    matrix[:, 2] += rng.uniform(-0.04, 0.04, 2) * (width, height)
    return cv2.warpAffine(shifted, matrix, (width, height), borderMode=cv2.BORDER_REFLECT)


# --- style references -----------------------------------------------------------------


def dominant_colors(images: Sequence[np.ndarray], count: int = 5) -> list[RGB]:
    """The main colours of a set of pictures, most common first (median cut)."""
    samples = []
    for pixels in images:
        small = codec.fit_within(pixels, 96)
        if small.shape[2] == 4:
            opaque = small[..., 3] > 127
            samples.append(small[..., :3][opaque])
        else:
            samples.append(small.reshape(-1, 3))
    stacked = np.concatenate(samples) if samples else np.zeros((0, 3), np.uint8)
    if len(stacked) == 0:
        return [(128, 128, 128)]
    strip = Image.fromarray(stacked.reshape(1, -1, 3).astype(np.uint8), "RGB")
    quantized = strip.quantize(count + 3, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    palette = quantized.getpalette() or []
    counts = sorted(quantized.getcolors() or [], key=lambda c: (-c[0], c[1]))
    colors: list[RGB] = []
    for _, index in counts:
        color = tuple(palette[index * 3 : index * 3 + 3])
        if all(sum((a - b) ** 2 for a, b in zip(color, c, strict=True)) > 24**2 for c in colors):
            colors.append(color)  # type: ignore[arg-type]
        if len(colors) == count:
            break
    return colors

"""What each endpoint computes, once the request has passed every rule.

`run` is synchronous and CPU-bound; the API calls it in a worker thread. A job's
seed is a digest of everything that decides the picture (prompt, style, palette,
controls, strength, `random_seed`, the uploaded bytes) and nothing that does not
(the response format, the image id, the number of images asked for, the output
size or format), so the same request with the same `random_seed` always answers the
same bytes, and the first of n images is the image a request for one would have given.

Like the real API, a generative call without a `random_seed` draws a fresh one, so
asking again gives new pictures; the deterministic tools (vectorize, remove
background, crisp upscale, erase region) answer the same bytes for the same input.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np

from recraft_studio.recraft import catalog
from recraft_studio.recraft.catalog import Op

from . import codec, drawing, editing
from .codec import Output

RGB = tuple[int, int, int]

#: Operations whose pictures are invented, and so vary between calls without a seed.
_GENERATIVE = frozenset(
    {
        Op.GENERATE,
        Op.IMAGE_TO_IMAGE,
        Op.INPAINT,
        Op.REPLACE_BACKGROUND,
        Op.GENERATE_BACKGROUND,
        Op.CREATIVE_UPSCALE,
        Op.VARIATE,
    }
)

#: Parameters that decide what is drawn; the rest only decide how it is delivered.
_SCENE_PARAMS = (
    "prompt",
    "negative_prompt",
    "style",
    "substyle",
    "model",
    "strength",
    "random_seed",
)


@dataclass(frozen=True)
class Job:
    """A validated call: its operation, typed parameters and uploads by docs name."""

    op: Op
    params: Mapping[str, Any]
    uploads: Mapping[str, bytes] = field(default_factory=dict)
    #: The base style in force: `style`, a style_id's base, or the default.
    base_style: str = catalog.DEFAULT_STYLE
    #: Colours of the style named by style_id (or of style_references), if any.
    style_palette: tuple[RGB, ...] = ()

    @property
    def n(self) -> int:
        return self.params.get("n") or 1

    @property
    def vector(self) -> bool:
        return catalog.is_vector_style(self.base_style)

    @cached_property
    def seed(self) -> int:
        """The digest every image of the call is drawn from (computed once: it hashes
        the uploads)."""
        controls = dict(self.params.get("controls") or {})
        controls.pop("no_text", None)  # text is drawn over the picture, not into it
        decisive = {
            "op": str(self.op),
            "params": {k: self.params.get(k) for k in _SCENE_PARAMS},
            "controls": controls,
            "base_style": self.base_style,
            "palette": [list(c) for c in self.style_palette],
            "uploads": {
                name: hashlib.sha256(data).hexdigest()
                for name, data in sorted(self.uploads.items())
            },
        }
        if self.op in _GENERATIVE and self.params.get("random_seed") is None:
            decisive["unseeded"] = secrets.token_hex(8)
        canonical = json.dumps(decisive, sort_keys=True, separators=(",", ":"), default=str)
        return int.from_bytes(hashlib.sha256(canonical.encode()).digest()[:8], "big")


def image_seed(seed: int, index: int) -> int:
    """The seed of the index-th image of a call: distinct images, reproducibly."""
    digest = hashlib.sha256(f"{seed}:{index}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _rgb(color: Mapping[str, Any]) -> RGB:
    r, g, b = color["rgb"]
    return (int(r), int(g), int(b))


def scene_for(
    job: Job, width: int, height: int, seed: int, *, with_text: bool = False
) -> drawing.Scene:
    """The picture a prompt-taking call asks for, at the given size."""
    controls = job.params.get("controls") or {}
    palette, background = drawing.derived_palette(job.seed)
    strict = False
    if job.style_palette:
        palette, background, strict = job.style_palette, job.style_palette[0], True
    if controls.get("colors"):
        palette = tuple(_rgb(c) for c in controls["colors"])
        background, strict = palette[0], True
    if controls.get("background_color"):
        background = _rgb(controls["background_color"])
    level = controls.get("artistic_level")
    text_layout: tuple = ()
    if with_text and not controls.get("no_text"):
        text_layout = tuple(job.params.get("text_layout") or ())
    return drawing.Scene(
        width=width,
        height=height,
        style=job.base_style,
        substyle=job.params.get("substyle") or None,
        palette=tuple(palette),
        background=background,
        seed=seed,
        artistic_level=drawing.DEFAULT_ARTISTIC_LEVEL if level is None else level,
        strict_palette=strict,
        text_layout=text_layout,
    )


def _raster(job: Job, pixels: np.ndarray, *, exact: bool = False) -> Output:
    return codec.encode(pixels, job.params.get("image_format"), exact=exact)


def _styled(job: Job, pixels: np.ndarray, *, exact: bool = False) -> Output:
    """A transform's result: traced to SVG when the style is a vector one."""
    if job.vector:
        return codec.svg_output(editing.vectorize(pixels))
    return _raster(job, pixels, exact=exact)


def _each(job: Job) -> Sequence[int]:
    return [image_seed(job.seed, i) for i in range(job.n)]


# --- per operation --------------------------------------------------------------------


def _generate(job: Job) -> list[Output]:
    width, height = catalog.parse_size(job.params.get("size") or catalog.DEFAULT_SIZE)
    outputs = []
    for seed in _each(job):
        scene = scene_for(job, width, height, seed, with_text=True)
        if job.vector:
            outputs.append(codec.svg_output(drawing.render_svg(scene)))
        else:
            outputs.append(_raster(job, drawing.render_raster(scene)))
    return outputs


def _image_to_image(job: Job, pixels: np.ndarray) -> list[Output]:
    height, width = pixels.shape[:2]
    strength = float(job.params["strength"])
    outputs = []
    for seed in _each(job):
        scene = drawing.render_raster(scene_for(job, width, height, seed))
        outputs.append(_styled(job, editing.blend(pixels, scene, strength)))
    return outputs


def _backdrop(scene: drawing.Scene) -> drawing.Scene:
    """A background in the scene's style; with no style asked for, a landscape."""
    return replace(scene, style="realistic_image") if scene.style == "any" else scene


def _fill(job: Job, pixels: np.ndarray, mask: np.ndarray, *, background: bool) -> list[Output]:
    if not mask.any():
        # An all-black mask asks for no change; each output is the upload as it was.
        return [_styled(job, pixels, exact=True) for _ in range(job.n)]
    height, width = pixels.shape[:2]
    around = editing.surrounding_color(pixels, mask)
    outputs = []
    rows, cols = np.nonzero(mask)
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    for seed in _each(job):
        if background:
            content = drawing.render_raster(_backdrop(scene_for(job, width, height, seed)))
        else:
            # What the prompt asks for is drawn to fit the hole, on the colour around
            # it when no palette is imposed, so it sits in the picture.
            scene = scene_for(job, int(right - left), int(bottom - top), seed)
            if not scene.strict_palette:
                scene = replace(scene, background=around)
            content = np.empty((height, width, 3), np.uint8)
            content[:] = scene.background
            content[top:bottom, left:right] = drawing.render_raster(scene)
        filled = editing.fill_masked(pixels, mask, content)
        outputs.append(_styled(job, filled, exact=True))
    return outputs


def _replace_background(job: Job, pixels: np.ndarray) -> list[Output]:
    height, width = pixels.shape[:2]
    alpha = editing.foreground_alpha(pixels)
    outputs = []
    for seed in _each(job):
        scene = _backdrop(scene_for(job, width, height, seed))
        new = editing.replace_background(pixels, alpha, drawing.render_raster(scene))
        outputs.append(_styled(job, new, exact=True))
    return outputs


def _variate(job: Job, pixels: np.ndarray) -> list[Output]:
    width, height = catalog.parse_size(job.params["size"])
    return [_raster(job, editing.variate(pixels, width, height, seed)) for seed in _each(job)]


def run(job: Job) -> list[Output]:
    """The images a validated call answers, in order."""
    if job.op is Op.GENERATE:
        return _generate(job)
    image = job.uploads.get("image", job.uploads.get("file"))
    pixels = codec.decode(image)
    mask = codec.decode_mask(job.uploads["mask"]) if "mask" in job.uploads else None
    match job.op:
        case Op.IMAGE_TO_IMAGE:
            return _image_to_image(job, pixels)
        case Op.INPAINT:
            return _fill(job, pixels, mask, background=False)
        case Op.GENERATE_BACKGROUND:
            return _fill(job, pixels, mask, background=True)
        case Op.REPLACE_BACKGROUND:
            return _replace_background(job, pixels)
        case Op.VECTORIZE:
            return [codec.svg_output(editing.vectorize(pixels))]
        case Op.REMOVE_BACKGROUND:
            return [_raster(job, editing.remove_background(pixels), exact=True)]
        case Op.CRISP_UPSCALE:
            return [_raster(job, editing.upscale(pixels, creative=False, seed=job.seed))]
        case Op.CREATIVE_UPSCALE:
            return [_raster(job, editing.upscale(pixels, creative=True, seed=job.seed))]
        case Op.ERASE_REGION:
            return [_raster(job, editing.erase_region(pixels, mask), exact=True)]
        case Op.VARIATE:
            return _variate(job, pixels)
    raise ValueError(f"{job.op} produces no images")


def style_palette(references: Sequence[bytes]) -> tuple[RGB, ...]:
    """The colours a style keeps from its reference images."""
    return tuple(editing.dominant_colors([codec.decode(data) for data in references]))

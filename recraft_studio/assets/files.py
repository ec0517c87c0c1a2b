"""Image bytes in our storage: content-addressed keys, thumbnails, and what a file is.

Keys are derived from the SHA-256 of the bytes, so storing the same output twice
writes nothing new, and a retried job can never leave a second copy behind.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass

from defusedxml import ElementTree
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageOps, UnidentifiedImageError

THUMB_MAX_SIDE = 512

RASTER_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/svg+xml": "svg",
}


class NotAnImage(ValueError):
    """The bytes are neither a PNG, JPG, WEBP nor an SVG image."""


@dataclass(frozen=True)
class FileFacts:
    content_type: str
    width: int
    height: int
    size_bytes: int
    sha256: str

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]


_LENGTH = re.compile(r"^\s*([0-9.]+)\s*(px)?\s*$")


def _svg_size(data: bytes) -> tuple[int, int]:
    try:
        root = ElementTree.fromstring(data)
    except Exception as exc:  # defusedxml raises several types for hostile or broken XML
        raise NotAnImage(f"Not a readable SVG document ({exc.__class__.__name__}).")
    if not root.tag.endswith("svg"):
        raise NotAnImage("The XML document is not an SVG image.")
    width, height = root.get("width", ""), root.get("height", "")
    w, h = _LENGTH.match(width), _LENGTH.match(height)
    if w and h:
        return round(float(w.group(1))), round(float(h.group(1)))
    view_box = (root.get("viewBox") or "").replace(",", " ").split()
    if len(view_box) == 4:
        return round(float(view_box[2])), round(float(view_box[3]))
    return 0, 0


def looks_like_svg(data: bytes) -> bool:
    head = data[:512].lstrip().lower()
    return head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in data[:4096])


def inspect(data: bytes) -> FileFacts:
    """Type, size and hash of an image, read from its bytes."""
    digest = hashlib.sha256(data).hexdigest()
    if looks_like_svg(data):
        width, height = _svg_size(data)
        return FileFacts("image/svg+xml", width, height, len(data), digest)
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt, width, height = img.format, img.width, img.height
    except (UnidentifiedImageError, OSError) as exc:
        raise NotAnImage(str(exc))
    if fmt not in RASTER_TYPES:
        raise NotAnImage(f"{fmt} images are not supported.")
    return FileFacts(RASTER_TYPES[fmt], width, height, len(data), digest)


def _put(key: str, data: bytes) -> str:
    """Store `data` at exactly `key` unless the same content is already there."""
    if not default_storage.exists(key):
        saved = default_storage.save(key, ContentFile(data))
        if saved != key:  # a storage that renames instead of overwriting
            raise RuntimeError(f"Storage stored {key} as {saved}")
    return key


def store_original(data: bytes, facts: FileFacts) -> str:
    key = f"originals/{facts.sha256[:2]}/{facts.sha256}.{facts.extension}"
    return _put(key, data)


def store_input(data: bytes, facts: FileFacts) -> str:
    """Uploaded inputs (images and masks sent to the API) are kept for lineage."""
    key = f"inputs/{facts.sha256[:2]}/{facts.sha256}.{facts.extension}"
    return _put(key, data)


def store_pending(data: bytes) -> str:
    """An upload that was refused, kept for the fix the page offers; any format.

    Keyed by content like the rest, so offering the fix twice stores nothing new.
    """
    digest = hashlib.sha256(data).hexdigest()
    return _put(f"pending/{digest[:2]}/{digest}", data)


def store_thumbnail(data: bytes, facts: FileFacts, original_key: str) -> str:
    """A WEBP of at most 512 px a side; an SVG is its own thumbnail."""
    if facts.content_type == "image/svg+xml":
        return original_key
    key = f"thumbs/{facts.sha256[:2]}/{facts.sha256}.webp"
    if default_storage.exists(key):
        return key
    with Image.open(io.BytesIO(data)) as img:
        img.thumbnail((THUMB_MAX_SIDE, THUMB_MAX_SIDE))
        # Turned after shrinking (cheaper), as the EXIF orientation says, if it says.
        img = ImageOps.exif_transpose(img)
        if img.mode not in ("RGB", "RGBA"):
            img = img.convert("RGBA" if "A" in img.getbands() or img.mode == "P" else "RGB")
        out = io.BytesIO()
        img.save(out, "WEBP", quality=82, method=4)
    return _put(key, out.getvalue())


def read(key: str) -> bytes:
    with default_storage.open(key, "rb") as fh:
        return fh.read()


def pending_keys() -> list[str]:
    """Every refused upload kept under `pending/` (two levels: prefix, then digest)."""
    keys = []
    try:
        prefixes, _ = default_storage.listdir("pending")
    except FileNotFoundError:  # the local filesystem has no folder until the first one
        return []
    for prefix in prefixes:
        _, names = default_storage.listdir(f"pending/{prefix}")
        keys += [f"pending/{prefix}/{name}" for name in names]
    return keys


def modified_at(key: str):
    return default_storage.get_modified_time(key)


def delete(key: str) -> None:
    default_storage.delete(key)

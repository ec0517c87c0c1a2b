"""Reference images of brand styles in our storage, under content-addressed keys.

The key is the SHA-256 of the bytes (`styles/ab/<sha256>.<ext>`), as for assets:
the same reference uploaded for two styles is stored once, and storing it again
writes nothing. Pages show references through WEBP thumbnails (`thumbs/…`, shared
with assets), never the originals: a viewer's browser decodes a few hundred pixels
a side, not the megapixels of every reference.
"""

from __future__ import annotations

import hashlib

from recraft_studio.assets import files as asset_files
from recraft_studio.assets import images
from recraft_studio.assets.files import put_once
from recraft_studio.recraft import catalog
from recraft_studio.recraft.catalog import UploadLimits
from recraft_studio.recraft.validation import FieldError, ImageInfo, inspect_image

#: Each reference is checked like every other upload: the API documents only the
#: count and the total for styles, so the studio applies its tools' bounds (16 MP,
#: 4096 px a side) and takes anything from 32 px up.
REFERENCE_LIMITS = UploadLimits(
    max_bytes=catalog.STYLE_REFERENCES_MAX_BYTES,
    max_pixels=catalog.DEFAULT_LIMITS.max_pixels,
    max_side=catalog.DEFAULT_LIMITS.max_side,
    min_side=catalog.SMALL_TOOL_LIMITS.min_side,
)


def reference_prepare(data: bytes, *, number: int, field: str = "references") -> bytes:
    """One reference checked before anything is stored or sent, and turned upright.

    Raises `FieldError` naming the reference: past the bounds (read from the header,
    before decoding), damaged or truncated (decoded whole), or not an image.
    """
    try:
        inspect_image(data, limits=REFERENCE_LIMITS, field=field)
        data = images.upright(data, field=field)
        inspect_image(data, limits=REFERENCE_LIMITS, field=field)
        images.check_decodable(data, field=field)
    except FieldError as error:
        raise FieldError(field, f"Reference image {number}: {error.message}")
    return data


def reference_key(data: bytes, info: ImageInfo) -> tuple[str, str]:
    """(key, sha256) of a reference image."""
    digest = hashlib.sha256(data).hexdigest()
    return f"styles/{digest[:2]}/{digest}.{info.extension}", digest


def store_reference(data: bytes, info: ImageInfo) -> tuple[str, str]:
    """Raises `assets.files.StorageUnavailable` when the storage cannot be reached."""
    key, digest = reference_key(data, info)
    return put_once(key, data), digest


def store_reference_thumbnail(data: bytes, key: str) -> str:
    """The WEBP thumbnail pages show for a reference (decoded under the pixel guard)."""
    images.check_decodable(data, field="references")
    return asset_files.store_thumbnail(data, asset_files.inspect(data), key)

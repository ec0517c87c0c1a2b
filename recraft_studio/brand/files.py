"""Reference images of brand styles in our storage, under content-addressed keys.

The key is the SHA-256 of the bytes (`styles/ab/<sha256>.<ext>`), as for assets:
the same reference uploaded for two styles is stored once, and storing it again
writes nothing.
"""

from __future__ import annotations

import hashlib

from recraft_studio.assets.files import put_once
from recraft_studio.recraft.validation import ImageInfo


def reference_key(data: bytes, info: ImageInfo) -> tuple[str, str]:
    """(key, sha256) of a reference image."""
    digest = hashlib.sha256(data).hexdigest()
    return f"styles/{digest[:2]}/{digest}.{info.extension}", digest


def store_reference(data: bytes, info: ImageInfo) -> tuple[str, str]:
    """Raises `assets.files.StorageUnavailable` when the storage cannot be reached."""
    key, digest = reference_key(data, info)
    return put_once(key, data), digest

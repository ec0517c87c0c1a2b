"""Reference images of brand styles in our storage, under content-addressed keys.

The key is the SHA-256 of the bytes (`styles/ab/<sha256>.<ext>`), as for assets:
the same reference uploaded for two styles is stored once, and storing it again
writes nothing.
"""

from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from recraft_studio.recraft.validation import ImageInfo


def reference_key(data: bytes, info: ImageInfo) -> tuple[str, str]:
    """(key, sha256) of a reference image."""
    digest = hashlib.sha256(data).hexdigest()
    return f"styles/{digest[:2]}/{digest}.{info.extension}", digest


def store_reference(data: bytes, info: ImageInfo) -> tuple[str, str]:
    key, digest = reference_key(data, info)
    if not default_storage.exists(key):
        saved = default_storage.save(key, ContentFile(data))
        if saved != key:  # a storage that renames instead of overwriting
            raise RuntimeError(f"Storage stored {key} as {saved}")
    return key, digest

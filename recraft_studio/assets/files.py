"""Image bytes in our storage: content-addressed keys, thumbnails, and what a file is.

Keys are derived from the SHA-256 of the bytes, so storing the same output twice
writes nothing new, and a retried job can never leave a second copy behind.

Every function takes the image as bytes or as a path to a file (the worker spools
downloads to temporary files, so a 16 MP output is never held whole in memory).
A storage that cannot be reached raises `StorageUnavailable`, whose message names
no endpoint, bucket or key: it is shown to people.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from defusedxml import ElementTree
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Q
from PIL import Image, ImageOps, UnidentifiedImageError

logger = logging.getLogger(__name__)

THUMB_MAX_SIDE = 512

RASTER_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/svg+xml": "svg",
}

Source = bytes | Path


class NotAnImage(ValueError):
    """The bytes are neither a PNG, JPG, WEBP nor an SVG image."""


class StorageUnavailable(Exception):
    """The image storage could not be reached, or failed in a way that may pass."""

    def __init__(self, message: str = "The image storage could not be reached."):
        super().__init__(message)
        self.message = message


def _is_outage(exc: BaseException) -> bool:
    """Whether `exc` says the storage is away or failing, rather than a bug of ours.

    botocore's connection errors are not `OSError`s, and an S3 server answering 5xx
    (or "slow down") arrives as a `ClientError`; all of them may pass.
    """
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover (boto3 is a dependency)
        return isinstance(exc, OSError)
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return status >= 500 or error.get("Code") in {
            "SlowDown",
            "ServiceUnavailable",
            "InternalError",
            "RequestTimeout",
            "RequestTimeTooSkewed",
        }
    return isinstance(exc, BotoCoreError | OSError)


@contextlib.contextmanager
def storage_errors():
    """Turn the storage's own outage errors into `StorageUnavailable`."""
    try:
        yield
    except StorageUnavailable:
        raise
    except FileNotFoundError:
        raise
    except Exception as exc:
        if _is_outage(exc):
            logger.warning("Storage is unavailable: %s", exc)
            raise StorageUnavailable() from exc
        raise


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


@contextlib.contextmanager
def _opened(source: Source):
    if isinstance(source, bytes | bytearray):
        yield io.BytesIO(source)
    else:
        with open(source, "rb") as fh:
            yield fh


def _digest(source: Source) -> tuple[str, int]:
    if isinstance(source, bytes | bytearray):
        return hashlib.sha256(source).hexdigest(), len(source)
    digest, size = hashlib.sha256(), 0
    with open(source, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _head(source: Source) -> bytes:
    with _opened(source) as fh:
        return fh.read(4096)


def inspect(source: Source) -> FileFacts:
    """Type, size and hash of an image, read from its bytes (headers only for rasters)."""
    digest, size = _digest(source)
    if looks_like_svg(_head(source)):
        with _opened(source) as fh:
            width, height = _svg_size(fh.read())
        return FileFacts("image/svg+xml", width, height, size, digest)
    try:
        with _opened(source) as fh, Image.open(fh) as img:
            fmt, width, height = img.format, img.width, img.height
    except (UnidentifiedImageError, OSError) as exc:
        raise NotAnImage(str(exc))
    if fmt not in RASTER_TYPES:
        raise NotAnImage(f"{fmt} images are not supported.")
    return FileFacts(RASTER_TYPES[fmt], width, height, size, digest)


def put_once(key: str, source: Source) -> str:
    """Store `source` at exactly `key` unless the same content is already there."""
    with storage_errors():
        if default_storage.exists(key):
            return key
        if isinstance(source, bytes | bytearray):
            saved = default_storage.save(key, ContentFile(source))
        else:
            with open(source, "rb") as fh:
                saved = default_storage.save(key, File(fh, name=os.path.basename(key)))
    if saved != key:  # a storage that renames instead of overwriting
        raise RuntimeError(f"Storage stored {key} as {saved}")
    return key


def original_key(facts: FileFacts) -> str:
    return f"originals/{facts.sha256[:2]}/{facts.sha256}.{facts.extension}"


def thumbnail_key(facts: FileFacts) -> str:
    if facts.content_type == "image/svg+xml":
        return original_key(facts)
    return f"thumbs/{facts.sha256[:2]}/{facts.sha256}.webp"


def store_original(source: Source, facts: FileFacts) -> str:
    return put_once(original_key(facts), source)


def store_input(source: Source, facts: FileFacts) -> str:
    """Uploaded inputs (images and masks sent to the API) are kept for lineage."""
    key = f"inputs/{facts.sha256[:2]}/{facts.sha256}.{facts.extension}"
    return put_once(key, source)


def store_pending(data: bytes) -> str:
    """An upload that was refused, kept for the fix the page offers; any format.

    Keyed by content like the rest, so offering the fix twice stores nothing new.
    """
    digest = hashlib.sha256(data).hexdigest()
    return put_once(f"pending/{digest[:2]}/{digest}", data)


def thumbnail_bytes(source: Source) -> bytes:
    """A WEBP of at most 512 px a side, decoded at reduced size where the format allows
    (JPEG draft mode, then a box reduce to the nearest whole factor: half the CPU of
    a gap of 2 at 1024 px, and no visible difference at 512), and encoded with a fast
    method."""
    with _opened(source) as fh, Image.open(fh) as img:
        img.draft("RGB", (THUMB_MAX_SIDE * 2, THUMB_MAX_SIDE * 2))
        img.thumbnail((THUMB_MAX_SIDE, THUMB_MAX_SIDE), reducing_gap=1.0)
        # Turned after shrinking (cheaper), as the EXIF orientation says, if it says.
        img = ImageOps.exif_transpose(img)
        if img.mode not in ("RGB", "RGBA"):
            img = img.convert("RGBA" if "A" in img.getbands() or img.mode == "P" else "RGB")
        out = io.BytesIO()
        img.save(out, "WEBP", quality=82, method=2)
    return out.getvalue()


def store_thumbnail(source: Source, facts: FileFacts, original: str) -> str:
    """The thumbnail's key, made and stored unless it is there; an SVG is its own."""
    if facts.content_type == "image/svg+xml":
        return original
    key = thumbnail_key(facts)
    with storage_errors():
        if default_storage.exists(key):
            return key
    return put_once(key, thumbnail_bytes(source))


def rendition_key(sha256: str, *, width: int, extension: str) -> str:
    """Where a download in another format or size of the image `sha256` is kept."""
    return f"renditions/{sha256[:2]}/{sha256}-{width}w.{extension}"


def store_rendition(key: str, data: bytes) -> str:
    return put_once(key, data)


def renditions_of(key: str) -> list[str]:
    """The stored renditions made from the original at `key` (none for other keys).

    Renditions are a cache named by the original's digest and the width asked for, so
    they are found by listing the digest's folder rather than by a row.
    """
    if not key.startswith("originals/"):
        return []
    sha256 = key.rsplit("/", 1)[-1].split(".", 1)[0]
    folder = f"renditions/{sha256[:2]}"
    with storage_errors():
        try:
            _, names = default_storage.listdir(folder)
        except FileNotFoundError:
            return []
    return [f"{folder}/{name}" for name in names if name.startswith(f"{sha256}-")]


def exists(key: str) -> bool:
    return default_storage.exists(key)


def read(key: str) -> bytes:
    with storage_errors(), default_storage.open(key, "rb") as fh:
        return fh.read()


def open_stored(key: str) -> IO[bytes]:
    with storage_errors():
        return default_storage.open(key, "rb")


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


#: Exports go to S3 in parts of this size (S3's smallest), one at a time: boto3's
#: default (8 MB parts, ten in flight on ten threads) holds ~80 MB per upload; this
#: holds one part and its checksum copy, whatever the size of the zip.
S3_UPLOAD_PART_BYTES = 5 * 1024 * 1024


def _s3_bucket():
    """The boto3 Bucket behind default_storage when it is django-storages' S3, else None.

    Our keys are the bucket's keys: the storage is configured without a location prefix.
    """
    return getattr(default_storage, "bucket", None)


def store_export(key: str, fileobj) -> int:
    """Store an export's zip from an open file, in chunks; its size in bytes.

    Unlike originals, the key is the export's own, so a rebuilt export replaces it.
    """
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    bucket = _s3_bucket()
    if bucket is not None:
        from boto3.s3.transfer import TransferConfig

        config = TransferConfig(
            multipart_threshold=S3_UPLOAD_PART_BYTES,
            multipart_chunksize=S3_UPLOAD_PART_BYTES,
            use_threads=False,
        )
        bucket.Object(key).upload_fileobj(
            fileobj, ExtraArgs={"ContentType": "application/zip"}, Config=config
        )
        return size
    from django.core.files import File

    if default_storage.exists(key):
        default_storage.delete(key)
    saved = default_storage.save(key, File(fileobj, name=key.rsplit("/", 1)[-1]))
    if saved != key:
        raise RuntimeError(f"Storage stored {key} as {saved}")
    return size


def open_stream(key: str):
    """The stored bytes as a file object to read in chunks (`read(n)`, `close()`).

    On S3 it is the object's body as it arrives: django-storages' own file would first
    copy the whole object into memory, which a large export must never do. A missing
    key raises FileNotFoundError, whatever the storage.
    """
    bucket = _s3_bucket()
    if bucket is None:
        return default_storage.open(key, "rb")
    from botocore.exceptions import ClientError

    try:
        return bucket.Object(key).get()["Body"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            raise FileNotFoundError(key) from exc
        raise


# --- shared keys ----------------------------------------------------------------------------


@contextlib.contextmanager
def key_lock(*keys: str):
    """Hold the keys against concurrent purges until the current transaction ends.

    Keys are content-addressed and shared: two images with the same bytes, a job's
    input, a brand style's reference may all name one key. Whoever deletes bytes
    takes this lock, checks no row names the key, and deletes; whoever starts to
    reference an existing key should store it and insert its row under the same lock
    in one transaction. On PostgreSQL it is a transaction-scoped advisory lock per
    key (taken in a fixed order, so two holders cannot deadlock); SQLite serialises
    every write transaction anyway.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("key_lock must be taken inside transaction.atomic().")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for key in sorted(set(keys)):
                cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])
    yield


def keys_in_use(keys) -> set[str]:
    """Which of `keys` any row still names: an image (in the trash or not), a job's
    inputs, a brand style's reference. Bytes behind these must stay."""
    from django.apps import apps

    keys = set(keys)
    if not keys:
        return set()
    Asset = apps.get_model("assets", "Asset")
    used: set[str] = set()
    for file_key, thumb_key in Asset.objects.filter(
        Q(file_key__in=keys) | Q(thumb_key__in=keys)
    ).values_list("file_key", "thumb_key"):
        used.update({file_key, thumb_key})
    Reference = apps.get_model("brand", "BrandStyleReference")
    used.update(Reference.objects.filter(file_key__in=keys).values_list("file_key", flat=True))
    used.update(_job_input_keys_among(keys))
    return used & keys


def _job_input_keys_among(keys: set[str]) -> set[str]:
    """Keys among `keys` that some job names in its `inputs` ({field: key})."""
    from django.apps import apps

    table = connection.ops.quote_name(apps.get_model("jobs", "Job")._meta.db_table)
    placeholders = ", ".join(["%s"] * len(keys))
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT DISTINCT e.value FROM {table} j, jsonb_each_text(j.inputs) e "  # noqa: S608
            f"WHERE j.inputs <> '{{}}'::jsonb AND e.value IN ({placeholders})"
        )
    else:
        sql = (
            f"SELECT DISTINCT e.value FROM {table} j, json_each(j.inputs) e "  # noqa: S608
            f"WHERE e.value IN ({placeholders})"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(keys))
        return {row[0] for row in cursor.fetchall()}

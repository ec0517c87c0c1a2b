"""Writes for the library: images a person brings in, and the refused ones kept for a fix."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from recraft_studio.audit.services import audit_record
from recraft_studio.recraft.validation import FieldError, inspect_image
from recraft_studio.workspaces.models import Membership, Project

from . import files, images, renditions
from .models import UPLOAD, Asset

# --- downloads ----------------------------------------------------------------------------


def rendition_get_or_make(*, asset: Asset, fmt: str, width: int) -> tuple[str, str]:
    """The storage key and content type of `asset` as `fmt` at `width` px, made once.

    The key is derived from the original's SHA-256 and the request, so a second
    download of the same rendition (by anyone, of any asset with the same bytes)
    reads it back instead of converting again. Raises `RenditionRefused`.
    """
    content_type = "image/svg+xml" if fmt == "svg" else renditions.RASTER_FORMATS[fmt][1]
    key = files.rendition_key(asset.sha256, width=width, extension=fmt)
    if not files.exists(key):
        data = renditions.render(
            files.read(asset.file_key),
            content_type=asset.content_type,
            size=(asset.width, asset.height),
            want=renditions.Request(format=fmt, width=width),
        )
        files.store_rendition(key, data)
    return key, content_type


# --- uploads ------------------------------------------------------------------------------

#: How long a refused upload is kept for the fix the page offers (scale down, convert).
PENDING_UPLOAD_MAX_AGE = 60 * 60
_PENDING_SALT = "assets.pending-upload"


@transaction.atomic
def asset_upload(*, membership: Membership, project: Project, data: bytes) -> Asset:
    """Keep an image a person brought in: an Asset with no job and no parent.

    It must fit at least one tool (`images.UPLOAD_LIMITS`); each tool checks its own,
    stricter limits when it is run. It must decode whole: every check runs before
    anything is stored, so a refused file leaves nothing behind. A photo's EXIF
    orientation is applied first, so it is stored, shown and sent upright.
    """
    if not membership.can_generate:
        raise PermissionDenied("Your role in this workspace cannot upload images.")
    if project.workspace_id != membership.workspace_id:
        raise PermissionDenied("The project belongs to another workspace.")
    inspect_image(data, limits=images.UPLOAD_LIMITS, field="file")
    data = images.upright(data, field="file")
    inspect_image(data, limits=images.UPLOAD_LIMITS, field="file")
    images.check_decodable(data, field="file")
    facts = files.inspect(data)
    file_key = files.store_original(data, facts)
    thumb_key = files.store_thumbnail(data, facts, file_key)
    asset = Asset.objects.create(
        workspace=membership.workspace,
        project=project,
        created_by=membership.user,
        operation=UPLOAD,
        file_key=file_key,
        thumb_key=thumb_key,
        content_type=facts.content_type,
        width=facts.width,
        height=facts.height,
        size_bytes=facts.size_bytes,
        sha256=facts.sha256,
    )
    audit_record(
        workspace=membership.workspace,
        project=project,
        actor=membership.user,
        verb="asset.uploaded",
        target=asset,
        data={"sha256": facts.sha256, "width": facts.width, "height": facts.height},
    )
    return asset


def upload_stash(*, membership: Membership, project: Project, data: bytes) -> str:
    """Keep a refused upload for a moment, so its fix needs no second upload.

    Returns a signed token naming the stored bytes, the workspace and the project; it
    is only honoured for them, and for `PENDING_UPLOAD_MAX_AGE` seconds.
    """
    key = files.store_pending(data)
    payload = {"k": key, "w": membership.workspace_id, "p": project.pk}
    return signing.dumps(payload, salt=_PENDING_SALT, compress=True)


def upload_unstash(*, membership: Membership, project: Project, token: str) -> bytes:
    """The bytes a token from `upload_stash` names, once; raise `FieldError` otherwise.

    An offer is used up by its first use (a Redis key set only if absent, so three
    clicks at once make one fix, not three), and the kept file is deleted with it.
    """
    try:
        payload = signing.loads(token, salt=_PENDING_SALT, max_age=PENDING_UPLOAD_MAX_AGE)
    except signing.BadSignature:
        raise FieldError("file", "That upload has expired; choose the file again.")
    if payload.get("w") != membership.workspace_id or payload.get("p") != project.pk:
        raise FieldError("file", "That upload belongs elsewhere; choose the file again.")
    used_key = "pending-upload-used:" + hashlib.sha256(token.encode()).hexdigest()
    if not cache.add(used_key, 1, timeout=PENDING_UPLOAD_MAX_AGE + 60):
        raise FieldError("file", "That fix was already applied once; choose the file again.")
    try:
        data = files.read(payload["k"])
    except (OSError, KeyError):
        raise FieldError("file", "That upload has expired; choose the file again.")
    files.delete(payload["k"])
    return data


def pending_uploads_sweep(*, older_than: timedelta | None = None) -> int:
    """Delete refused uploads kept for a fix once their offer has lapsed."""
    age = older_than or timedelta(seconds=PENDING_UPLOAD_MAX_AGE)
    cutoff = timezone.now() - age
    removed = 0
    for key in files.pending_keys():
        if files.modified_at(key) < cutoff:
            files.delete(key)
            removed += 1
    return removed

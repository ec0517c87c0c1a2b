"""Writes of the brand kit: brand styles (made by the API) and palettes.

Owners and brand managers change the kit; everyone else only uses it. Every change
leaves an audit event naming who made it; creating a style records what the API
charged for it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from recraft_studio.assets import files as asset_files
from recraft_studio.assets.files import StorageUnavailable
from recraft_studio.audit.services import audit_record
from recraft_studio.recraft.catalog import Op
from recraft_studio.recraft.errors import (
    RecraftAuthError,
    RecraftBadRequest,
    RecraftError,
    RecraftInsufficientCredits,
    RecraftNotFound,
    RecraftRateLimited,
)
from recraft_studio.recraft.validation import (
    FieldError,
    RequestInvalid,
    check_controls,
    check_style_base,
    check_style_references,
)
from recraft_studio.workspaces.models import Membership
from recraft_studio.workspaces.selectors import recraft_client

from . import files, selectors
from .models import PALETTE_MAX_COLORS, BrandStyle, BrandStyleReference, Palette

logger = logging.getLogger(__name__)


class BrandApiError(Exception):
    """The API refused or failed a brand-kit call; `message` says what a person can do.

    `field` is the form field the API blamed, when it blamed one.
    """

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


#: The API's names for the fields of `POST /styles`, as the form calls them.
_FORM_FIELD = {
    "style": "base_style",
    "file": "references",
    "files": "references",
    "images": "references",
}


def describe_api_error(exc: RecraftError, *, doing: str) -> BrandApiError:
    """A sentence about what went wrong `doing` something, keeping the API's words."""
    if isinstance(exc, RecraftInsufficientCredits):
        message = f"The Recraft account has run out of API units, so {doing} failed: {exc.message}"
    elif isinstance(exc, RecraftAuthError):
        message = (
            f"The Recraft API did not accept this workspace's API token ({exc.message}). "
            "An owner can set the token in the workspace settings."
        )
    elif isinstance(exc, RecraftBadRequest):
        message = f"The Recraft API refused the request: {exc.message}"
    elif isinstance(exc, RecraftRateLimited):
        message = (
            "The Recraft API is busy (rate limit). Nothing was charged; try again in a minute."
        )
    elif exc.transient:
        message = (
            f"The Recraft API could not be reached or failed ({exc}), so {doing} did not "
            "happen. Try again shortly."
        )
    else:
        message = f"The Recraft API failed: {exc}"
    field = exc.field or ""
    if field.startswith("file"):
        field = "file"
    return BrandApiError(message, field=_FORM_FIELD.get(field))


def _require_brand_manager(membership: Membership, workspace_id: int | None = None) -> None:
    if not membership.can_manage_brand:
        raise PermissionDenied("Only owners and brand managers change the brand kit.")
    if workspace_id is not None and workspace_id != membership.workspace_id:
        raise PermissionDenied("That belongs to another workspace.")


def _check_name(name: str, *, taken: bool) -> str:
    name = (name or "").strip()
    if not name:
        raise FieldError("name", "Give it a name.")
    if taken:
        raise FieldError("name", f"This workspace already has one named {name!r}.")
    return name


# --- brand styles ------------------------------------------------------------------------


def brand_style_create(
    *, membership: Membership, name: str, base_style: str, references: Sequence[bytes]
) -> BrandStyle:
    """Ask the API for a style made from 1–5 reference images; the asking is a job.

    Every rule is checked before anything is queued: a refused upload costs nothing.
    The references are stored first (content-addressed, so a retry reuses them);
    then, in one transaction, the style's row (without a `style_id` until the API
    gives one), its references and the job that will call `POST /styles`, which
    checks the budget under the same lock as every other job. The page follows the
    job; `brand_style_created` finishes the row when the API has answered.
    Raises `FieldError` for bad input, an outage of storage or a budget with no room.
    """
    from recraft_studio.jobs.services import STORAGE_DOWN, job_submit

    _require_brand_manager(membership)
    workspace = membership.workspace
    name = _check_name(name, taken=selectors.style_name_taken(workspace=workspace, name=name or ""))
    errors = check_style_base(base_style, field="base_style")
    if errors:
        raise errors[0]
    references = [
        files.reference_prepare(data, number=i) for i, data in enumerate(references, start=1)
    ]
    infos = check_style_references(list(references), field="references")
    try:
        stored = [
            files.store_reference(data, info) for data, info in zip(references, infos, strict=True)
        ]
        thumbs = [
            files.store_reference_thumbnail(data, key)
            for data, (key, _) in zip(references, stored, strict=True)
        ]
    except StorageUnavailable:
        raise FieldError("references", STORAGE_DOWN)
    try:
        with transaction.atomic():
            style = BrandStyle.objects.create(
                workspace=workspace, name=name, base_style=base_style, created_by=membership.user
            )
            BrandStyleReference.objects.bulk_create(
                BrandStyleReference(
                    style=style,
                    position=position,
                    file_key=key,
                    thumb_key=thumb,
                    content_type=info.mime_type,
                    width=info.width,
                    height=info.height,
                    size_bytes=info.size_bytes,
                    sha256=digest,
                )
                for position, ((key, digest), info, thumb) in enumerate(
                    zip(stored, infos, thumbs, strict=True)
                )
            )
            job_submit(
                membership=membership,
                project=None,
                operation=Op.CREATE_STYLE,
                params={"style": base_style},
                input_keys={f"file{i}": key for i, (key, _) in enumerate(stored, start=1)},
                brand_style=style,
            )
    except RequestInvalid as exc:
        raise exc.errors[0]
    except IntegrityError:
        if selectors.style_name_taken(workspace=workspace, name=name):
            raise FieldError("name", f"This workspace already has one named {name!r}.")
        raise
    return style


@transaction.atomic
def brand_style_created(*, job, style_id: str) -> BrandStyle | None:
    """Finish a style's row with the id the API gave it (the job's last step).

    Safe to repeat. If the row was deleted while the API was making the style, the
    style is deleted from the API too, so nothing is left there unknown to the studio.
    """
    style = BrandStyle.objects.select_for_update().filter(pk=job.brand_style_id).first()
    if style is None:
        if style_id:
            _delete_on_api_quietly(job.workspace, style_id)
        return None
    if style.style_id:
        return style
    style.style_id = style_id
    style.cost = job.actual_cost or 0
    style.save(update_fields=["style_id", "cost"])
    audit_record(
        workspace=job.workspace,
        actor=job.created_by,
        verb="brand_style.created",
        target=style,
        data={
            "name": style.name,
            "base_style": style.base_style,
            "style_id": str(style_id),
            "references": style.references.count(),
            "charged": job.actual_cost,
        },
    )
    return style


def reference_thumbnail(reference: BrandStyleReference) -> str:
    """The reference's thumbnail key, made now for a reference kept before thumbnails.

    Raises `FieldError` when the original is past the pixel guard or damaged: such a
    reference has no preview.
    """
    if reference.thumb_key:
        return reference.thumb_key
    data = asset_files.read(reference.file_key)
    key = files.store_reference_thumbnail(data, reference.file_key)
    BrandStyleReference.objects.filter(pk=reference.pk).update(thumb_key=key)
    reference.thumb_key = key
    return key


def _delete_on_api_quietly(workspace, style_id: str) -> None:
    try:
        with recraft_client(workspace) as client:
            client.delete_style(style_id)
    except RecraftError:
        logger.warning("Could not delete the orphaned style %s from the API", style_id)


@transaction.atomic
def brand_style_rename(*, membership: Membership, style: BrandStyle, name: str) -> BrandStyle:
    _require_brand_manager(membership, style.workspace_id)
    name = _check_name(
        name,
        taken=selectors.style_name_taken(
            workspace=membership.workspace, name=name or "", exclude_pk=style.pk
        ),
    )
    style = BrandStyle.objects.select_for_update().get(pk=style.pk)
    previous = style.name
    if previous != name:
        style.name = name
        style.save(update_fields=["name"])
        audit_record(
            workspace=membership.workspace,
            actor=membership.user,
            verb="brand_style.renamed",
            target=style,
            data={"from": previous, "to": name},
        )
    return style


@transaction.atomic
def brand_style_archive(
    *, membership: Membership, style: BrandStyle, archived: bool = True
) -> BrandStyle:
    """Hide a style from the forms (or show it again); it and its images stay."""
    _require_brand_manager(membership, style.workspace_id)
    style = BrandStyle.objects.select_for_update().get(pk=style.pk)
    if style.is_archived != archived:
        style.archived_at = timezone.now() if archived else None
        style.save(update_fields=["archived_at"])
        audit_record(
            workspace=membership.workspace,
            actor=membership.user,
            verb="brand_style.archived" if archived else "brand_style.unarchived",
            target=style,
            data={"name": style.name},
        )
    return style


def brand_style_delete(*, membership: Membership, style: BrandStyle) -> None:
    """Delete a style on the API, then here; a style the API no longer has is gone.

    Images made with it stay; they just no longer point to it. When the API cannot
    be reached nothing is deleted, so the two never disagree about a live style.
    """
    _require_brand_manager(membership, style.workspace_id)
    if style.style_id is None:
        _pending_style_delete(membership, style)
        return
    with recraft_client(style.workspace) as client:
        try:
            client.delete_style(str(style.style_id))
        except RecraftNotFound:
            logger.info("Style %s was already gone from the API", style.style_id)
        except RecraftError as exc:
            raise describe_api_error(exc, doing="deleting the style")
    with transaction.atomic():
        audit_record(
            workspace=membership.workspace,
            actor=membership.user,
            verb="brand_style.deleted",
            target=style,
            data={"name": style.name, "style_id": str(style.style_id)},
        )
        BrandStyle.objects.filter(pk=style.pk).delete()


@transaction.atomic
def _pending_style_delete(membership: Membership, style: BrandStyle) -> None:
    """A style the API has not made (yet): withdraw its job if it has not been sent.

    If the call is already on its way, the row goes anyway; when the answer comes,
    `brand_style_created` deletes the new style from the API again."""
    from recraft_studio.jobs.services import job_withdraw

    for job in style.jobs.exclude(status__in=["done", "failed", "canceled"]):
        job_withdraw(job=job, actor=membership.user)
    audit_record(
        workspace=membership.workspace,
        actor=membership.user,
        verb="brand_style.deleted",
        target=style,
        data={"name": style.name, "style_id": ""},
    )
    BrandStyle.objects.filter(pk=style.pk).delete()


# --- palettes ----------------------------------------------------------------------------


def _check_palette(colors, background) -> tuple[list[list[int]], list[int] | None]:
    colors = [list(rgb) for rgb in colors]
    background = list(background) if background else None
    if not colors:
        raise FieldError("colors", "Add at least one colour.")
    if len(colors) > PALETTE_MAX_COLORS:
        raise FieldError("colors", f"A palette holds at most {PALETTE_MAX_COLORS} colours.")
    # The very rules the API applies to `controls`, so a saved palette is always sendable.
    controls = {"colors": [{"rgb": rgb} for rgb in colors]}
    if background:
        controls["background_color"] = {"rgb": background}
    errors = check_controls(controls)
    if errors:
        raise FieldError(
            "background" if "background" in errors[0].field else "colors", errors[0].message
        )
    return colors, background


def _palette_data(palette: Palette) -> dict:
    return {
        "name": palette.name,
        "colors": palette.hex_colors,
        "background": palette.hex_background,
    }


@transaction.atomic
def palette_create(*, membership: Membership, name: str, colors, background=None) -> Palette:
    _require_brand_manager(membership)
    name = _check_name(
        name, taken=selectors.palette_name_taken(workspace=membership.workspace, name=name or "")
    )
    colors, background = _check_palette(colors, background)
    palette = Palette.objects.create(
        workspace=membership.workspace,
        name=name,
        colors=colors,
        background=background,
        created_by=membership.user,
    )
    audit_record(
        workspace=membership.workspace,
        actor=membership.user,
        verb="palette.created",
        target=palette,
        data=_palette_data(palette),
    )
    return palette


@transaction.atomic
def palette_update(
    *, membership: Membership, palette: Palette, name: str, colors, background=None
) -> Palette:
    _require_brand_manager(membership, palette.workspace_id)
    name = _check_name(
        name,
        taken=selectors.palette_name_taken(
            workspace=membership.workspace, name=name or "", exclude_pk=palette.pk
        ),
    )
    colors, background = _check_palette(colors, background)
    palette = Palette.objects.select_for_update().get(pk=palette.pk)
    before = _palette_data(palette)
    palette.name, palette.colors, palette.background = name, colors, background
    palette.save(update_fields=["name", "colors", "background", "updated_at"])
    after = _palette_data(palette)
    if after != before:
        audit_record(
            workspace=membership.workspace,
            actor=membership.user,
            verb="palette.updated",
            target=palette,
            data={"before": before, "after": after},
        )
    return palette


@transaction.atomic
def palette_delete(*, membership: Membership, palette: Palette) -> None:
    _require_brand_manager(membership, palette.workspace_id)
    audit_record(
        workspace=membership.workspace,
        actor=membership.user,
        verb="palette.deleted",
        target=palette,
        data=_palette_data(palette),
    )
    Palette.objects.filter(pk=palette.pk).delete()

"""Writes for the library: uploads, the trash, organising, review, comments and exports.

Every function checks the person's role and that each object belongs to their
workspace, locks what it changes, writes the audit event in the same transaction,
and is safe to call twice (a second call changes nothing).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Min
from django.template.loader import render_to_string
from django.utils import timezone

from recraft_studio.audit.services import audit_record, audit_record_many
from recraft_studio.recraft.validation import FieldError, inspect_image
from recraft_studio.workspaces.models import Membership, Project

from . import files, images, renditions
from .models import (
    POSITION_GAP,
    UPLOAD,
    Asset,
    AssetState,
    AssetTag,
    Collection,
    CollectionItem,
    Comment,
    Export,
    ExportFormat,
    ExportKind,
    ExportStatus,
    Favourite,
    Mention,
    StorageRelease,
    Tag,
)

logger = logging.getLogger(__name__)


class LibraryRuleBroken(Exception):
    """A library action the rules refuse, with a sentence saying why."""


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
    # Held until the row is committed, so a purge of the same bytes waits for it.
    with files.key_lock(files.original_key(facts), files.thumbnail_key(facts)):
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


# --- shared checks ------------------------------------------------------------------------------


def _require_workspace(membership: Membership, *objects) -> None:
    for obj in objects:
        if obj is not None and obj.workspace_id != membership.workspace_id:
            raise PermissionDenied("That belongs to another workspace.")


def _require_generate(membership: Membership, doing: str) -> None:
    if not membership.can_generate:
        raise PermissionDenied(f"Your role in this workspace cannot {doing}.")


def can_delete(membership: Membership, asset: Asset) -> bool:
    """Designers delete (and restore) their own images; brand managers and owners any."""
    if membership.can_manage_brand:
        return True
    return membership.can_generate and asset.created_by_id == membership.user_id


def _lock_assets(membership: Membership, assets: Iterable[Asset], **filters) -> list[Asset]:
    """The workspace's rows among `assets`, locked in a fixed order (no deadlocks)."""
    ids = sorted({a.pk for a in assets})
    return list(
        Asset.objects.select_for_update(of=("self",))
        .filter(pk__in=ids, workspace_id=membership.workspace_id, **filters)
        .select_related("project")
        .order_by("pk")
    )


def _asset_data(asset: Asset, **extra) -> dict:
    """What the trail keeps about an image, so it reads right after the image is gone."""
    return {"prompt": asset.label, "project": asset.project.name, **extra}


# --- the trash ----------------------------------------------------------------------------------


@dataclass
class DeleteOutcome:
    deleted: list[Asset] = field(default_factory=list)
    #: Images the rules keep, each with the reason.
    refused: list[tuple[Asset, str]] = field(default_factory=list)
    #: When not confirmed: images whose deletion needs a yes first, with why. Nothing
    #: was deleted then.
    to_confirm: list[tuple[Asset, list[str]]] = field(default_factory=list)


def deletion_warnings(assets: list[Asset]) -> dict:
    """Why deleting each image deserves a second thought: what was made from it (still
    in the library), and the collections it is in. Two queries, whatever the number."""
    ids = [a.pk for a in assets]
    warnings: dict = {}
    children = (
        Asset.objects.filter(parent_id__in=ids, deleted_at__isnull=True)
        .values("parent_id")
        .annotate(n=Count("id"))
    )
    for row in children:
        n = row["n"]
        warnings.setdefault(row["parent_id"], []).append(
            f"{n} image{'s were' if n != 1 else ' was'} made from it"
        )
    names: dict = {}
    for asset_id, name in CollectionItem.objects.filter(asset_id__in=ids).values_list(
        "asset_id", "collection__name"
    ):
        names.setdefault(asset_id, []).append(name)
    for asset_id, found in names.items():
        listed = ", ".join(f"“{n}”" for n in sorted(found))
        warnings.setdefault(asset_id, []).append(
            f"it is in the collection{'s' if len(found) > 1 else ''} {listed}"
        )
    return warnings


def assets_delete(
    *, membership: Membership, assets: Iterable[Asset], confirmed: bool = False
) -> DeleteOutcome:
    """Move images to the trash, where they can be restored for `TRASH_DAYS` days.

    An approved image is kept until it is retired; someone else's image is kept
    unless the person manages the brand. An image that others were made from, or
    that is in a collection, is deleted only once `confirmed`.
    """
    _require_generate(membership, "delete images")
    outcome = DeleteOutcome()
    with transaction.atomic():
        candidates = []
        for asset in _lock_assets(membership, assets, deleted_at__isnull=True):
            if not can_delete(membership, asset):
                outcome.refused.append(
                    (asset, "it is someone else's: only brand managers and owners delete those")
                )
            elif asset.state == AssetState.APPROVED:
                outcome.refused.append((asset, "it is approved: retire it before deleting it"))
            else:
                candidates.append(asset)
        if not confirmed:
            warnings = deletion_warnings(candidates)
            if warnings:
                outcome.to_confirm = [(a, warnings[a.pk]) for a in candidates if a.pk in warnings]
                return outcome
        if not candidates:
            return outcome
        now = timezone.now()
        Asset.objects.filter(pk__in=[a.pk for a in candidates]).update(
            deleted_at=now, deleted_by=membership.user
        )
        audit_record_many(
            workspace=membership.workspace,
            verb="asset.deleted",
            actor=membership.user,
            entries=[(a, a.project, _asset_data(a)) for a in candidates],
        )
        for asset in candidates:
            asset.deleted_at, asset.deleted_by = now, membership.user
        outcome.deleted = candidates
    return outcome


def assets_restore(
    *, membership: Membership, assets: Iterable[Asset]
) -> tuple[list[Asset], list[tuple[Asset, str]]]:
    """Take images out of the trash, back where they were; (restored, refused)."""
    _require_generate(membership, "restore images")
    restored, refused = [], []
    with transaction.atomic():
        for asset in _lock_assets(membership, assets, deleted_at__isnull=False):
            if can_delete(membership, asset):
                restored.append(asset)
            else:
                refused.append((asset, "it is someone else's"))
        if restored:
            Asset.objects.filter(pk__in=[a.pk for a in restored]).update(
                deleted_at=None, deleted_by=None
            )
            audit_record_many(
                workspace=membership.workspace,
                verb="asset.restored",
                actor=membership.user,
                entries=[(a, a.project, _asset_data(a)) for a in restored],
            )
    return restored, refused


def assets_purge(*, membership: Membership, assets: Iterable[Asset]) -> int:
    """Delete images in the trash for good, now (brand managers and owners)."""
    if not membership.can_manage_brand:
        raise PermissionDenied("Only brand managers and owners delete images for good.")
    ids = [a.pk for a in assets if a.workspace_id == membership.workspace_id]
    return len(_purge(ids, actor=membership.user))


#: Bytes are deleted this long after the last row naming them went. A writer stores
#: bytes first and inserts its row a moment later (the pipeline, an upload): if that
#: row names a released key, the sweep finds it and keeps the bytes.
STORAGE_RELEASE_GRACE = timedelta(hours=1)


def trash_purge_expired(*, now=None, batch: int = 200) -> int:
    """Purge every image deleted more than `TRASH_DAYS` days ago (beat, hourly).

    First the bytes released by earlier purges (`storage_sweep`), then the rows.
    """
    now = now or timezone.now()
    storage_sweep(now=now)
    cutoff = now - timedelta(days=settings.TRASH_DAYS)
    purged = 0
    while True:
        ids = list(
            Asset.objects.filter(deleted_at__lt=cutoff)
            .order_by("deleted_at")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return purged
        done = _purge(ids, older_than=cutoff)
        purged += len(done)
        if not done:  # all locked by someone else (a restore): try again next hour
            return purged


def _purge(ids, *, actor=None, older_than=None) -> list:
    """Delete the rows of trashed images and release their storage keys.

    In one transaction: the rows, their audit events, and a `StorageRelease` for
    each key. The bytes go later (`storage_sweep`), and only if no row names them
    then: keys are content-addressed and shared by every image with the same bytes,
    by job inputs and by brand style references.
    """
    with transaction.atomic():
        rows = Asset.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            pk__in=ids, deleted_at__isnull=False
        )
        if older_than is not None:
            rows = rows.filter(deleted_at__lt=older_than)
        rows = list(rows.select_related("project", "workspace").order_by("pk"))
        if not rows:
            return []
        by_workspace: dict = {}
        for asset in rows:
            by_workspace.setdefault(asset.workspace, []).append(asset)
        for workspace, purged in by_workspace.items():
            audit_record_many(
                workspace=workspace,
                verb="asset.purged",
                actor=actor,
                entries=[
                    (
                        a,
                        a.project,
                        _asset_data(a, sha256=a.sha256, deleted_at=a.deleted_at.isoformat()),
                    )
                    for a in purged
                ],
            )
        Asset.objects.filter(pk__in=[a.pk for a in rows]).delete()
        storage_release(a_key for a in rows for a_key in (a.file_key, a.thumb_key))
    return [a.pk for a in rows]


def storage_release(keys: Iterable[str]) -> None:
    """Note that rows naming `keys` went; `storage_sweep` deletes the bytes later if
    nothing names them by then. Call it in the transaction that deletes the rows."""
    now = timezone.now()
    StorageRelease.objects.bulk_create(
        [StorageRelease(key=key, released_at=now) for key in sorted(set(keys))],
        update_conflicts=True,
        unique_fields=["key"],
        update_fields=["released_at"],
    )


def storage_sweep(*, now=None, grace: timedelta = STORAGE_RELEASE_GRACE, batch=500) -> int:
    """Delete the bytes of keys released at least `grace` ago that no row names now.

    Under `files.key_lock`, so it never races a writer that holds the same lock;
    the grace covers writers that insert their row a moment after storing. A key
    some row names again is just forgotten. The number of keys deleted.
    """
    cutoff = (now or timezone.now()) - grace
    deleted = 0
    while True:
        with transaction.atomic():
            keys = list(
                StorageRelease.objects.filter(released_at__lte=cutoff)
                .order_by("key")
                .values_list("key", flat=True)[:batch]
            )
            if not keys:
                return deleted
            with files.key_lock(*keys):
                free = set(keys) - files.keys_in_use(keys)
                for key in sorted(free):
                    # Renditions go with their original: no row names them.
                    for stored in (*files.renditions_of(key), key):
                        with suppress(FileNotFoundError):
                            files.delete(stored)
                StorageRelease.objects.filter(key__in=keys, released_at__lte=cutoff).delete()
        deleted += len(free)


# --- favourites and tags ----------------------------------------------------------------------


def favourite_set(*, membership: Membership, asset: Asset, on: bool) -> bool:
    """Star or unstar an image for this person only; any member may."""
    _require_workspace(membership, asset)
    if on:
        try:
            with transaction.atomic():
                Favourite.objects.get_or_create(user=membership.user, asset=asset)
        except IntegrityError:  # a double click: the star is there either way
            pass
    else:
        Favourite.objects.filter(user=membership.user, asset=asset).delete()
    return on


TAG_MAX_LENGTH = 40
_TAG_CHARS = re.compile(r"^[\w][\w .&+#'-]*$")


def tag_names_parse(text: str, *, field_name: str = "tags") -> list[str]:
    """Comma-separated tag names, tidied; a `FieldError` naming the bad one otherwise."""
    names: list[str] = []
    for raw in (text or "").split(","):
        name = " ".join(raw.split())
        if not name:
            continue
        if len(name) > TAG_MAX_LENGTH:
            raise FieldError(
                field_name, f"“{name[:20]}…” is longer than {TAG_MAX_LENGTH} characters."
            )
        if not _TAG_CHARS.match(name):
            raise FieldError(
                field_name,
                f"“{name}”: a tag starts with a letter or digit and holds letters, digits, "
                "spaces and . & + # ' -",
            )
        if name.lower() not in {n.lower() for n in names}:
            names.append(name)
    if not names:
        raise FieldError(field_name, "Type a tag (several, separated by commas).")
    return names


def _tags_get_or_create(*, membership: Membership, names: list[str]) -> list[Tag]:
    tags = []
    for name in names:
        tag = Tag.objects.filter(workspace=membership.workspace, name__iexact=name).first()
        if tag is None:
            try:
                with transaction.atomic():
                    tag = Tag.objects.create(
                        workspace=membership.workspace, name=name, created_by=membership.user
                    )
            except IntegrityError:  # created meanwhile under another case
                tag = Tag.objects.get(workspace=membership.workspace, name__iexact=name)
        tags.append(tag)
    return tags


def assets_tag(*, membership: Membership, assets: Iterable[Asset], names: list[str]) -> int:
    """Put tags on images (tags are made on first use); the number of new labels."""
    _require_generate(membership, "tag images")
    assets = [a for a in assets if a.workspace_id == membership.workspace_id and not a.in_trash]
    if not assets:
        return 0
    with transaction.atomic():
        tags = _tags_get_or_create(membership=membership, names=names)
        existing = set(
            AssetTag.objects.filter(asset__in=assets, tag__in=tags).values_list(
                "asset_id", "tag_id"
            )
        )
        new = [
            AssetTag(asset=a, tag=t, added_by=membership.user)
            for a in assets
            for t in tags
            if (a.pk, t.pk) not in existing
        ]
        AssetTag.objects.bulk_create(new, ignore_conflicts=True)
        if new:
            single = assets[0] if len(assets) == 1 else None
            audit_record(
                workspace=membership.workspace,
                project=single.project if single else None,
                actor=membership.user,
                verb="asset.tagged",
                target=single,
                data={
                    "tags": [t.name for t in tags],
                    "count": len(assets),
                    "asset_ids": [str(a.pk) for a in assets][:500],
                    **({"prompt": single.label} if single else {}),
                },
            )
    return len(new)


def asset_untag(*, membership: Membership, asset: Asset, tag: Tag) -> None:
    _require_generate(membership, "tag images")
    _require_workspace(membership, asset, tag)
    with transaction.atomic():
        removed, _ = AssetTag.objects.filter(asset=asset, tag=tag).delete()
        if removed:
            audit_record(
                workspace=membership.workspace,
                project=asset.project,
                actor=membership.user,
                verb="asset.untagged",
                target=asset,
                data={"tags": [tag.name], "prompt": asset.label},
            )


# --- moving between projects --------------------------------------------------------------------


def assets_move(*, membership: Membership, assets: Iterable[Asset], project: Project) -> int:
    """Move images to another project of the workspace; the number moved."""
    _require_generate(membership, "move images")
    _require_workspace(membership, project)
    with transaction.atomic():
        moving = [
            a
            for a in _lock_assets(membership, assets, deleted_at__isnull=True)
            if a.project_id != project.pk
        ]
        if not moving:
            return 0
        Asset.objects.filter(pk__in=[a.pk for a in moving]).update(project=project)
        audit_record_many(
            workspace=membership.workspace,
            verb="asset.moved",
            actor=membership.user,
            entries=[
                (a, project, {"prompt": a.label, "from": a.project.name, "to": project.name})
                for a in moving
            ],
        )
    return len(moving)


# --- review -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    label: str
    sources: frozenset
    target: str
    verb: str
    managers_only: bool


_D, _R, _A, _X = AssetState.DRAFT, AssetState.IN_REVIEW, AssetState.APPROVED, AssetState.RETIRED
TRANSITIONS = {
    "request_review": Transition(
        "Ask for review", frozenset({_D}), _R, "asset.review_requested", False
    ),
    "approve": Transition("Approve", frozenset({_D, _R}), _A, "asset.approved", True),
    "send_back": Transition("Send back to draft", frozenset({_R}), _D, "asset.sent_back", True),
    "retire": Transition("Retire", frozenset({_A}), _X, "asset.retired", True),
    "reopen": Transition("Reopen as a draft", frozenset({_X}), _D, "asset.reopened", True),
}


def transitions_for(membership: Membership, asset: Asset) -> list[tuple[str, str]]:
    """The review actions this person may take on the image now: (action, label)."""
    if asset.in_trash or not membership.can_generate:
        return []
    return [
        (action, t.label)
        for action, t in TRANSITIONS.items()
        if asset.state in t.sources and (membership.can_manage_brand or not t.managers_only)
    ]


def assets_transition(
    *, membership: Membership, assets: Iterable[Asset], action: str
) -> tuple[list[Asset], list[tuple[Asset, str]]]:
    """Move images along draft → in review → approved → retired; (changed, skipped).

    Anyone who makes images asks for review; brand managers and owners approve,
    send back, retire and reopen. An image already where the action leads is
    skipped without an event, so a repeated click changes nothing.
    """
    if action not in TRANSITIONS:
        raise LibraryRuleBroken(f"{action!r} is not a review action.")
    t = TRANSITIONS[action]
    _require_generate(membership, "change an image's review state")
    if t.managers_only and not membership.can_manage_brand:
        raise PermissionDenied("Only brand managers and owners approve, send back or retire.")
    changed, skipped = [], []
    with transaction.atomic():
        for asset in _lock_assets(membership, assets, deleted_at__isnull=True):
            if asset.state not in t.sources:
                skipped.append((asset, f"it is {asset.get_state_display().lower()}"))
                continue
            before = asset.state
            asset.state = t.target
            fields = ["state"]
            if t.target == AssetState.APPROVED:
                asset.approved_by, asset.approved_at = membership.user, timezone.now()
                fields += ["approved_by", "approved_at"]
            elif t.target == AssetState.DRAFT and action == "reopen":
                asset.approved_by, asset.approved_at = None, None
                fields += ["approved_by", "approved_at"]
            asset.save(update_fields=fields)
            changed.append((asset, before))
        if changed:
            audit_record_many(
                workspace=membership.workspace,
                verb=t.verb,
                actor=membership.user,
                entries=[
                    (a, a.project, {"prompt": a.label, "from": before, "to": a.state})
                    for a, before in changed
                ],
            )
    return [a for a, _ in changed], skipped


# --- comments and mentions ----------------------------------------------------------------------

#: `@name`: Django usernames hold letters, digits and @ . + - _; a trailing dot or
#: comma is the sentence's, not the name's.
MENTION = re.compile(r"(?<![\w@.+-])@([\w.@+-]*[\w])")


def mentioned_members(*, workspace, body: str) -> list:
    names = {m.lower() for m in MENTION.findall(body)}
    if not names:
        return []
    User = get_user_model()
    field_name = User.USERNAME_FIELD
    members = User.objects.filter(memberships__workspace=workspace).distinct()
    return [u for u in members if getattr(u, field_name).lower() in names]


def comment_add(*, membership: Membership, asset: Asset, body: str, asset_url: str) -> Comment:
    """Comment on an image (any member); people named with @ are emailed a link."""
    _require_workspace(membership, asset)
    body = body.strip()
    if not body:
        raise FieldError("body", "Write a comment first.")
    if len(body) > 2000:
        raise FieldError("body", f"A comment holds up to 2,000 characters; this has {len(body):,}.")
    with transaction.atomic():
        comment = Comment.objects.create(asset=asset, author=membership.user, body=body)
        mentioned = [
            u
            for u in mentioned_members(workspace=membership.workspace, body=body)
            if u.pk != membership.user_id
        ]
        Mention.objects.bulk_create([Mention(comment=comment, user=u) for u in mentioned])
        audit_record(
            workspace=membership.workspace,
            project=asset.project,
            actor=membership.user,
            verb="asset.commented",
            target=asset,
            data={
                "prompt": asset.label,
                "comment": body[:200],
                "mentions": [u.get_username() for u in mentioned],
            },
        )
        if mentioned:
            from .tasks import comment_notify_task

            comment_id = comment.pk
            transaction.on_commit(lambda: comment_notify_task.delay(comment_id, asset_url))
    return comment


def comment_notify(*, comment_id: int, asset_url: str) -> int:
    """Email each person a comment mentions, once; the number of emails sent."""
    sent = 0
    pending = Mention.objects.filter(comment_id=comment_id, notified_at__isnull=True)
    for mention_id in pending.values_list("pk", flat=True):
        with transaction.atomic():
            mention = (
                Mention.objects.select_for_update(of=("self",))
                .select_related("user", "comment__author", "comment__asset__workspace")
                .filter(pk=mention_id, notified_at__isnull=True)
                .first()
            )
            if mention is None:
                continue
            comment = mention.comment
            if mention.user.email:
                context = {"comment": comment, "asset": comment.asset, "url": asset_url}
                send_mail(
                    subject=(
                        f"{comment.author.get_username() if comment.author else 'Someone'} "
                        f"mentioned you on an image in {comment.asset.workspace.name}"
                    ),
                    message=render_to_string("assets/mention_email.txt", context),
                    from_email=None,
                    recipient_list=[mention.user.email],
                )
                sent += 1
            mention.notified_at = timezone.now()
            mention.save(update_fields=["notified_at"])
    return sent


# --- collections -----------------------------------------------------------------------------


def _collection_name(membership: Membership, name: str, *, exclude=None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise FieldError("name", "Give the collection a name.")
    if len(name) > 100:
        raise FieldError("name", "A collection's name holds up to 100 characters.")
    taken = Collection.objects.filter(workspace=membership.workspace, name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise FieldError("name", f"There is already a collection called “{name}”.")
    return name


def collection_create(*, membership: Membership, name: str, description: str = "") -> Collection:
    _require_generate(membership, "make collections")
    with transaction.atomic():
        name = _collection_name(membership, name)
        try:
            with transaction.atomic():
                collection = Collection.objects.create(
                    workspace=membership.workspace,
                    name=name,
                    description=description.strip(),
                    created_by=membership.user,
                )
        except IntegrityError:
            raise FieldError("name", f"There is already a collection called “{name}”.")
        audit_record(
            workspace=membership.workspace,
            actor=membership.user,
            verb="collection.created",
            target=collection,
            data={"name": name},
        )
    return collection


def collection_update(
    *, membership: Membership, collection: Collection, name: str, description: str
) -> Collection:
    _require_generate(membership, "change collections")
    _require_workspace(membership, collection)
    with transaction.atomic():
        collection = Collection.objects.select_for_update().get(pk=collection.pk)
        name = _collection_name(membership, name, exclude=collection)
        before = {"name": collection.name, "description": collection.description}
        after = {"name": name, "description": description.strip()}
        if before == after:
            return collection
        collection.name, collection.description = after["name"], after["description"]
        collection.save(update_fields=["name", "description", "updated_at"])
        audit_record(
            workspace=membership.workspace,
            actor=membership.user,
            verb="collection.changed",
            target=collection,
            data={"name": name, "before": before, "after": after},
        )
    return collection


def collection_delete(*, membership: Membership, collection: Collection) -> None:
    """Delete a collection (its images stay): its maker, brand managers and owners."""
    _require_generate(membership, "delete collections")
    _require_workspace(membership, collection)
    if not (membership.can_manage_brand or collection.created_by_id == membership.user_id):
        raise PermissionDenied("Only its maker, brand managers and owners delete a collection.")
    with transaction.atomic():
        collection = Collection.objects.select_for_update().filter(pk=collection.pk).first()
        if collection is None:
            return
        audit_record(
            workspace=membership.workspace,
            actor=membership.user,
            verb="collection.deleted",
            target=collection,
            data={"name": collection.name, "count": collection.items.count()},
        )
        collection.delete()


def collection_add(
    *, membership: Membership, collection: Collection, assets: Iterable[Asset]
) -> int:
    """Append images to the end of a collection, skipping those already in it."""
    _require_generate(membership, "change collections")
    _require_workspace(membership, collection)
    with transaction.atomic():
        collection = Collection.objects.select_for_update().get(pk=collection.pk)
        present = set(collection.items.values_list("asset_id", flat=True))
        adding = []
        for asset in assets:
            if (
                asset.workspace_id == membership.workspace_id
                and not asset.in_trash
                and asset.pk not in present
            ):
                adding.append(asset)
                present.add(asset.pk)
        if not adding:
            return 0
        last = collection.items.aggregate(m=Max("position"))["m"] or 0
        CollectionItem.objects.bulk_create(
            CollectionItem(
                collection=collection,
                asset=a,
                position=last + POSITION_GAP * (i + 1),
                added_by=membership.user,
            )
            for i, a in enumerate(adding)
        )
        collection.save(update_fields=["updated_at"])
        audit_record(
            workspace=membership.workspace,
            actor=membership.user,
            verb="collection.images_added",
            target=collection,
            data={
                "name": collection.name,
                "count": len(adding),
                "asset_ids": [str(a.pk) for a in adding][:500],
            },
        )
    return len(adding)


def collection_remove(*, membership: Membership, item: CollectionItem) -> None:
    _require_generate(membership, "change collections")
    _require_workspace(membership, item.collection)
    with transaction.atomic():
        collection = Collection.objects.select_for_update().get(pk=item.collection_id)
        removed, _ = CollectionItem.objects.filter(pk=item.pk).delete()
        if not removed:
            return
        if collection.cover_id == item.asset_id:
            collection.cover = None
        collection.save(update_fields=["cover", "updated_at"])
        audit_record(
            workspace=membership.workspace,
            actor=membership.user,
            verb="collection.image_removed",
            target=collection,
            data={"name": collection.name, "asset_id": str(item.asset_id)},
        )


MOVES = ("top", "up", "down", "bottom")


def collection_move(
    *, membership: Membership, item: CollectionItem, where: str = "", before=None
) -> CollectionItem:
    """Move an item to the top, up one, down one, to the bottom, or just before another.

    Positions are spaced `POSITION_GAP` apart: a move takes a free position between
    two neighbours, and the collection is renumbered only when the gap is used up.
    """
    _require_generate(membership, "change collections")
    _require_workspace(membership, item.collection)
    if where not in MOVES and before is None:
        raise LibraryRuleBroken(f"{where!r} is not a way to move an image.")
    with transaction.atomic():
        collection = Collection.objects.select_for_update().get(pk=item.collection_id)
        item = CollectionItem.objects.get(pk=item.pk, collection=collection)
        live = collection.items.filter(asset__deleted_at__isnull=True)
        if before is not None:
            before = CollectionItem.objects.filter(pk=before.pk, collection=collection).first()
            if before is None or before.pk == item.pk:
                raise LibraryRuleBroken("That image is not in this collection.")
            after = (
                live.filter(position__lt=before.position).exclude(pk=item.pk).order_by("-position")
            ).first()
            low, high = (
                (after.position if after else before.position - 2 * POSITION_GAP),
                (before.position),
            )
        elif where == "top":
            first = live.exclude(pk=item.pk).aggregate(m=Min("position"))["m"]
            low, high = (first or 0) - 2 * POSITION_GAP, first if first is not None else 0
        elif where == "bottom":
            last = live.exclude(pk=item.pk).aggregate(m=Max("position"))["m"]
            low, high = (last or 0), (last or 0) + 2 * POSITION_GAP
        else:
            neighbours = (
                live.filter(position__lt=item.position).order_by("-position")
                if where == "up"
                else live.filter(position__gt=item.position).order_by("position")
            )
            pair = list(neighbours.exclude(pk=item.pk)[:2])
            if not pair:
                return item  # already first (or last)
            if where == "up":
                low = pair[1].position if len(pair) > 1 else pair[0].position - 2 * POSITION_GAP
                high = pair[0].position
            else:
                low = pair[0].position
                high = pair[1].position if len(pair) > 1 else pair[0].position + 2 * POSITION_GAP
        if high - low < 2:
            _renumber(collection)
            return collection_move(membership=membership, item=item, where=where, before=before)
        item.position = (low + high) // 2
        item.save(update_fields=["position"])
        collection.save(update_fields=["updated_at"])
    return item


def _renumber(collection: Collection) -> None:
    items = list(collection.items.order_by("position", "id"))
    for i, item in enumerate(items):
        item.position = POSITION_GAP * (i + 1)
    CollectionItem.objects.bulk_update(items, ["position"])


def collection_set_cover(*, membership: Membership, item: CollectionItem) -> Collection:
    _require_generate(membership, "change collections")
    _require_workspace(membership, item.collection)
    with transaction.atomic():
        collection = Collection.objects.select_for_update().get(pk=item.collection_id)
        if collection.cover_id != item.asset_id:
            collection.cover_id = item.asset_id
            collection.save(update_fields=["cover", "updated_at"])
            audit_record(
                workspace=membership.workspace,
                actor=membership.user,
                verb="collection.cover_set",
                target=collection,
                data={"name": collection.name, "asset_id": str(item.asset_id)},
            )
    return collection


# --- exports ------------------------------------------------------------------------------------


def export_request(
    *,
    membership: Membership,
    kind: str,
    fmt: str = ExportFormat.ORIGINAL,
    assets: Iterable[Asset] | None = None,
    collection: Collection | None = None,
    project: Project | None = None,
    approved_only: bool = False,
) -> Export:
    """Ask for a zip of a selection, a collection or a project; a worker builds it.

    The images are fixed now, in the order the person sees them (a collection's own
    order; newest first otherwise). Any member may export: viewers download too.
    """
    from . import selectors

    _require_workspace(membership, collection, project)
    if fmt not in ExportFormat.values:
        raise FieldError("format", f"{fmt!r} is not a format the studio exports.")
    workspace = membership.workspace
    if kind == ExportKind.COLLECTION and collection is not None:
        queryset = selectors.collection_assets(collection=collection)
        name = collection.name
    elif kind == ExportKind.PROJECT and project is not None:
        queryset = selectors.gallery_assets(workspace=workspace, project=project)
        name = project.name
    elif kind == ExportKind.SELECTION and assets is not None:
        wanted = [a.pk for a in assets]
        queryset = selectors.gallery_assets(workspace=workspace).filter(pk__in=wanted)
        name = f"{len(wanted)} selected image{'s' if len(wanted) != 1 else ''}"
    else:
        raise LibraryRuleBroken("Say what to export: a selection, a collection or a project.")
    if approved_only:
        queryset = queryset.filter(state=AssetState.APPROVED)
        name += " (approved)"
    limit = settings.EXPORT_MAX_ASSETS
    ids = [str(pk) for pk in queryset.values_list("pk", flat=True)[: limit + 1]]
    if not ids:
        raise FieldError(
            "assets",
            "There is no approved image to export."
            if approved_only
            else "There is nothing to export.",
        )
    if len(ids) > limit:
        raise FieldError(
            "assets",
            f"An export holds up to {limit:,} images; narrow it down (a collection, a "
            "filter, approved images only).",
        )
    with transaction.atomic():
        export = Export.objects.create(
            workspace=workspace,
            created_by=membership.user,
            kind=kind,
            name=name[:150],
            collection=collection,
            project=project,
            approved_only=approved_only,
            format=fmt,
            asset_ids=ids,
            total=len(ids),
            expires_at=timezone.now() + timedelta(days=settings.EXPORT_LINK_DAYS),
        )
        audit_record(
            workspace=workspace,
            project=project,
            actor=membership.user,
            verb="export.created",
            target=export,
            data={"name": export.name, "kind": kind, "count": len(ids), "format": fmt},
        )
        from .tasks import export_build_task

        export_id = str(export.pk)
        transaction.on_commit(lambda: export_build_task.delay(export_id))
    return export


EXPORT_PROGRESS_EVERY = 0.5  # seconds between progress writes


def export_build(*, export_id) -> Export:
    """Build the export's zip in the studio's storage; safe to run again.

    A finished export is left alone; an unfinished one is built from the start (the
    zip goes to the same key, so a second build replaces the first). The zip is
    written to a temporary file one image at a time and uploaded in chunks: a
    thousand images never sit in memory together.
    """
    import time

    from . import handoff

    with transaction.atomic():
        export = Export.objects.select_for_update().filter(pk=export_id).first()
        if export is None or export.is_finished:
            return export
        export.status = ExportStatus.RUNNING
        export.started_at = timezone.now()
        export.done = 0
        export.save(update_fields=["status", "started_at", "done"])
    last = [time.monotonic()]

    def progress(done: int) -> None:
        if done == export.total or time.monotonic() - last[0] >= EXPORT_PROGRESS_EVERY:
            Export.objects.filter(pk=export.pk).update(done=done)
            last[0] = time.monotonic()

    key = f"exports/{export.workspace_id}/{export.pk}.zip"
    with handoff.build_zip(export, progress=progress) as zip_file:
        size = files.store_export(key, zip_file)
    with transaction.atomic():
        export = Export.objects.select_for_update().get(pk=export.pk)
        if export.is_finished:
            return export
        export.status = ExportStatus.DONE
        export.file_key = key
        export.size_bytes = size
        export.done = export.total
        export.finished_at = timezone.now()
        export.save(update_fields=["status", "file_key", "size_bytes", "done", "finished_at"])
        audit_record(
            workspace=export.workspace,
            project=export.project,
            actor=export.created_by,
            verb="export.completed",
            target=export,
            data={"name": export.name, "count": export.total, "bytes": size},
        )
    return export


def export_fail(*, export_id, reason: str) -> None:
    with transaction.atomic():
        export = Export.objects.select_for_update().filter(pk=export_id).first()
        if export is None or export.is_finished:
            return
        export.status = ExportStatus.FAILED
        export.error = reason
        export.finished_at = timezone.now()
        export.save(update_fields=["status", "error", "finished_at"])
        audit_record(
            workspace=export.workspace,
            project=export.project,
            actor=export.created_by,
            verb="export.failed",
            target=export,
            data={"name": export.name, "reason": reason},
        )


def export_downloaded(*, export: Export, user=None, via: str = "link") -> None:
    """Record who fetched an export (anyone with the link: then `user` is None)."""
    audit_record(
        workspace=export.workspace,
        project=export.project,
        actor=user if user is not None and user.is_authenticated else None,
        verb="export.downloaded",
        target=export,
        data={"name": export.name, "via": via},
    )


def exports_sweep(*, now=None) -> int:
    """Delete the zips of exports whose link has expired; the number expired."""
    now = now or timezone.now()
    expired = 0
    for pk in Export.objects.filter(
        expires_at__lte=now, status__in=[ExportStatus.DONE, ExportStatus.FAILED]
    ).values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            export = Export.objects.select_for_update().get(pk=pk)
            if export.file_key:
                with suppress(FileNotFoundError):
                    files.delete(export.file_key)
            export.status = ExportStatus.EXPIRED
            export.file_key = ""
            export.save(update_fields=["status", "file_key"])
            expired += 1
    return expired


def asset_downloaded(*, membership: Membership, asset: Asset, **data) -> None:
    """Record that someone downloaded an image (viewing it on a page is not recorded)."""
    audit_record(
        workspace=membership.workspace,
        project=asset.project,
        actor=membership.user,
        verb="asset.downloaded",
        target=asset,
        data={"prompt": asset.label, **data},
    )

"""Reads of assets and galleries, scoped to the workspaces the user belongs to."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from recraft_studio.brand.selectors import brand_styles_for
from recraft_studio.workspaces.models import Membership
from recraft_studio.workspaces.selectors import membership_get, workspaces_for

from .models import Asset

GALLERY_PAGE_SIZE = 24
#: How far lineage is followed, back or forward; real chains are a handful long.
LINEAGE_MAX_DEPTH = 100
DESCENDANTS_MAX = 200


def assets_for(user) -> QuerySet[Asset]:
    return Asset.objects.filter(workspace__in=workspaces_for(user))


def asset_get(*, user, asset_id) -> Asset:
    try:
        return (
            assets_for(user)
            .select_related(
                "project",
                "workspace",
                "parent",
                "created_by",
                "brand_style",
                "job",
                "job__created_by",
                "job__brand_style",
            )
            .get(pk=asset_id)
        )
    except (Asset.DoesNotExist, ValueError):
        raise Http404("No such image.")


def asset_get_with_membership(*, user, asset_id) -> tuple[Membership, Asset]:
    """The asset and the user's membership of its workspace (for role checks), or 404."""
    asset = asset_get(user=user, asset_id=asset_id)
    return membership_get(user=user, workspace_slug=asset.workspace.slug), asset


@dataclass(frozen=True)
class Neighbours:
    """The images before and after one in its project's gallery (newest first)."""

    previous: Asset | None  # newer
    next: Asset | None  # older


def asset_neighbours(asset: Asset) -> Neighbours:
    """The newer and the older image of the same project, for previous / next."""
    same = Asset.objects.filter(project_id=asset.project_id).only("id", "created_at")
    c, pk = asset.created_at, asset.pk
    newer = (
        same.filter(Q(created_at__gt=c) | Q(created_at=c, id__gt=pk))
        .order_by("created_at", "id")
        .first()
    )
    older = (
        same.filter(Q(created_at__lt=c) | Q(created_at=c, id__lt=pk))
        .order_by("-created_at", "-id")
        .first()
    )
    return Neighbours(previous=newer, next=older)


# --- galleries --------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    items: list
    next_cursor: str | None


def _encode_cursor(asset: Asset) -> str:
    raw = f"{asset.created_at.isoformat()}|{asset.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, _, pk = raw.partition("|")
        return datetime.fromisoformat(created), uuid.UUID(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def gallery_page(
    queryset: QuerySet[Asset], *, cursor: str | None, size: int = GALLERY_PAGE_SIZE
) -> Page:
    """A page of assets, newest first, after `cursor` (keyset pagination).

    Keyset pages cost the same at the millionth asset as at the first: the database
    seeks the (…, created_at, id) index instead of counting past an offset. The
    condition is written as `created_at <= c AND (created_at < c OR id < pk)` rather
    than a plain OR, so that PostgreSQL uses `created_at <= c` as the index range and
    only rechecks the rows sharing the cursor's timestamp.
    """
    qs = queryset.order_by("-created_at", "-id")
    if cursor and (position := _decode_cursor(cursor)):
        created, pk = position
        qs = qs.filter(created_at__lte=created).filter(Q(created_at__lt=created) | Q(id__lt=pk))
    items = list(qs[: size + 1])
    next_cursor = _encode_cursor(items[size - 1]) if len(items) > size else None
    return Page(items=items[:size], next_cursor=next_cursor)


@dataclass(frozen=True)
class GalleryFilters:
    """What a gallery is narrowed to; every field is optional."""

    project_id: int | None = None
    operation: str = ""
    #: A base style, matched on assets made without a brand style.
    style: str = ""
    brand_style_id: int | None = None
    author_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""

    @property
    def active(self) -> bool:
        return any(getattr(self, f) not in (None, "") for f in self.__dataclass_fields__)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def gallery_assets(
    *, workspace, project=None, filters: GalleryFilters | None = None
) -> QuerySet[Asset]:
    """The assets of a workspace (or one of its projects) the filters let through.

    The caller has checked the user's membership of `workspace`. Each filter is a
    plain comparison on an indexed column (dates as a half-open range on
    `created_at`, never a cast), so pages stay index seeks.
    """
    qs = Asset.objects.filter(workspace=workspace)
    if project is not None:
        qs = qs.filter(project=project)
    f = filters or GalleryFilters()
    if f.project_id is not None:
        qs = qs.filter(project_id=f.project_id)
    if f.operation:
        qs = qs.filter(operation=f.operation)
    if f.brand_style_id is not None:
        qs = qs.filter(brand_style_id=f.brand_style_id)
    elif f.style:
        qs = qs.filter(style=f.style, brand_style__isnull=True)
    if f.author_id is not None:
        qs = qs.filter(created_by_id=f.author_id)
    if f.date_from:
        qs = qs.filter(created_at__gte=_day_start(f.date_from))
    if f.date_to:
        qs = qs.filter(created_at__lt=_day_start(f.date_to + timedelta(days=1)))
    if f.q:
        # UPPER(prompt) LIKE UPPER('%…%'): the trigram index of migration 0004 on PostgreSQL.
        qs = qs.filter(prompt__icontains=f.q)
    return qs.select_related("project", "created_by")


@dataclass(frozen=True)
class GalleryChoices:
    """What the gallery's filters offer, read in one query each."""

    projects: list = field(default_factory=list)
    brand_styles: list = field(default_factory=list)
    members: list = field(default_factory=list)


def gallery_choices(*, workspace) -> GalleryChoices:
    return GalleryChoices(
        projects=list(workspace.projects.order_by("name")),
        # Archived styles stay: images made with them are still in the gallery.
        brand_styles=list(brand_styles_for(workspace=workspace, include_archived=True)),
        members=list(
            Membership.objects.filter(workspace=workspace)
            .select_related("user")
            .order_by("user__username")
        ),
    )


# --- lineage ------------------------------------------------------------------------------


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _walk(sql: str, params: list) -> list[tuple[uuid.UUID, int]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(_uuid(pk), depth) for pk, depth in cursor.fetchall()]


def _db_pk(asset: Asset):
    return Asset._meta.pk.get_db_prep_value(asset.pk, connection)


_LINEAGE_RELATED = ("job", "job__brand_style", "created_by", "brand_style")


def asset_ancestors(asset: Asset) -> list[Asset]:
    """The chain the asset was made from: the root (an upload or a generation) first.

    One recursive query finds the chain (PostgreSQL and SQLite both speak
    `WITH RECURSIVE`), one more loads it.
    """
    table = connection.ops.quote_name(Asset._meta.db_table)
    rows = _walk(
        f"""
        WITH RECURSIVE chain(id, parent_id, depth) AS (
            SELECT id, parent_id, 0 FROM {table} WHERE id = %s
            UNION ALL
            SELECT a.id, a.parent_id, chain.depth + 1
            FROM {table} a JOIN chain ON a.id = chain.parent_id
            WHERE chain.depth < %s
        )
        SELECT id, depth FROM chain WHERE depth > 0
        """,  # noqa: S608 - the table name is ours, values are parameters
        [_db_pk(asset), LINEAGE_MAX_DEPTH],
    )
    depth = dict(rows)
    found = Asset.objects.filter(pk__in=depth, workspace_id=asset.workspace_id).select_related(
        *_LINEAGE_RELATED
    )
    return sorted(found, key=lambda a: -depth[a.pk])


@dataclass(frozen=True)
class Descendant:
    asset: Asset
    depth: int  # 1 for what was made from the asset itself


def asset_descendants(asset: Asset, *, limit: int = DESCENDANTS_MAX) -> list[Descendant]:
    """Everything made from the asset, directly or not, as a tree in reading order."""
    table = connection.ops.quote_name(Asset._meta.db_table)
    rows = _walk(
        f"""
        WITH RECURSIVE tree(id, depth) AS (
            SELECT id, 1 FROM {table} WHERE parent_id = %s
            UNION ALL
            SELECT a.id, tree.depth + 1
            FROM {table} a JOIN tree ON a.parent_id = tree.id
            WHERE tree.depth < %s
        )
        SELECT id, depth FROM tree LIMIT %s
        """,  # noqa: S608 - the table name is ours, values are parameters
        [_db_pk(asset), LINEAGE_MAX_DEPTH, limit],
    )
    found = Asset.objects.filter(
        pk__in=[pk for pk, _ in rows], workspace_id=asset.workspace_id
    ).select_related(*_LINEAGE_RELATED)
    children: dict[uuid.UUID, list[Asset]] = {}
    for item in sorted(found, key=lambda a: (a.created_at, a.output_index or 0)):
        children.setdefault(item.parent_id, []).append(item)
    ordered: list[Descendant] = []

    def visit(parent_id: uuid.UUID, depth: int) -> None:
        for child in children.get(parent_id, []):
            ordered.append(Descendant(child, depth))
            visit(child.pk, depth + 1)

    visit(asset.pk, 1)
    return ordered

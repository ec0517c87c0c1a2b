"""Reads of assets and galleries, scoped to the workspaces the user belongs to."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from recraft_studio.brand.selectors import brand_styles_for
from recraft_studio.workspaces.models import Membership
from recraft_studio.workspaces.selectors import membership_get, workspaces_for

from .models import (
    Asset,
    AssetTag,
    Collection,
    CollectionItem,
    Comment,
    Export,
    Favourite,
    Tag,
)

GALLERY_PAGE_SIZE = 24
#: Searches this long match anywhere in a prompt; shorter ones match words' starts.
SEARCH_ANYWHERE_FROM = 3
#: How far lineage is followed, back or forward; real chains are a handful long.
LINEAGE_MAX_DEPTH = 100
DESCENDANTS_MAX = 200


def assets_for(user, *, include_trashed: bool = False) -> QuerySet[Asset]:
    """The images of the user's workspaces; those in the trash only when asked for."""
    assets = Asset.objects.filter(workspace__in=workspaces_for(user))
    return assets if include_trashed else assets.filter(deleted_at__isnull=True)


def asset_get(*, user, asset_id, include_trashed: bool = False) -> Asset:
    """An image of the user's workspaces, or 404. An image in the trash is found only
    by the pages that show the trash (its own page, its file): tools, forms and
    everything else treat it as gone."""
    try:
        return (
            assets_for(user, include_trashed=include_trashed)
            .select_related(
                "project",
                "workspace",
                "parent",
                "created_by",
                "brand_style",
                "job",
                "job__created_by",
                "job__brand_style",
                "approved_by",
                "deleted_by",
            )
            .get(pk=asset_id)
        )
    except (Asset.DoesNotExist, ValueError):
        raise Http404("No such image.")


def asset_get_with_membership(
    *, user, asset_id, include_trashed: bool = False
) -> tuple[Membership, Asset]:
    """The asset and the user's membership of its workspace (for role checks), or 404."""
    asset = asset_get(user=user, asset_id=asset_id, include_trashed=include_trashed)
    return membership_get(user=user, workspace_slug=asset.workspace.slug), asset


def assets_pick(*, membership: Membership, ids, include_trashed: bool = False) -> list[Asset]:
    """The images among `ids` that belong to the membership's workspace (a bulk action's
    selection); anything else, or not an id at all, is left out."""
    valid = []
    for value in ids:
        try:
            valid.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    assets = Asset.objects.filter(workspace=membership.workspace, pk__in=valid[:1000])
    if not include_trashed:
        assets = assets.filter(deleted_at__isnull=True)
    return list(assets.select_related("project", "created_by").order_by("-created_at", "-id"))


@dataclass(frozen=True)
class Neighbours:
    """The images before and after one in its project's gallery (newest first)."""

    previous: Asset | None  # newer
    next: Asset | None  # older


def asset_neighbours(asset: Asset) -> Neighbours:
    """The newer and the older image of the same project, for previous / next."""
    same = Asset.objects.filter(project_id=asset.project_id, deleted_at__isnull=True).only(
        "id", "created_at"
    )
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

    The page's ids are found first, in a subquery that reads only the index (and the
    small tables a filter joins), and only those rows are then read whole: a filter
    that skips thousands of rows (a person's stars, a tag) never fetches them.
    """
    qs = queryset.order_by("-created_at", "-id")
    if cursor and (position := _decode_cursor(cursor)):
        created, pk = position
        qs = qs.filter(created_at__lte=created).filter(Q(created_at__lt=created) | Q(id__lt=pk))
    ids = qs.values("pk")[: size + 1]
    items = list(queryset.filter(pk__in=Subquery(ids)).order_by("-created_at", "-id"))
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
    #: The library's filters: this person's favourites, a tag, a collection, a state.
    favourites_of: int | None = None
    tag_id: int | None = None
    collection_id: int | None = None
    state: str = ""

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
    `created_at`, never a cast), so pages stay index seeks. Images in the trash are
    never in a gallery.
    """
    qs = Asset.objects.filter(workspace=workspace, deleted_at__isnull=True)
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
    if len(f.q) >= SEARCH_ANYWHERE_FROM:
        # UPPER(prompt) LIKE UPPER('%…%'): the trigram index of migration 0004 on PostgreSQL.
        qs = qs.filter(prompt__icontains=f.q)
    elif f.q:
        # One or two letters: the words that start with them ("ro": robot, rocket). A
        # trigram index cannot look up "%ro%" (it reads every entry), but it can look
        # up a word's start ("  r", " ro"); common starts are found at once in order.
        qs = qs.filter(Q(prompt__istartswith=f.q) | Q(prompt__icontains=f" {f.q}"))
    if f.state:
        qs = qs.filter(state=f.state)
    # Set filters are semi-joins that start from the small side (the person's stars,
    # the tag's or the collection's rows), each on an index leading with that side.
    if f.favourites_of is not None:
        qs = qs.filter(
            Exists(Favourite.objects.filter(user_id=f.favourites_of, asset_id=OuterRef("pk")))
        )
    if f.tag_id is not None:
        qs = qs.filter(Exists(AssetTag.objects.filter(tag_id=f.tag_id, asset_id=OuterRef("pk"))))
    if f.collection_id is not None:
        qs = qs.filter(
            Exists(
                CollectionItem.objects.filter(
                    collection_id=f.collection_id, asset_id=OuterRef("pk")
                )
            )
        )
    return qs.select_related("project", "created_by")


def with_favourites(queryset: QuerySet[Asset], *, user) -> QuerySet[Asset]:
    """Mark each row `is_favourite` for `user`, in the page's own query."""
    return queryset.annotate(
        is_favourite=Exists(Favourite.objects.filter(user_id=user.pk, asset_id=OuterRef("pk")))
    )


class Choice(NamedTuple):
    """One option of a gallery filter: what it is and what it is called."""

    pk: int
    name: str


@dataclass(frozen=True)
class GalleryChoices:
    """What the gallery's filters offer, read in one query each.

    Plain (pk, name) rows, not model instances: every gallery page and every "Load
    more" reads them, and building a hundred instances was a tenth of a page's time.
    """

    projects: list[Choice] = field(default_factory=list)
    brand_styles: list[Choice] = field(default_factory=list)
    members: list[Choice] = field(default_factory=list)  # pk: the person's user id
    tags: list[Choice] = field(default_factory=list)
    collections: list[Choice] = field(default_factory=list)


def _choices(queryset, pk: str = "pk", name: str = "name") -> list[Choice]:
    return [Choice(*row) for row in queryset.values_list(pk, name)]


def gallery_choices(*, workspace) -> GalleryChoices:
    return GalleryChoices(
        tags=_choices(Tag.objects.filter(workspace=workspace).order_by("name")),
        collections=_choices(Collection.objects.filter(workspace=workspace).order_by("name")),
        projects=_choices(workspace.projects.order_by("name")),
        # Archived styles stay: images made with them are still in the gallery.
        brand_styles=_choices(
            brand_styles_for(workspace=workspace, include_archived=True).order_by("name")
        ),
        members=_choices(
            Membership.objects.filter(workspace=workspace).order_by("user__username"),
            pk="user_id",
            name="user__username",
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


# --- the trash ----------------------------------------------------------------------------------


def _encode_trash_cursor(asset: Asset) -> str:
    raw = f"{asset.deleted_at.isoformat()}|{asset.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def trash_assets(*, workspace) -> QuerySet[Asset]:
    """The workspace's images in the trash; the caller has checked the membership."""
    return Asset.objects.filter(workspace=workspace, deleted_at__isnull=False).select_related(
        "project", "created_by", "deleted_by"
    )


def trash_page(queryset: QuerySet[Asset], *, cursor: str | None, size=GALLERY_PAGE_SIZE) -> Page:
    """A page of the trash, last deleted first: keyset on (deleted_at, id), which the
    partial index `asset_trash_idx` serves."""
    qs = queryset.order_by("-deleted_at", "-id")
    if cursor and (position := _decode_cursor(cursor)):
        deleted, pk = position
        qs = qs.filter(deleted_at__lte=deleted).filter(Q(deleted_at__lt=deleted) | Q(id__lt=pk))
    items = list(qs[: size + 1])
    next_cursor = _encode_trash_cursor(items[size - 1]) if len(items) > size else None
    return Page(items=items[:size], next_cursor=next_cursor)


def purge_date(asset: Asset):
    from django.conf import settings

    return asset.deleted_at + timedelta(days=settings.TRASH_DAYS)


# --- collections -------------------------------------------------------------------------------


def collections_for(*, workspace) -> QuerySet[Collection]:
    """The workspace's collections with their size and cover, in one query.

    Without a chosen cover (or when it is in the trash), a collection shows its
    first image.
    """
    live = CollectionItem.objects.filter(collection=OuterRef("pk"), asset__deleted_at__isnull=True)
    # Correlated subqueries, not a join and GROUP BY: a join makes PostgreSQL hash the
    # whole asset table to count a few thousand items.
    size = live.order_by().values("collection").annotate(n=Count("id")).values("n")
    return (
        Collection.objects.filter(workspace=workspace)
        .annotate(
            size=Coalesce(Subquery(size), 0),
            first_asset=Subquery(live.order_by("position", "id").values("asset_id")[:1]),
        )
        .select_related("cover", "created_by")
        .order_by("name")
    )


def collection_get(*, membership: Membership, collection_pk) -> Collection:
    try:
        return Collection.objects.select_related("cover", "created_by").get(
            workspace=membership.workspace, pk=collection_pk
        )
    except (Collection.DoesNotExist, ValueError):
        raise Http404("No such collection.")


def collection_item_get(*, collection: Collection, item_pk) -> CollectionItem:
    try:
        return CollectionItem.objects.select_related("collection").get(
            collection=collection, pk=item_pk
        )
    except (CollectionItem.DoesNotExist, ValueError):
        raise Http404("No such image in this collection.")


def collection_assets(*, collection: Collection) -> QuerySet[Asset]:
    """The collection's images still in the library, in the collection's order."""
    return (
        Asset.objects.filter(
            collection_items__collection=collection,
            deleted_at__isnull=True,
            workspace_id=collection.workspace_id,
        )
        .select_related("project", "created_by")
        .order_by("collection_items__position", "collection_items__id")
    )


def _encode_position_cursor(item: CollectionItem) -> str:
    return f"{item.position}.{item.pk}"


def collection_page(*, collection: Collection, user, cursor: str | None, size=GALLERY_PAGE_SIZE):
    """A page of a collection's items in order: keyset on (position, id), one query."""
    items = (
        CollectionItem.objects.filter(collection=collection, asset__deleted_at__isnull=True)
        .select_related("asset", "asset__project", "asset__created_by")
        .annotate(
            is_favourite=Exists(
                Favourite.objects.filter(user_id=user.pk, asset_id=OuterRef("asset_id"))
            )
        )
        .order_by("position", "id")
    )
    if cursor:
        try:
            position, _, pk = cursor.partition(".")
            position, pk = int(position), int(pk)
        except ValueError:
            pass
        else:
            items = items.filter(position__gte=position).filter(
                Q(position__gt=position) | Q(id__gt=pk)
            )
    rows = list(items[: size + 1])
    next_cursor = _encode_position_cursor(rows[size - 1]) if len(rows) > size else None
    return Page(items=rows[:size], next_cursor=next_cursor)


# --- an image's place in the library ---------------------------------------------------------


@dataclass(frozen=True)
class LibraryFacts:
    is_favourite: bool
    tags: list
    collections: list
    comments: list
    suggestions: list


def asset_library_facts(*, asset: Asset, user) -> LibraryFacts:
    """What the image page shows of the library: the person's star, tags (and tags to
    suggest), collections, comments."""
    tags = list(asset.tags.order_by("name"))
    return LibraryFacts(
        is_favourite=Favourite.objects.filter(user_id=user.pk, asset=asset).exists(),
        tags=tags,
        collections=list(Collection.objects.filter(items__asset=asset).order_by("name").distinct()),
        comments=list(
            Comment.objects.filter(asset=asset)
            .select_related("author")
            .prefetch_related("mentions__user")
        ),
        suggestions=tag_suggestions(asset=asset, exclude=tags),
    )


def tag_suggestions(*, asset: Asset, exclude=(), limit: int = 6) -> list:
    """Tags worth offering for an image: existing tags its prompt names, then the tags
    used most in its project. Only existing tags, so suggestions never multiply names."""
    taken = {t.pk for t in exclude}
    words = {w.strip(".,;:!?\"'()").lower() for w in asset.prompt.split()}
    tags = Tag.objects.filter(workspace_id=asset.workspace_id).exclude(pk__in=taken)
    named = [t for t in tags.order_by("name")[:500] if t.name.lower() in words]
    popular = list(
        tags.filter(asset_tags__asset__project_id=asset.project_id)
        .annotate(uses=Count("asset_tags"))
        .order_by("-uses", "name")[: limit * 2]
    )
    seen, found = set(), []
    for tag in named + popular:
        if tag.pk not in seen:
            seen.add(tag.pk)
            found.append(tag)
    return found[:limit]


def tags_for(*, workspace) -> QuerySet[Tag]:
    """The workspace's tags, most used first (the tag field's suggestions)."""
    return (
        Tag.objects.filter(workspace=workspace)
        .annotate(uses=Count("asset_tags"))
        .order_by("-uses", "name")
    )


def tag_get(*, membership: Membership, tag_pk) -> Tag:
    try:
        return Tag.objects.get(workspace=membership.workspace, pk=tag_pk)
    except (Tag.DoesNotExist, ValueError):
        raise Http404("No such tag.")


# --- exports ----------------------------------------------------------------------------------


def exports_for(*, workspace, limit: int = 30) -> QuerySet[Export]:
    return (
        Export.objects.filter(workspace=workspace)
        .select_related("created_by")
        .defer("asset_ids")
        .order_by("-created_at")[:limit]
    )


def export_get(*, membership: Membership, export_id) -> Export:
    try:
        return (
            Export.objects.select_related("created_by", "workspace")
            .defer("asset_ids")
            .get(workspace=membership.workspace, pk=export_id)
        )
    except (Export.DoesNotExist, ValueError):
        raise Http404("No such export.")

"""Reads of jobs and assets, scoped to the workspaces the user belongs to."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import Http404

from recraft_studio.workspaces.selectors import workspaces_for

from .models import FINISHED, Asset, Job

GALLERY_PAGE_SIZE = 24


def assets_for(user) -> QuerySet[Asset]:
    return Asset.objects.filter(workspace__in=workspaces_for(user))


def jobs_for(user) -> QuerySet[Job]:
    return Job.objects.filter(workspace__in=workspaces_for(user))


def asset_get(*, user, asset_id) -> Asset:
    try:
        return assets_for(user).select_related("project", "workspace", "parent").get(pk=asset_id)
    except (Asset.DoesNotExist, ValueError):
        raise Http404("No such image.")


def job_get(*, user, job_id) -> Job:
    try:
        return jobs_for(user).select_related("project", "workspace").get(pk=job_id)
    except (Job.DoesNotExist, ValueError):
        raise Http404("No such job.")


def project_jobs_recent(*, project, limit: int = 10) -> QuerySet[Job]:
    """The project's latest jobs, for the status strip above the gallery."""
    return project.jobs.select_related("created_by").order_by("-created_at")[:limit]


def project_jobs_active(*, project) -> QuerySet[Job]:
    return project.jobs.exclude(status__in=FINISHED)


@dataclass(frozen=True)
class Page:
    items: list
    next_cursor: str | None


def _encode_cursor(asset: Asset) -> str:
    raw = f"{asset.created_at.isoformat()}|{asset.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, _, pk = raw.partition("|")
        return datetime.fromisoformat(created), pk
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def gallery_page(queryset: QuerySet[Asset], *, cursor: str | None, size: int = GALLERY_PAGE_SIZE) -> Page:
    """A page of assets, newest first, after `cursor` (keyset pagination).

    Keyset pages cost the same at the millionth asset as at the first: the database
    seeks the (created_at, id) index instead of counting past an offset.
    """
    qs = queryset.order_by("-created_at", "-id")
    if cursor and (position := _decode_cursor(cursor)):
        created, pk = position
        qs = qs.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=pk))
    items = list(qs[: size + 1])
    next_cursor = _encode_cursor(items[size - 1]) if len(items) > size else None
    return Page(items=items[:size], next_cursor=next_cursor)

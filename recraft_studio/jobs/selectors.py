"""Reads of jobs, scoped to the workspaces the user belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from recraft_studio.assets.models import Asset
from recraft_studio.assets.selectors import gallery_page
from recraft_studio.workspaces.selectors import workspaces_for

from .models import Job

JOB_HISTORY_PAGE_SIZE = 25


def jobs_for(user) -> QuerySet[Job]:
    return Job.objects.filter(workspace__in=workspaces_for(user))


def with_outputs(queryset: QuerySet[Job]) -> QuerySet[Job]:
    """Jobs with their outputs (in output order), so cards show them in one more query."""
    return queryset.select_related("created_by", "project").prefetch_related(
        Prefetch("assets", queryset=Asset.objects.order_by("output_index", "created_at"))
    )


def job_get(*, user, job_id) -> Job:
    try:
        return with_outputs(jobs_for(user).select_related("workspace")).get(pk=job_id)
    except (Job.DoesNotExist, ValueError):
        raise Http404("No such job.")


def project_jobs_recent(*, project, limit: int = 10) -> QuerySet[Job]:
    """The project's latest jobs with their outputs, for the strip above the gallery."""
    return with_outputs(project.jobs.order_by("-created_at"))[:limit]


def source_jobs_recent(*, asset: Asset, limit: int = 10) -> QuerySet[Job]:
    """The latest jobs run on `asset` as their source, for the tool page."""
    return with_outputs(asset.derived_jobs.order_by("-created_at"))[:limit]


# --- job history ----------------------------------------------------------------------


@dataclass(frozen=True)
class JobFilters:
    """What the job history is narrowed to; every field is optional."""

    project_id: int | None = None
    author_id: int | None = None
    status: str = ""
    operation: str = ""
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""

    @property
    def active(self) -> bool:
        return any(getattr(self, f) not in (None, "") for f in self.__dataclass_fields__)


def job_history_members(*, workspace):
    """The workspace's members, for the history's "person" filter (one query)."""
    from recraft_studio.workspaces.models import Membership

    return list(
        Membership.objects.filter(workspace=workspace)
        .select_related("user")
        .order_by("user__username")
    )


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def job_history(*, workspace, project=None, filters: JobFilters | None = None) -> QuerySet[Job]:
    """Every job of a workspace (or one of its projects) the filters let through.

    The caller has checked the user's membership of `workspace`. Archived projects'
    jobs are included: the history is where to find what was run, whatever happened
    to the project since.
    """
    qs = Job.objects.filter(workspace=workspace)
    if project is not None:
        qs = qs.filter(project=project)
    f = filters or JobFilters()
    if f.project_id is not None:
        qs = qs.filter(project_id=f.project_id)
    if f.author_id is not None:
        qs = qs.filter(created_by_id=f.author_id)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.operation:
        qs = qs.filter(operation=f.operation)
    if f.date_from:
        qs = qs.filter(created_at__gte=_day_start(f.date_from))
    if f.date_to:
        qs = qs.filter(created_at__lt=_day_start(f.date_to + timedelta(days=1)))
    if f.q:
        qs = qs.filter(params__prompt__icontains=f.q)
    return with_outputs(qs)


def job_page(queryset: QuerySet[Job], *, cursor: str | None, size: int = JOB_HISTORY_PAGE_SIZE):
    """A page of jobs, newest first, after `cursor`: the gallery's keyset pages, which
    work on any rows ordered by (`created_at`, `id`)."""
    return gallery_page(queryset, cursor=cursor, size=size)

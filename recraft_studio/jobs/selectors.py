"""Reads of jobs, scoped to the workspaces the user belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Prefetch, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from recraft_studio.assets.models import Asset
from recraft_studio.assets.selectors import gallery_page
from recraft_studio.workspaces.selectors import workspaces_for

from .models import FINISHED, Job, JobStatus
from .scheduler import job_forecast, scheduler_alive

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


# --- the queue, explained ----------------------------------------------------------------


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _about(seconds: float) -> str:
    if seconds < 1.5:
        return "about a second"
    if seconds < 90:
        return f"about {round(seconds)} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"about {minutes} min"
    return f"about {round(minutes / 60)} h"


def _until(moment) -> float:
    return max((moment - timezone.now()).total_seconds(), 0.0)


def job_waiting(job: Job) -> str:
    """Why an unfinished job is not done yet, and for how long, in words for its card."""
    if job.status in FINISHED:
        return ""
    if job.status == JobStatus.QUEUED:
        if job.not_before and job.not_before > timezone.now():
            retry = job.waiting or "Waiting to try again."
            return f"{retry} Next try in {_about(_until(job.not_before))}."
        forecast = job_forecast(job.pk)
        if forecast is None:
            if not scheduler_alive():
                return (
                    "Waiting: the studio's job scheduler is not running, so nothing starts. "
                    "An administrator needs to start it."
                )
            return job.waiting or "Waiting for its turn."
        if forecast.get("reason"):
            return forecast["reason"]
        if forecast.get("rate_limited"):
            return (
                "Waiting for the API's rate limit: it refused a call a moment ago, "
                f"so the team's jobs wait {_about(forecast['eta'])}."
            )
        place = _ordinal(forecast["position"])
        limit = forecast["limit"]
        if forecast["eta"] < 1:
            return f"{place.capitalize()} in line for your team's {limit} images/min; starting now."
        return (
            f"{place.capitalize()} in line for your team's {limit} images/min, "
            f"{_about(forecast['eta'])}."
        )
    if job.status == JobStatus.DISPATCHED:
        return "Starting: waiting for a free worker."
    if job.status == JobStatus.RUNNING:
        return "The Recraft API is making the images."
    if job.status == JobStatus.GENERATED:
        if job.not_before and job.not_before > timezone.now():
            return f"{job.waiting} Next try in {_about(_until(job.not_before))}."
        return "Storing the images."
    return ""


@dataclass(frozen=True)
class PersonQueue:
    """One person's part of the workspace's queue, for the queue panel."""

    name: str
    waiting: int
    waiting_images: int
    running: int
    started_images: int  # in the last `SHARE_MINUTES`
    share: float  # of the images the workspace started in that time


SHARE_MINUTES = 10


def queue_overview(*, workspace) -> tuple[list[Job], list[PersonQueue]]:
    """Everything waiting and running in the workspace (in the order it will start, as
    far as the forecast knows), and each person's part of it."""
    unfinished = list(
        Job.objects.filter(workspace=workspace)
        .exclude(status__in=FINISHED)
        .select_related("project", "created_by")
        .order_by("queue_seq")[:500]
    )
    since = timezone.now() - timedelta(minutes=SHARE_MINUTES)
    started = dict(
        Job.objects.filter(workspace=workspace, dispatched_at__gte=since)
        .values_list("created_by__username")
        .annotate(images=Sum("n_outputs"))
        .values_list("created_by__username", "images")
    )
    total = sum(started.values()) or 0
    people: dict[str, dict] = {}
    for job in unfinished:
        name = job.created_by.get_username() if job.created_by else "(removed)"
        entry = people.setdefault(name, {"waiting": 0, "waiting_images": 0, "running": 0})
        if job.status == JobStatus.QUEUED:
            entry["waiting"] += 1
            entry["waiting_images"] += job.n_outputs
        else:
            entry["running"] += 1
    for name in started:
        people.setdefault(name or "(removed)", {"waiting": 0, "waiting_images": 0, "running": 0})
    overview = [
        PersonQueue(
            name=name,
            started_images=started.get(name, 0),
            share=(started.get(name, 0) / total) if total else 0.0,
            **counts,
        )
        for name, counts in sorted(people.items())
    ]

    def place(job: Job):
        forecast = job_forecast(job.pk) if job.status == JobStatus.QUEUED else None
        position = (forecast or {}).get("position")
        return (job.status == JobStatus.QUEUED, position or 10**9, job.queue_seq)

    unfinished.sort(key=place)
    return unfinished, overview


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

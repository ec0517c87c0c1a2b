"""Reads of jobs, scoped to the workspaces the user belongs to."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from recraft_studio.assets.models import Asset
from recraft_studio.workspaces.selectors import workspaces_for

from .models import Job


def jobs_for(user) -> QuerySet[Job]:
    return Job.objects.filter(workspace__in=workspaces_for(user))


def job_get(*, user, job_id) -> Job:
    try:
        return jobs_for(user).select_related("project", "workspace").get(pk=job_id)
    except (Job.DoesNotExist, ValueError):
        raise Http404("No such job.")


def project_jobs_recent(*, project, limit: int = 10) -> QuerySet[Job]:
    """The project's latest jobs, for the status strip above the gallery."""
    return project.jobs.select_related("created_by").order_by("-created_at")[:limit]


def source_jobs_recent(*, asset: Asset, limit: int = 10) -> QuerySet[Job]:
    """The latest jobs run on `asset` as their source, for the tool page."""
    return asset.derived_jobs.select_related("created_by").order_by("-created_at")[:limit]

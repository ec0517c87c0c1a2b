"""The audit trail and the spend summary, for the workspace's owners."""

import csv

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from recraft_studio.workspaces.selectors import membership_get

from . import selectors
from .forms import TrailFilterForm

CSV_COLUMNS = [
    "time",
    "actor",
    "action",
    "project",
    "target_type",
    "target_id",
    "estimated_units",
    "actual_units",
    "details",
]


class _Echo:
    def write(self, value):
        return value


def _csv(events):
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for e in events.iterator(chunk_size=500):
        yield writer.writerow(
            [
                e.created_at.isoformat(),
                e.actor_name,
                e.verb,
                e.project.name if e.project else "",
                e.target_type,
                e.target_id,
                e.estimated_cost,
                e.actual_cost,
                e.data,
            ]
        )


@login_required
@require_GET
def trail(request, workspace_slug):
    membership = membership_get(user=request.user, workspace_slug=workspace_slug)
    if not membership.can_manage_members:
        raise PermissionDenied("Only owners read the audit trail.")
    workspace = membership.workspace
    form = TrailFilterForm(
        request.GET or None,
        verbs=selectors.audit_verbs(workspace=workspace),
        actors=selectors.audit_actors(workspace=workspace),
        projects=workspace.projects.all(),
    )
    filters = selectors.TrailFilters()
    if form.is_bound and form.is_valid():
        filters = selectors.TrailFilters(**form.cleaned_data)
    events = selectors.audit_events_for(workspace=workspace, filters=filters)
    if request.GET.get("format") == "csv":
        response = StreamingHttpResponse(_csv(events), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{workspace.slug}-audit.csv"'
        return response
    try:
        before = int(request.GET.get("before", "") or 0) or None
    except ValueError:
        before = None
    items, next_before = selectors.events_page(events, before=before)
    month_start = selectors.month_start()
    context = {
        "membership": membership,
        "workspace": workspace,
        "form": form,
        "events": items,
        "next_before": next_before,
        "query": request.GET.copy(),
        "spend": selectors.spend_of_month(workspace=workspace),
        "month_start": month_start,
    }
    template = "audit/trail.html"
    if request.htmx and request.htmx.target == "trail-more":
        return render(request, f"{template}#rows", context)
    return render(request, template, context)

"""The audit trail and the spend summary, for the workspace's owners."""

import csv
import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from recraft_studio.core.spreadsheets import row as csv_row
from recraft_studio.workspaces.selectors import membership_get

from . import selectors
from .forms import TrailFilterForm
from .sentences import describe

CSV_COLUMNS = [
    "time",
    "actor",
    "action",
    "what_happened",
    "project",
    "target_type",
    "target_id",
    "changes",
    "estimated_units",
    "actual_units",
    "details",
]


class _Echo:
    def write(self, value):
        return value


def _changes_text(described) -> str:
    return "; ".join(f"{c.label}: {c.before} → {c.after}" for c in described.changes)


def _csv(events):
    """Every cell through `spreadsheets.cell`: a project called "=HYPERLINK(…)" stays
    text when the file is opened in a spreadsheet; details are JSON, not Python."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for e in events.iterator(chunk_size=500):
        described = describe(e)
        yield writer.writerow(
            csv_row(
                [
                    e.created_at.isoformat(),
                    e.actor_name,
                    e.verb,
                    described.text,
                    e.project.name if e.project else "",
                    e.target_type,
                    e.target_id,
                    _changes_text(described),
                    e.estimated_cost,
                    e.actual_cost,
                    e.data if e.data else "",
                ]
            )
        )


def _jsonl(events):
    """One JSON object per line: the event as stored, with its sentence and changes."""
    for e in events.iterator(chunk_size=500):
        described = describe(e)
        yield (
            json.dumps(
                {
                    "id": e.pk,
                    "time": e.created_at.isoformat(),
                    "actor": e.actor_name,
                    "action": e.verb,
                    "what_happened": described.text,
                    "project": e.project.name if e.project else None,
                    "target": {"type": e.target_type, "id": e.target_id} if e.target_type else None,
                    "changes": [
                        {"field": c.label, "before": c.before, "after": c.after}
                        for c in described.changes
                    ],
                    "estimated_units": e.estimated_cost,
                    "actual_units": e.actual_cost,
                    "data": e.data,
                },
                ensure_ascii=False,
                default=str,
            )
            + "\n"
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
    export = request.GET.get("format")
    if export in ("csv", "jsonl"):
        if export == "csv":
            response = StreamingHttpResponse(_csv(events), content_type="text/csv; charset=utf-8")
        else:
            response = StreamingHttpResponse(
                _jsonl(events), content_type="application/jsonl; charset=utf-8"
            )
        response["Content-Disposition"] = f'attachment; filename="{workspace.slug}-audit.{export}"'
        return response
    try:
        before = int(request.GET.get("before", "") or 0) or None
    except ValueError:
        before = None
    items, next_before = selectors.events_page(events, before=before)
    month_start = selectors.month_start()
    query = request.GET.copy()
    query.pop("before", None)
    query.pop("format", None)
    context = {
        "membership": membership,
        "workspace": workspace,
        "form": form,
        "events": items,
        "rows": [(e, describe(e)) for e in items],
        "next_before": next_before,
        "query": query,
        "target": filters.target,
        "spend": selectors.spend_of_month(workspace=workspace),
        "month_start": month_start,
    }
    template = "audit/trail.html"
    if request.htmx and request.htmx.target == "trail-more":
        return render(request, f"{template}#rows", context)
    return render(request, template, context)

"""The audit trail and the spend summary, for the workspace's owners."""

import csv
import json
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from recraft_studio.core.spreadsheets import row as csv_row
from recraft_studio.workspaces.selectors import membership_get

from . import charts, selectors
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


# --- spend ------------------------------------------------------------------------------------


def _month_param(value: str | None):
    """The month a `?month=YYYY-MM` names; this month when it is missing or malformed."""
    from datetime import date

    try:
        year, month = (int(p) for p in (value or "").split("-"))
        return date(year, month, 1)
    except (TypeError, ValueError):
        return selectors.month_of()


def _owner(request, workspace_slug):
    membership = membership_get(user=request.user, workspace_slug=workspace_slug)
    if not membership.can_manage_members:
        raise PermissionDenied("Only owners see the workspace's spend.")
    return membership


@login_required
@require_http_methods(["GET", "POST"])
def spend(request, workspace_slug):
    """Units and dollars by day, project, person and tool, as charts and tables, with
    the budgets; owners set each project's monthly budget here (POST)."""
    from recraft_studio.workspaces.forms import BudgetForm
    from recraft_studio.workspaces.services import project_budget_set

    membership = _owner(request, workspace_slug)
    workspace = membership.workspace
    month = _month_param(request.GET.get("month"))
    errors = {}
    if request.method == "POST":
        project = workspace.projects.filter(pk=request.POST.get("project") or 0).first()
        if project is None:
            raise Http404("No such project.")
        form = BudgetForm(request.POST)
        if form.is_valid():
            budget = form.cleaned_data["monthly_budget"]
            project_budget_set(membership=membership, project=project, budget=budget)
            messages.success(
                request,
                f"{project.name}'s monthly budget is now {budget:,} API units."
                if budget
                else f"{project.name} has no monthly budget of its own now.",
            )
            return redirect(request.get_full_path())
        # The form's errors name the field's label already (LabelledErrorsMixin).
        errors[project.pk] = form.errors["monthly_budget"]
    report = selectors.spend_report(workspace=workspace, month=month)
    this_month = selectors.month_of()
    previous = (month - timedelta(days=1)).replace(day=1)
    following = (month + timedelta(days=32)).replace(day=1)
    projects = list(workspace.projects.order_by("name"))
    charged = {r.key: r for r in report.by_project}
    return render(
        request,
        "audit/spend.html",
        {
            "membership": membership,
            "workspace": workspace,
            "report": report,
            "month": month,
            "month_param": f"{month:%Y-%m}",
            "previous": f"{previous:%Y-%m}",
            "following": f"{following:%Y-%m}" if following <= this_month else "",
            "is_this_month": month == this_month,
            "budget_rows": [(p, charged.get(p.pk), errors.get(p.pk)) for p in projects],
            "warnings": selectors.budget_warnings(workspace=workspace)
            if month == this_month
            else [],
        },
    )


CHARTS = {
    "cumulative": lambda r: charts.cumulative(r),
    "days": lambda r: charts.daily(r),
    "projects": lambda r: charts.breakdown("By project", r.by_project, with_budgets=True),
    "people": lambda r: charts.breakdown("By person", r.by_person),
    "tools": lambda r: charts.breakdown("By tool", r.by_tool),
}


@login_required
@require_GET
def spend_chart(request, workspace_slug, kind):
    """One of the spend page's charts, as an SVG image."""
    membership = _owner(request, workspace_slug)
    if kind not in CHARTS:
        raise Http404("No such chart.")
    report = selectors.spend_report(
        workspace=membership.workspace, month=_month_param(request.GET.get("month"))
    )
    response = HttpResponse(CHARTS[kind](report), content_type="image/svg+xml")
    # As for every SVG the studio serves: nothing in it may run or load anything.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["Cache-Control"] = "private, no-cache"
    return response

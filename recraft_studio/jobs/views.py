"""Pages that start jobs and follow them: the generate form, the tools, job cards."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling, trigger_client_event

from recraft_studio.assets import files
from recraft_studio.assets import selectors as asset_selectors
from recraft_studio.assets.responses import stored_file_response
from recraft_studio.assets.views import gallery_context
from recraft_studio.brand.selectors import palettes_for
from recraft_studio.recraft import catalog
from recraft_studio.recraft.catalog import Op
from recraft_studio.recraft.validation import RequestInvalid
from recraft_studio.workspaces.selectors import (
    membership_get,
    project_generate_initial,
    project_get,
)

from . import reconcile, selectors, services
from .forms import (
    TOOL_FORMS,
    GenerateForm,
    HourlyCapForm,
    JobFilterForm,
    initial_from_job,
    tool_menu,
)
from .scheduler import scheduler_alive
from .tasks import balance_check_workspace

ASSETS_CHANGED = "assets-changed"


def _project_context(request, membership, project, form):
    return {
        **gallery_context(request, membership, project),
        "membership": membership,
        "workspace": membership.workspace,
        "project": project,
        "form": form,
        "jobs": selectors.project_jobs_recent(project=project),
    }


@login_required
@require_http_methods(["GET", "POST"])
def project_detail(request, workspace_slug, project_slug):
    membership, project = project_get(
        user=request.user, workspace_slug=workspace_slug, project_slug=project_slug
    )
    template = "jobs/project.html"
    if request.method == "POST":
        if not membership.can_generate:
            raise PermissionDenied("Your role in this workspace cannot generate images.")
        form = GenerateForm(request.POST, workspace=membership.workspace)
        if form.is_valid():
            try:
                services.job_submit(
                    membership=membership,
                    project=project,
                    params=form.to_params(),
                    brand_style=form.brand_style,
                )
            except RequestInvalid as exc:
                form.add_api_errors(exc.errors)
            else:
                if not request.htmx:
                    return redirect(request.path)
        context = _project_context(request, membership, project, form)
        if request.htmx:
            return render(request, f"{template}#generate-response", context)
        return render(request, template, context)

    target = request.htmx.target if request.htmx else None
    # The form starts from the project's defaults (set on its settings page).
    form = GenerateForm(workspace=membership.workspace, initial=project_generate_initial(project))
    context = _project_context(request, membership, project, form)
    if target == "gallery":
        return render(request, f"{template}#gallery", context)
    if target == "gallery-more":
        return render(request, "assets/gallery.html#gallery-page", context)
    return render(request, template, context)


def _card(request, job, membership, *, status=200):
    response = render(request, "jobs/project.html#job-card", {"job": job, "membership": membership})
    response.status_code = status
    return response


def _job_and_membership(request, job_id):
    job = selectors.job_get(user=request.user, job_id=job_id)
    return job, membership_get(user=request.user, workspace_slug=job.workspace.slug)


@login_required
@require_GET
def job_status(request, job_id):
    """A job's card; htmx polls it until the job finishes, then stops."""
    job, membership = _job_and_membership(request, job_id)
    if job.is_finished and request.htmx:
        response = _card(request, job, membership, status=HttpResponseStopPolling.status_code)
        trigger_client_event(response, ASSETS_CHANGED, {"job": str(job.id)})
        return response
    return _card(request, job, membership)


def _after_action(request, job, membership):
    if not request.htmx:
        return redirect(
            request.POST.get("next")
            or reverse("project", args=[job.workspace.slug, job.project.slug])
        )
    return _card(request, job, membership)


@login_required
@require_POST
def job_cancel(request, job_id):
    """Withdraw a job whose call has not been sent; answers with its card."""
    job, membership = _job_and_membership(request, job_id)
    job = services.job_cancel(membership=membership, job=job)
    return _after_action(request, job, membership)


@login_required
@require_POST
def job_retry(request, job_id):
    """Run a failed job again, reusing a paid answer; answers with its card."""
    job, membership = _job_and_membership(request, job_id)
    try:
        job = services.job_retry(membership=membership, job=job)
    except RequestInvalid as exc:
        messages.error(request, " ".join(e.message for e in exc.errors))
        job.refresh_from_db()
    return _after_action(request, job, membership)


@login_required
@require_POST
def job_move_to_front(request, job_id):
    """Put one of one's own waiting jobs first in one's own line."""
    job, membership = _job_and_membership(request, job_id)
    job = services.job_move_to_front(membership=membership, job=job)
    return _after_action(request, job, membership)


@login_required
@require_http_methods(["GET", "POST"])
def queue_panel(request, workspace_slug):
    """Everything waiting and running in the workspace, by person, with their share;
    owners pause and resume the workspace or a project and cap images per person."""
    membership = membership_get(user=request.user, workspace_slug=workspace_slug)
    workspace = membership.workspace
    cap_form = HourlyCapForm(initial={"images": workspace.member_hourly_images})
    if request.method == "POST":
        action = request.POST.get("action")
        if action in ("pause", "resume"):
            project = None
            if request.POST.get("project"):
                project = get_object_or_404(workspace.projects, pk=request.POST["project"])
            services.queue_pause(membership=membership, project=project, paused=action == "pause")
            return redirect("workspace_queue", workspace_slug=workspace.slug)
        if action == "cap":
            cap_form = HourlyCapForm(request.POST)
            if not membership.can_manage_members:
                raise PermissionDenied("Only owners set the hourly cap.")
            if cap_form.is_valid():
                services.member_hourly_images_set(
                    membership=membership, images=cap_form.cleaned_data["images"]
                )
                messages.success(request, "The hourly cap is saved.")
                return redirect("workspace_queue", workspace_slug=workspace.slug)
    jobs, people = selectors.queue_overview(workspace=workspace)
    context = {
        "membership": membership,
        "workspace": workspace,
        "jobs": jobs,
        "people": people,
        "projects": workspace.projects.order_by("name"),
        "cap_form": cap_form,
        "share_minutes": selectors.SHARE_MINUTES,
        "scheduler_alive": scheduler_alive(),
    }
    if request.htmx and request.htmx.target == "queue-body":
        return render(request, "jobs/queue.html#queue-body", context)
    return render(request, "jobs/queue.html", context)


@login_required
@require_GET
def job_input(request, job_id, name):
    """A file a job sent to the API (the image or mask), kept for lineage and remix."""
    job = selectors.job_get(user=request.user, job_id=job_id)
    key = job.inputs.get(name)
    if not key:
        raise Http404("The job sent no such file.")
    content_type = INPUT_TYPES.get(key.rsplit(".", 1)[-1], "application/octet-stream")
    return stored_file_response(request, key, content_type=content_type)


INPUT_TYPES = {ext: content_type for content_type, ext in files.EXTENSIONS.items()}


# --- editing ----------------------------------------------------------------------------------


def _tool_form(op, asset, membership, *, data=None, upload=None, initial=None, check=True):
    return TOOL_FORMS[op](
        data,
        upload,
        initial=initial,
        source=asset,
        workspace=membership.workspace,
        check_source=check,
    )


def _remix_of(request, asset, op):
    """The earlier result `?remix=` names, when it was made by this tool from this asset."""
    remix_id = request.GET.get("remix")
    if not remix_id:
        return None
    try:
        remix_id = uuid.UUID(remix_id)
    except ValueError:
        raise Http404("The image to remix is not one of yours.")
    try:
        remix = asset_selectors.asset_get(user=request.user, asset_id=remix_id)
    except Http404:
        return None
    if remix.parent_id != asset.pk or remix.job is None or remix.job.operation != op:
        return None
    return remix


def _edit_context(request, membership, asset, op, form, *, remix=None):
    spec = catalog.OPERATIONS[op]
    upscale_url = None
    problem = form.problem
    if problem is not None and problem.needs_upscale and op != Op.CRISP_UPSCALE:
        upscale_url = reverse("asset_edit", args=[asset.pk, str(Op.CRISP_UPSCALE)])
    initial_mask_url = ""
    if remix is not None and "mask" in remix.job.inputs:
        initial_mask_url = reverse("job_input", args=[remix.job_id, "mask"])
    return {
        "asset": asset,
        "project": asset.project,
        "workspace": asset.workspace,
        "membership": membership,
        "op": str(op),
        "tool": spec,
        "form": form,
        "tools": tool_menu(asset),
        "jobs": selectors.source_jobs_recent(asset=asset),
        "results": asset.children.order_by("-created_at")[:24],
        "remix": remix,
        "initial_mask_url": initial_mask_url,
        "upscale_url": upscale_url,
        "tool_url": reverse("asset_edit", args=[asset.pk, str(op)]),
    }


@login_required
@require_http_methods(["GET", "POST"])
def asset_edit(request, asset_id, operation):
    """One tool on one image: its form, its price, and the jobs it has run here."""
    membership, asset = asset_selectors.asset_get_with_membership(
        user=request.user, asset_id=asset_id
    )
    try:
        op = Op(operation)
        TOOL_FORMS[op]
    except (ValueError, KeyError):
        raise Http404("No such tool.")
    if not membership.can_generate:
        raise PermissionDenied("Your role in this workspace cannot edit images.")
    template = "jobs/edit.html"
    target = request.htmx.target if request.htmx else None

    if request.method == "POST":
        form = _tool_form(op, asset, membership, data=request.POST, upload=request.FILES)
        submitted = False
        if form.is_valid():
            try:
                services.job_submit(
                    membership=membership,
                    project=asset.project,
                    operation=op,
                    params=form.to_params(),
                    inputs=form.inputs(),
                    source_asset=asset,
                    brand_style=getattr(form, "brand_style", None),
                )
                submitted = True
            except RequestInvalid as exc:
                form.add_api_errors(exc.errors)
        if submitted and not request.htmx:
            return redirect(request.path)
        context = _edit_context(request, membership, asset, op, form)
        if request.htmx:
            return render(request, f"{template}#tool-response", context)
        return render(request, template, context)

    if target == "tool-results":
        context = _edit_context(
            request, membership, asset, op, _tool_form(op, asset, membership, check=False)
        )
        return render(request, f"{template}#tool-results", context)
    remix = _remix_of(request, asset, op)
    initial = None
    if remix is not None:
        initial = initial_from_job(remix.job, palettes=palettes_for(workspace=asset.workspace))
    form = _tool_form(op, asset, membership, initial=initial)
    return render(
        request, template, _edit_context(request, membership, asset, op, form, remix=remix)
    )


@login_required
@require_GET
def asset_remix(request, asset_id):
    """Open the form that made this image again, with what it was sent.

    A generation reopens the project's generate form; a tool result reopens that tool
    on the image it was made from.
    """
    membership, asset = asset_selectors.asset_get_with_membership(
        user=request.user, asset_id=asset_id
    )
    if not membership.can_generate:
        raise PermissionDenied("Your role in this workspace cannot generate images.")
    job = asset.job
    if job is None:
        messages.info(request, "An uploaded image has nothing to remix; use a tool on it.")
        return redirect("asset", asset_id=asset.pk)
    if job.operation == Op.GENERATE:
        initial = initial_from_job(job, palettes=palettes_for(workspace=asset.workspace))
        form = GenerateForm(initial=initial, workspace=membership.workspace)
        context = _project_context(request, membership, asset.project, form)
        context["remix"] = asset
        return render(request, "jobs/project.html", context)
    if asset.parent_id is None:
        messages.info(request, "The image this was made from is gone, so it cannot be remixed.")
        return redirect("asset", asset_id=asset.pk)
    url = reverse("asset_edit", args=[asset.parent_id, job.operation])
    return redirect(f"{url}?{urlencode({'remix': asset.pk})}")


@login_required
@require_http_methods(["GET", "POST"])
def account_panel(request, workspace_slug):
    """The Recraft account's balance as last read, and (for owners) how it reconciles
    with the charges the studio recorded. Never waits on the API: reading the balance
    again is a task, and the panel polls until the new reading is in."""
    membership = membership_get(user=request.user, workspace_slug=workspace_slug)
    workspace = membership.workspace
    # While a reading asked for at `asked` (a timestamp) is not in, the panel polls.
    asked = request.GET.get("asked", "")
    if request.method == "POST":
        asked = str(timezone.now().timestamp())
        balance_check_workspace.delay(workspace.pk)
        if not request.htmx:
            return redirect(reverse("workspace_settings", args=[workspace.slug]))
    context = reconcile.account_context(workspace, owner=membership.can_manage_members)
    try:
        asked_at = float(asked)
    except ValueError:
        asked_at = 0.0
    latest, failure = context["latest"], context.get("failure")
    answered = (latest is not None and latest.checked_at.timestamp() >= asked_at) or (
        failure is not None and failure["at"] >= asked_at
    )
    waited_too_long = timezone.now().timestamp() - asked_at > 60
    context.update(
        workspace=workspace,
        membership=membership,
        asked=asked if asked_at and not answered and not waited_too_long else "",
    )
    if request.htmx:
        return render(request, "jobs/account.html#account-panel", context)
    return render(request, "jobs/account.html", context)


# --- job history ------------------------------------------------------------------------------


@login_required
@require_GET
def job_history(request, workspace_slug, project_slug=None):
    """Every job of the workspace (or of one project), filtered, newest first, page by page.

    "My jobs" is the same page with `author` set to the person; each job lists its
    outputs, so a job leads to its images.
    """
    if project_slug is None:
        membership = membership_get(user=request.user, workspace_slug=workspace_slug)
        project = None
    else:
        membership, project = project_get(
            user=request.user, workspace_slug=workspace_slug, project_slug=project_slug
        )
    workspace = membership.workspace
    filter_form = JobFilterForm(
        request.GET or None,
        projects=workspace.projects.order_by("name"),
        members=selectors.job_history_members(workspace=workspace),
        with_project=project is None,
    )
    page = selectors.job_page(
        selectors.job_history(workspace=workspace, project=project, filters=filter_form.filters()),
        cursor=request.GET.get("cursor"),
    )
    if project is None:
        history_url = reverse("workspace_jobs", args=[workspace.slug])
    else:
        history_url = reverse("project_jobs", args=[workspace.slug, project.slug])
    context = {
        "membership": membership,
        "workspace": workspace,
        "project": project,
        "filter_form": filter_form,
        "page": page,
        "jobs": page.items,
        "history_url": history_url,
        "mine_query": f"author={request.user.pk}",
        "next_query": filter_form.query(cursor=page.next_cursor) if page.next_cursor else "",
    }
    template = "jobs/history.html"
    target = request.htmx.target if request.htmx else None
    if target == "job-history":
        return render(request, f"{template}#results", context)
    if target == "job-history-more":
        return render(request, f"{template}#job-page", context)
    return render(request, template, context)

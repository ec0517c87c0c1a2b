"""Pages for generating, following jobs, browsing the gallery and fetching files.

Views stay thin: a selector finds what the user may see (404 otherwise), a form
checks input, a service writes. htmx requests get a named partial of the same page.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseStopPolling, trigger_client_event

from recraft_studio.recraft.validation import RequestInvalid
from recraft_studio.workspaces.selectors import project_get

from . import selectors, services
from .forms import GenerateForm

ASSETS_CHANGED = "assets-changed"


def _project_context(request, membership, project, form):
    page = selectors.gallery_page(project.assets.all(), cursor=request.GET.get("cursor"))
    return {
        "membership": membership,
        "workspace": membership.workspace,
        "project": project,
        "form": form,
        "jobs": selectors.project_jobs_recent(project=project),
        "page": page,
    }


@login_required
@require_http_methods(["GET", "POST"])
def project_detail(request, workspace_slug, project_slug):
    membership, project = project_get(
        user=request.user, workspace_slug=workspace_slug, project_slug=project_slug
    )
    template = "assets/project.html"
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
    if target == "substyle-field":
        form = GenerateForm(data=request.GET, workspace=membership.workspace)
        return render(request, f"{template}#substyle-field", {"form": form})
    form = GenerateForm(workspace=membership.workspace)
    context = _project_context(request, membership, project, form)
    if target == "gallery":
        return render(request, f"{template}#gallery", context)
    if target == "gallery-more":
        return render(request, f"{template}#gallery-page", context)
    return render(request, template, context)


@login_required
@require_GET
def job_status(request, job_id):
    """A job's card; htmx polls it until the job finishes, then stops."""
    job = selectors.job_get(user=request.user, job_id=job_id)
    response = render(request, "assets/project.html#job-card", {"job": job})
    if job.is_finished and request.htmx:
        response.status_code = HttpResponseStopPolling.status_code
        trigger_client_event(response, ASSETS_CHANGED, {"job": str(job.id)})
    return response


@login_required
@require_GET
def asset_detail(request, asset_id):
    asset = selectors.asset_get(user=request.user, asset_id=asset_id)
    return render(
        request,
        "assets/asset.html",
        {
            "asset": asset,
            "project": asset.project,
            "workspace": asset.workspace,
            "children": asset.children.all(),
        },
    )


def _serve(request, asset, key, *, content_type, download_name=None):
    etag = f'"{key.rsplit("/", 1)[-1]}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified()
    response = FileResponse(
        default_storage.open(key, "rb"),
        content_type=content_type,
        as_attachment=download_name is not None,
        filename=download_name or "",
    )
    response["ETag"] = etag
    # Content-addressed: the bytes behind a key never change. Private: only members.
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    if content_type == "image/svg+xml":
        # An SVG opened directly must never run script or load anything in our origin.
        response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response


@login_required
@require_GET
def asset_file(request, asset_id):
    """The original as the API produced it; `?download=1` saves it under a clean name."""
    asset = selectors.asset_get(user=request.user, asset_id=asset_id)
    name = asset.download_name if request.GET.get("download") else None
    return _serve(request, asset, asset.file_key, content_type=asset.content_type, download_name=name)


@login_required
@require_GET
def asset_thumb(request, asset_id):
    asset = selectors.asset_get(user=request.user, asset_id=asset_id)
    content_type = "image/svg+xml" if asset.thumb_key.endswith(".svg") else "image/webp"
    return _serve(request, asset, asset.thumb_key, content_type=content_type)

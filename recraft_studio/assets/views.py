"""Pages for generating, editing, following jobs, browsing galleries and fetching files.

Views stay thin: a selector finds what the user may see (404 otherwise), a form
checks input, a service writes. htmx requests get a named partial of the same page.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from recraft_studio.jobs.forms import tool_menu
from recraft_studio.jobs.selectors import source_jobs_recent
from recraft_studio.recraft.validation import FieldError
from recraft_studio.workspaces.selectors import (
    membership_get,
    project_get,
)

from . import files, images, renditions, selectors, services
from .forms import DownloadForm, GalleryFilterForm, UploadForm
from .responses import stored_file_response

STORAGE_DOWN = (
    "The studio's image storage cannot be reached right now, so nothing was kept. "
    "Try again in a minute."
)

ASSETS_CHANGED = "assets-changed"


@login_required
@require_GET
def asset_detail(request, asset_id):
    """An image with where it came from, what was made from it, and every tool."""
    membership, asset = selectors.asset_get_with_membership(user=request.user, asset_id=asset_id)
    template = "assets/asset.html"
    context = {
        "asset": asset,
        "project": asset.project,
        "workspace": asset.workspace,
        "membership": membership,
        "job": asset.job,
        "descendants": selectors.asset_descendants(asset),
        "jobs": source_jobs_recent(asset=asset, limit=5),
    }
    if request.htmx and request.htmx.target == "made-from-this":
        return render(request, f"{template}#made-from-this", context)
    job = asset.job
    context.update(
        ancestors=selectors.asset_ancestors(asset),
        tools=tool_menu(asset) if membership.can_generate else [],
        neighbours=selectors.asset_neighbours(asset),
        # An edit is compared with what it was made from; a generation has no "before".
        compare_with=asset.parent if asset.parent_id and job is not None else None,
        mask_used="mask" in job.inputs if job is not None else False,
        download_form=DownloadForm(asset=asset),
    )
    return render(request, template, context)


@login_required
@require_GET
def asset_download(request, asset_id):
    """The image as asked: PNG, JPG or WEBP (a vector also SVG), at 1×, 2× or a width.

    The copy is made once and kept under a content-addressed key, so asking again
    serves it from storage; its size is capped before anything is decoded.
    """
    asset = selectors.asset_get(user=request.user, asset_id=asset_id)
    form = DownloadForm(request.GET, asset=asset)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(f"{reverse('asset', args=[asset.pk])}#download")
    fmt, width = form.cleaned_data["format"], form.cleaned_data["target_width"]
    name = asset.download_name_for(fmt)
    if fmt == asset.extension and width == asset.width:
        return stored_file_response(
            request, asset.file_key, content_type=asset.content_type, download_name=name
        )
    try:
        key, content_type = services.rendition_get_or_make(asset=asset, fmt=fmt, width=width)
    except renditions.RenditionRefused as exc:
        messages.error(request, f"Download: {exc}")
        return redirect(f"{reverse('asset', args=[asset.pk])}#download")
    return stored_file_response(request, key, content_type=content_type, download_name=name)


@login_required
@require_GET
def asset_file(request, asset_id):
    """The original as the API produced it; `?download=1` saves it under a clean name."""
    asset = selectors.asset_get(user=request.user, asset_id=asset_id)
    name = asset.download_name if request.GET.get("download") else None
    return stored_file_response(
        request, asset.file_key, content_type=asset.content_type, download_name=name
    )


@login_required
@require_GET
def asset_thumb(request, asset_id):
    asset = selectors.asset_get(user=request.user, asset_id=asset_id)
    content_type = "image/svg+xml" if asset.thumb_key.endswith(".svg") else "image/webp"
    return stored_file_response(request, asset.thumb_key, content_type=content_type)


# --- uploads ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def asset_upload(request, workspace_slug, project_slug):
    """Bring an image into the project; refused files come back with the fix on offer."""
    membership, project = project_get(
        user=request.user, workspace_slug=workspace_slug, project_slug=project_slug
    )
    if not membership.can_generate:
        raise PermissionDenied("Your role in this workspace cannot upload images.")
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    pending = ""
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data.get("pending"):
                data = services.upload_unstash(
                    membership=membership, project=project, token=form.cleaned_data["pending"]
                )
                data = images.fix(data, images.UPLOAD_LIMITS)
            else:
                data = form.data_bytes
            asset = services.asset_upload(membership=membership, project=project, data=data)
        except FieldError as error:
            form.add_error("file", error.message)
        except files.StorageUnavailable:
            form.add_error("file", STORAGE_DOWN)
        else:
            return redirect("asset", asset_id=asset.pk)
    elif form.problem is not None and (form.problem.can_fit or form.problem.can_convert):
        # Kept for the one click that applies the fix (see `services.upload_unstash`).
        try:
            pending = services.upload_stash(
                membership=membership, project=project, data=form.data_bytes
            )
        except files.StorageUnavailable:
            form.add_error("file", STORAGE_DOWN)
    return render(
        request,
        "assets/upload.html",
        {
            "membership": membership,
            "workspace": membership.workspace,
            "project": project,
            "form": form,
            "problem": form.problem,
            "pending": pending,
        },
    )


# --- galleries --------------------------------------------------------------------------------


def gallery_context(request, membership, project=None):
    """A gallery page: the filters from the query string, and one keyset page.

    The number of queries is fixed: the filter choices (projects, brand styles,
    members; one query each) and the page itself, whatever the filters or the page.
    """
    workspace = membership.workspace
    choices = selectors.gallery_choices(workspace=workspace)
    filter_form = GalleryFilterForm(
        request.GET or None, choices=choices, with_project=project is None
    )
    queryset = selectors.gallery_assets(
        workspace=workspace, project=project, filters=filter_form.filters()
    )
    page = selectors.gallery_page(queryset, cursor=request.GET.get("cursor"))
    if project is None:
        gallery_url = reverse("workspace_gallery", args=[workspace.slug])
    else:
        gallery_url = reverse("project_gallery", args=[workspace.slug, project.slug])
    return {
        "filter_form": filter_form,
        "page": page,
        "gallery_url": gallery_url,
        "next_query": filter_form.query(cursor=page.next_cursor) if page.next_cursor else "",
        "show_project": project is None,
    }


@login_required
@require_GET
def gallery(request, workspace_slug, project_slug=None):
    """The workspace's images (or one project's), filtered, newest first, page by page."""
    if project_slug is None:
        membership = membership_get(user=request.user, workspace_slug=workspace_slug)
        project = None
    else:
        membership, project = project_get(
            user=request.user, workspace_slug=workspace_slug, project_slug=project_slug
        )
    context = {
        **gallery_context(request, membership, project),
        "membership": membership,
        "workspace": membership.workspace,
        "project": project,
    }
    template = "assets/gallery.html"
    target = request.htmx.target if request.htmx else None
    if target == "gallery-results":
        return render(request, f"{template}#results", context)
    if target == "gallery-more":
        return render(request, f"{template}#gallery-page", context)
    return render(request, template, context)

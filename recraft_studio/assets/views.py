"""Pages for generating, editing, following jobs, browsing galleries and fetching files.

Views stay thin: a selector finds what the user may see (404 otherwise), a form
checks input, a service writes. htmx requests get a named partial of the same page.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import (
    HttpResponseClientRedirect,
    HttpResponseStopPolling,
    trigger_client_event,
)

from recraft_studio.jobs.forms import tool_menu
from recraft_studio.jobs.selectors import source_jobs_recent
from recraft_studio.recraft.validation import FieldError
from recraft_studio.workspaces.selectors import (
    membership_get,
    project_get,
)

from . import files, handoff, images, renditions, selectors, services
from .forms import (
    BulkForm,
    CollectionForm,
    CommentForm,
    DownloadForm,
    ExportForm,
    GalleryFilterForm,
    TagForm,
    UploadForm,
)
from .models import ExportKind, ExportStatus
from .responses import stored_file_response

STORAGE_DOWN = (
    "The studio's image storage cannot be reached right now, so nothing was kept. "
    "Try again in a minute."
)

ASSETS_CHANGED = "assets-changed"


@login_required
@require_GET
def asset_detail(request, asset_id):
    """An image with where it came from, what was made from it, and every tool.

    An image in the trash still has its page (with the way back), but no tools.
    """
    membership, asset = selectors.asset_get_with_membership(
        user=request.user, asset_id=asset_id, include_trashed=True
    )
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
        tools=tool_menu(asset) if membership.can_generate and not asset.in_trash else [],
        neighbours=selectors.asset_neighbours(asset),
        # An edit is compared with what it was made from; a generation has no "before".
        compare_with=asset.parent if asset.parent_id and job is not None else None,
        mask_used="mask" in job.inputs if job is not None else False,
        download_form=DownloadForm(asset=asset),
        **_library_context(request, membership, asset),
    )
    return render(request, template, context)


@login_required
@require_GET
def asset_download(request, asset_id):
    """The image as asked: PNG, JPG or WEBP (a vector also SVG), at 1×, 2× or a width.

    The copy is made once and kept under a content-addressed key, so asking again
    serves it from storage; its size is capped before anything is decoded.
    """
    membership, asset = selectors.asset_get_with_membership(user=request.user, asset_id=asset_id)
    form = DownloadForm(request.GET, asset=asset)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(f"{reverse('asset', args=[asset.pk])}#download")
    fmt, width = form.cleaned_data["format"], form.cleaned_data["target_width"]
    name = asset.download_name_for(fmt)
    services.asset_downloaded(membership=membership, asset=asset, format=fmt, width=width)
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
    """The original as the API produced it; `?download=1` saves it under a clean name.

    A download is recorded in the audit trail; showing the image on a page is not.
    """
    membership, asset = selectors.asset_get_with_membership(
        user=request.user, asset_id=asset_id, include_trashed=True
    )
    name = asset.download_name if request.GET.get("download") else None
    if name:
        services.asset_downloaded(membership=membership, asset=asset)
    return stored_file_response(
        request, asset.file_key, content_type=asset.content_type, download_name=name
    )


@login_required
@require_GET
def asset_thumb(request, asset_id):
    asset = selectors.asset_get(user=request.user, asset_id=asset_id, include_trashed=True)
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
        workspace=workspace, project=project, filters=filter_form.filters(user=request.user)
    )
    queryset = selectors.with_favourites(queryset, user=request.user)
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
        "choices": choices,
        "bulk_form": BulkForm(projects=choices.projects, collections=choices.collections),
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


# --- the library: shared pieces -----------------------------------------------------------------


def _back(request, fallback: str) -> str:
    """Where a plain (non-htmx) form returns: its `next`, when it is one of ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _library_context(request, membership, asset, **forms):
    facts = selectors.asset_library_facts(asset=asset, user=request.user)
    return {
        "library": facts,
        "review_actions": services.transitions_for(membership, asset),
        "can_delete": services.can_delete(membership, asset),
        "purge_on": selectors.purge_date(asset) if asset.in_trash else None,
        "trash_days": settings.TRASH_DAYS,
        "tag_form": forms.get("tag_form") or TagForm(),
        "comment_form": forms.get("comment_form") or CommentForm(),
        "tag_choices": selectors.tags_for(workspace=membership.workspace)[:200]
        if membership.can_generate
        else [],
    }


def _asset_partial(request, membership, asset, partial, **forms):
    context = {
        "asset": asset,
        "membership": membership,
        "workspace": membership.workspace,
        **_library_context(request, membership, asset, **forms),
    }
    return render(request, f"assets/library.html#{partial}", context)


def _say(request, outcome_text: str, *, level=messages.SUCCESS):
    messages.add_message(request, level, outcome_text)


def _refused_text(refused) -> str:
    if not refused:
        return ""
    reasons: dict[str, int] = {}
    for _, reason in refused:
        reasons[reason] = reasons.get(reason, 0) + 1
    parts = [
        f"{n} kept: {reason}" if n > 1 else f"1 kept: {reason}" for reason, n in reasons.items()
    ]
    return " (" + "; ".join(parts) + ")"


def _plural(n: int, word: str = "image") -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# --- one image: delete, restore, star, tags, review, comments, hand-off --------------------------


@login_required
@require_POST
def asset_delete(request, asset_id):
    """Move an image to the trash; asks first when images were made from it or it is in
    a collection; refuses an approved image (retire it first)."""
    membership, asset = selectors.asset_get_with_membership(user=request.user, asset_id=asset_id)
    if not services.can_delete(membership, asset):
        raise PermissionDenied("Only its author, brand managers and owners delete an image.")
    outcome = services.assets_delete(
        membership=membership, assets=[asset], confirmed=request.POST.get("confirm") == "1"
    )
    if outcome.to_confirm:
        return render(
            request,
            "assets/delete.html",
            {
                "membership": membership,
                "workspace": membership.workspace,
                "asset": asset,
                "to_confirm": outcome.to_confirm,
                "action_url": reverse("asset_delete", args=[asset.pk]),
                "ids": [asset.pk],
            },
        )
    if outcome.refused:
        _say(request, f"Not deleted: {outcome.refused[0][1]}.", level=messages.ERROR)
    else:
        _say(request, f"Moved to the trash. It stays restorable for {settings.TRASH_DAYS} days.")
    return redirect("asset", asset_id=asset.pk)


@login_required
@require_POST
def asset_restore(request, asset_id):
    membership, asset = selectors.asset_get_with_membership(
        user=request.user, asset_id=asset_id, include_trashed=True
    )
    if not services.can_delete(membership, asset):
        raise PermissionDenied("Only its author, brand managers and owners restore an image.")
    restored, _ = services.assets_restore(membership=membership, assets=[asset])
    if restored:
        _say(request, f"Restored to {asset.project.name}.")
    return redirect(_back(request, reverse("asset", args=[asset.pk])))


@login_required
@require_POST
def asset_favourite(request, asset_id):
    """Star or unstar (`on` = 1 or 0); htmx swaps the star, a plain form goes back."""
    membership, asset = selectors.asset_get_with_membership(user=request.user, asset_id=asset_id)
    on = services.favourite_set(
        membership=membership, asset=asset, on=request.POST.get("on") == "1"
    )
    if request.htmx:
        asset.is_favourite = on
        return render(request, "assets/library.html#star", {"asset": asset})
    return redirect(_back(request, reverse("asset", args=[asset.pk])))


@login_required
@require_POST
def asset_tags(request, asset_id):
    """Add tags (`tags`, comma-separated) or take one off (`remove`, a tag id)."""
    membership, asset = selectors.asset_get_with_membership(user=request.user, asset_id=asset_id)
    if not membership.can_generate:
        raise PermissionDenied("Your role in this workspace cannot tag images.")
    form = TagForm(request.POST)
    if request.POST.get("remove"):
        tag = selectors.tag_get(membership=membership, tag_pk=request.POST["remove"])
        services.asset_untag(membership=membership, asset=asset, tag=tag)
        form = TagForm()
    elif form.is_valid():
        try:
            names = services.tag_names_parse(form.cleaned_data["tags"])
            services.assets_tag(membership=membership, assets=[asset], names=names)
        except FieldError as error:
            form.add_error("tags", error.message)
        else:
            form = TagForm()
    if request.htmx:
        return _asset_partial(request, membership, asset, "asset-tags", tag_form=form)
    if form.errors:
        _say(request, f"Tags: {form.errors['tags'][0]}", level=messages.ERROR)
    return redirect("asset", asset_id=asset.pk)


@login_required
@require_POST
def asset_review(request, asset_id):
    """Move the image along its review: ask, approve, send back, retire, reopen."""
    membership, asset = selectors.asset_get_with_membership(user=request.user, asset_id=asset_id)
    action = request.POST.get("action", "")
    try:
        changed, skipped = services.assets_transition(
            membership=membership, assets=[asset], action=action
        )
    except services.LibraryRuleBroken as exc:
        return HttpResponse(str(exc), status=400)
    if skipped:
        _say(request, f"Nothing changed: {skipped[0][1]}.", level=messages.WARNING)
    if request.htmx:
        asset = selectors.asset_get(user=request.user, asset_id=asset.pk)
        response = _asset_partial(request, membership, asset, "asset-review")
        return trigger_client_event(response, ASSETS_CHANGED, {})
    return redirect("asset", asset_id=asset.pk)


@login_required
@require_POST
def asset_comment(request, asset_id):
    """Comment on an image (every member may); @name emails that member a link."""
    membership, asset = selectors.asset_get_with_membership(user=request.user, asset_id=asset_id)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_add(
                membership=membership,
                asset=asset,
                body=form.cleaned_data["body"],
                asset_url=request.build_absolute_uri(reverse("asset", args=[asset.pk])),
            )
        except FieldError as error:
            form.add_error("body", error.message)
        else:
            form = CommentForm()
    if request.htmx:
        return _asset_partial(request, membership, asset, "asset-comments", comment_form=form)
    if form.errors:
        _say(request, f"Comment: {form.errors['body'][0]}", level=messages.ERROR)
    return redirect(reverse("asset", args=[asset.pk]) + "#comments")


@login_required
@require_GET
def asset_handoff(request, asset_id):
    """An approved image with its provenance as a JSON sidecar, in one zip."""
    membership, asset = selectors.asset_get_with_membership(user=request.user, asset_id=asset_id)
    if not asset.is_approved:
        raise Http404("Only approved images are handed off with their provenance.")
    data, name = handoff.sidecar_zip(asset)
    services.asset_downloaded(membership=membership, asset=asset, with_provenance=True)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- many images at once --------------------------------------------------------------------


def _bulk_form(request, membership):
    choices = selectors.gallery_choices(workspace=membership.workspace)
    return BulkForm(request.POST, projects=choices.projects, collections=choices.collections)


@login_required
@require_POST
def library_bulk(request, workspace_slug):
    """Apply one action to the ticked images: tag, collect, move, review, download,
    delete (asking first when needed), restore or purge from the trash.

    htmx gets a short result in the bulk bar and an `assets-changed` event (the
    gallery reloads itself); a plain form is redirected back with a message.
    """
    membership = membership_get(user=request.user, workspace_slug=workspace_slug)
    form = _bulk_form(request, membership)
    fallback = reverse("workspace_gallery", args=[membership.workspace.slug])
    back = _back(request, fallback)
    if not form.is_valid():
        errors = "; ".join(
            f"{form.fields[f].label if f in form.fields else f}: {e[0]}"
            for f, e in form.errors.items()
        )
        return _bulk_answer(request, back, f"Nothing done. {errors}", ok=False)
    data = form.cleaned_data
    action = data["action"]
    in_trash = action in ("restore", "purge")
    picked = selectors.assets_pick(
        membership=membership, ids=request.POST.getlist("asset"), include_trashed=in_trash
    )
    if in_trash:
        picked = [a for a in picked if a.in_trash]
    if not picked:
        return _bulk_answer(request, back, "Tick at least one image first.", ok=False)
    try:
        return _bulk_apply(request, membership, form, action, picked, back)
    except FieldError as error:
        return _bulk_answer(request, back, f"Nothing done. {error.message}", ok=False)
    except services.LibraryRuleBroken as exc:
        return _bulk_answer(request, back, f"Nothing done. {exc}", ok=False)


def _bulk_apply(request, membership, form, action, picked, back):
    data = form.cleaned_data
    n = len(picked)
    if action == "tag":
        names = services.tag_names_parse(data["tags"])
        services.assets_tag(membership=membership, assets=picked, names=names)
        text = f"Tagged {_plural(n)} with {', '.join(names)}."
    elif action == "collect":
        if data.get("collection"):
            collection = selectors.collection_get(
                membership=membership, collection_pk=data["collection"]
            )
        else:
            try:
                collection = services.collection_create(
                    membership=membership, name=data["new_collection"]
                )
            except FieldError as error:
                raise FieldError("new_collection", f"New collection: {error.message}")
        added = services.collection_add(membership=membership, collection=collection, assets=picked)
        text = f"Added {_plural(added)} to “{collection.name}”" + (
            f" ({n - added} already in it)." if added < n else "."
        )
    elif action == "uncollect":
        collection = selectors.collection_get(
            membership=membership, collection_pk=data["in_collection"]
        )
        items = collection.items.filter(asset__in=picked)
        for item in items:
            services.collection_remove(membership=membership, item=item)
        text = f"Removed {_plural(n)} from “{collection.name}”."
    elif action == "move":
        project = membership.workspace.projects.filter(pk=data["move_to"]).first()
        if project is None:
            raise FieldError("move_to", "Choose the project to move the images to.")
        moved = services.assets_move(membership=membership, assets=picked, project=project)
        text = f"Moved {_plural(moved)} to {project.name}."
    elif action in ("request_review", "approve"):
        changed, skipped = services.assets_transition(
            membership=membership, assets=picked, action=action
        )
        verb = "Approved" if action == "approve" else "Asked for review of"
        text = f"{verb} {_plural(len(changed))}." + _refused_text(skipped)
    elif action == "download":
        export = services.export_request(
            membership=membership,
            kind=ExportKind.SELECTION,
            fmt=data.get("format") or "original",
            assets=picked,
        )
        url = reverse("export", args=[membership.workspace.slug, export.pk])
        if request.htmx:
            return HttpResponseClientRedirect(url)
        return redirect(url)
    elif action == "delete":
        outcome = services.assets_delete(
            membership=membership, assets=picked, confirmed=bool(data.get("confirm"))
        )
        if outcome.to_confirm:
            context = {
                "membership": membership,
                "workspace": membership.workspace,
                "to_confirm": outcome.to_confirm,
                "refused": outcome.refused,
                "action_url": reverse("library_bulk", args=[membership.workspace.slug]),
                "ids": [a.pk for a in picked],
                "bulk": True,
                "next": back,
            }
            if request.htmx:
                return render(request, "assets/delete.html#confirm", context)
            return render(request, "assets/delete.html", context)
        text = f"Moved {_plural(len(outcome.deleted))} to the trash." + _refused_text(
            outcome.refused
        )
    elif action == "restore":
        restored, refused = services.assets_restore(membership=membership, assets=picked)
        text = f"Restored {_plural(len(restored))}." + _refused_text(refused)
    elif action == "purge":
        purged = services.assets_purge(membership=membership, assets=picked)
        text = f"Deleted {_plural(purged)} for good."
    else:  # pragma: no cover - the form's choices stop anything else
        raise services.LibraryRuleBroken(f"{action!r} is not an action.")
    return _bulk_answer(request, back, text)


def _bulk_answer(request, back, text, *, ok=True):
    if request.htmx:
        response = render(request, "assets/library.html#bulk-result", {"text": text, "ok": ok})
        if ok:
            trigger_client_event(response, ASSETS_CHANGED, {})
        return response
    _say(request, text, level=messages.SUCCESS if ok else messages.ERROR)
    return redirect(back)


# --- the trash --------------------------------------------------------------------------------


@login_required
@require_GET
def trash(request, workspace_slug):
    """Images deleted in the last `TRASH_DAYS` days, last deleted first, to restore."""
    membership = membership_get(user=request.user, workspace_slug=workspace_slug)
    if not membership.can_generate:
        raise PermissionDenied("Your role in this workspace has no trash.")
    page = selectors.trash_page(
        selectors.trash_assets(workspace=membership.workspace), cursor=request.GET.get("cursor")
    )
    context = {
        "membership": membership,
        "workspace": membership.workspace,
        "page": page,
        "trash_days": settings.TRASH_DAYS,
        "page_url": reverse("trash", args=[membership.workspace.slug]),
    }
    template = "assets/trash.html"
    target = request.htmx.target if request.htmx else None
    if target == "trash-results":
        return render(request, f"{template}#results", context)
    if target == "gallery-more":
        return render(request, f"{template}#trash-page", context)
    return render(request, template, context)


# --- collections -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def collections(request, workspace_slug):
    """The workspace's collections, each with its cover; a form makes a new one."""
    membership = membership_get(user=request.user, workspace_slug=workspace_slug)
    form = CollectionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not membership.can_generate:
            raise PermissionDenied("Your role in this workspace cannot make collections.")
        if form.is_valid():
            try:
                collection = services.collection_create(membership=membership, **form.cleaned_data)
            except FieldError as error:
                form.add_error("name", error.message)
            else:
                return redirect("collection", membership.workspace.slug, collection.pk)
    return render(
        request,
        "assets/collections.html",
        {
            "membership": membership,
            "workspace": membership.workspace,
            "collections": selectors.collections_for(workspace=membership.workspace),
            "form": form,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def collection_detail(request, workspace_slug, collection_pk):
    """A collection in its order: rearrange, pick the cover, export; POST renames it."""
    membership = membership_get(user=request.user, workspace_slug=workspace_slug)
    collection = selectors.collection_get(membership=membership, collection_pk=collection_pk)
    form = CollectionForm(
        request.POST if request.method == "POST" else None,
        initial={"name": collection.name, "description": collection.description},
    )
    if request.method == "POST":
        if not membership.can_generate:
            raise PermissionDenied("Your role in this workspace cannot change collections.")
        if form.is_valid():
            try:
                services.collection_update(
                    membership=membership, collection=collection, **form.cleaned_data
                )
            except FieldError as error:
                form.add_error("name", error.message)
            else:
                return redirect("collection", membership.workspace.slug, collection.pk)
    page = selectors.collection_page(
        collection=collection, user=request.user, cursor=request.GET.get("cursor")
    )
    choices = selectors.gallery_choices(workspace=membership.workspace)
    context = {
        "membership": membership,
        "workspace": membership.workspace,
        "collection": collection,
        "page": page,
        "form": form,
        "export_form": ExportForm(),
        "bulk_form": BulkForm(projects=choices.projects, collections=choices.collections),
        "page_url": reverse("collection", args=[membership.workspace.slug, collection.pk]),
    }
    template = "assets/collection.html"
    target = request.htmx.target if request.htmx else None
    if target == "collection-results":
        return render(request, f"{template}#results", context)
    if target == "gallery-more":
        return render(request, f"{template}#items-page", context)
    return render(request, template, context)


@login_required
@require_POST
def collection_delete(request, workspace_slug, collection_pk):
    membership = membership_get(user=request.user, workspace_slug=workspace_slug)
    collection = selectors.collection_get(membership=membership, collection_pk=collection_pk)
    services.collection_delete(membership=membership, collection=collection)
    _say(request, f"Deleted the collection “{collection.name}”; its images are still here.")
    return redirect("collections", membership.workspace.slug)


@login_required
@require_POST
def collection_item(request, workspace_slug, collection_pk, item_pk):
    """Rearrange one item (top, up, down, bottom, or before another), make it the
    cover, or take it out of the collection."""
    membership = membership_get(user=request.user, workspace_slug=workspace_slug)
    collection = selectors.collection_get(membership=membership, collection_pk=collection_pk)
    item = selectors.collection_item_get(collection=collection, item_pk=item_pk)
    action = request.POST.get("action", "")
    try:
        if action == "remove":
            services.collection_remove(membership=membership, item=item)
        elif action == "cover":
            services.collection_set_cover(membership=membership, item=item)
        elif action == "before":
            before = selectors.collection_item_get(
                collection=collection, item_pk=request.POST.get("before")
            )
            services.collection_move(membership=membership, item=item, before=before)
        else:
            services.collection_move(membership=membership, item=item, where=action)
    except services.LibraryRuleBroken as exc:
        return HttpResponse(str(exc), status=400)
    url = reverse("collection", args=[membership.workspace.slug, collection.pk])
    if request.htmx:
        return trigger_client_event(HttpResponse(status=204), ASSETS_CHANGED, {})
    return redirect(url)


# --- exports ----------------------------------------------------------------------------------

_EXPORT_LINK_SALT = "assets.export-link"


def export_link_token(export) -> str:
    return signing.dumps(str(export.pk), salt=_EXPORT_LINK_SALT)


@login_required
@require_http_methods(["GET", "POST"])
def exports(request, workspace_slug):
    """The workspace's recent exports; POST exports a collection or a project."""
    membership = membership_get(user=request.user, workspace_slug=workspace_slug)
    workspace = membership.workspace
    if request.method == "POST":
        form = ExportForm(request.POST)
        kind = request.POST.get("kind")
        collection = project = None
        if kind == ExportKind.COLLECTION:
            collection = selectors.collection_get(
                membership=membership, collection_pk=request.POST.get("collection")
            )
        elif kind == ExportKind.PROJECT:
            project = workspace.projects.filter(pk=request.POST.get("project") or 0).first()
            if project is None:
                raise Http404("No such project.")
        else:
            return HttpResponse("Say what to export: a collection or a project.", status=400)
        if form.is_valid():
            try:
                export = services.export_request(
                    membership=membership,
                    kind=kind,
                    fmt=form.cleaned_data["format"],
                    collection=collection,
                    project=project,
                    approved_only=form.cleaned_data["approved_only"],
                )
            except FieldError as error:
                _say(request, f"Nothing exported: {error.message}", level=messages.ERROR)
                return redirect(_back(request, reverse("exports", args=[workspace.slug])))
            return redirect("export", workspace.slug, export.pk)
        _say(request, "Choose a format for the export.", level=messages.ERROR)
        return redirect(_back(request, reverse("exports", args=[workspace.slug])))
    return render(
        request,
        "assets/exports.html",
        {
            "membership": membership,
            "workspace": workspace,
            "exports": selectors.exports_for(workspace=workspace),
            "export_form": ExportForm(),
            "projects": workspace.projects.order_by("name"),
        },
    )


@login_required
@require_GET
def export_detail(request, workspace_slug, export_id):
    """An export's progress; once ready, its link. htmx polls the card until it ends."""
    membership = membership_get(user=request.user, workspace_slug=workspace_slug)
    export = selectors.export_get(membership=membership, export_id=export_id)
    context = {
        "membership": membership,
        "workspace": membership.workspace,
        "export": export,
        "link": request.build_absolute_uri(
            reverse("export_download", args=[export_link_token(export)])
        )
        if export.status == ExportStatus.DONE
        else "",
    }
    if request.htmx and request.htmx.target == f"export-{export.pk}":
        response = render(request, "assets/export.html#export-card", context)
        if export.is_finished:
            response.status_code = HttpResponseStopPolling.status_code
        return response
    return render(request, "assets/export.html", context)


@require_GET
def export_download(request, token):
    """The zip, for whoever holds the link (the publishing team may have no account).

    The link is signed and lasts `EXPORT_LINK_DAYS` days, as the export itself does;
    every download is recorded in the workspace's trail.
    """
    max_age = settings.EXPORT_LINK_DAYS * 24 * 3600
    try:
        export_id = signing.loads(token, salt=_EXPORT_LINK_SALT, max_age=max_age)
    except signing.SignatureExpired:
        return HttpResponse("This download link has expired.", status=410)
    except signing.BadSignature:
        raise Http404("No such download.")
    from .models import Export

    export = Export.objects.select_related("workspace", "project").filter(pk=export_id).first()
    if export is None:
        raise Http404("No such download.")
    if export.status == ExportStatus.EXPIRED or export.expires_at <= timezone.now():
        return HttpResponse("This download link has expired.", status=410)
    if export.status != ExportStatus.DONE:
        raise Http404("This export is not ready.")
    services.export_downloaded(export=export, user=request.user)
    response = FileResponse(
        files.open_stream(export.file_key),
        content_type="application/zip",
        as_attachment=True,
        filename=export.filename,
    )
    response["Content-Length"] = str(export.size_bytes)
    response["Cache-Control"] = "private, no-store"
    return response

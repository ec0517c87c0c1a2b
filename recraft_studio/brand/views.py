"""Pages of the brand kit: brand styles and palettes.

Thin views: a selector finds the workspace and the object (404 outside it), the
role is checked on the server (403), a form checks input, a service writes. htmx
requests get a named partial of the same page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from recraft_studio.assets.responses import stored_file_response
from recraft_studio.assets.selectors import assets_for, gallery_page
from recraft_studio.recraft.validation import FieldError
from recraft_studio.workspaces.selectors import membership_get

from . import selectors, services
from .colors import to_hex
from .forms import BrandStyleForm, PaletteExtractForm, PaletteForm, RenameForm

#: How many of the workspace's latest images the palette page offers to sample.
EXTRACT_PICKS = 18


def _manager(request, workspace_slug):
    membership = membership_get(user=request.user, workspace_slug=workspace_slug)
    if not membership.can_manage_brand:
        raise PermissionDenied("Only owners and brand managers change the brand kit.")
    return membership


def _add_error(form, exc: FieldError | services.BrandApiError) -> None:
    field = getattr(exc, "field", None)
    form.add_error(field if field in form.fields else None, exc.message)


@login_required
@require_GET
def kit(request, workspace_slug):
    membership = membership_get(user=request.user, workspace_slug=workspace_slug)
    styles = list(selectors.brand_styles_listed(workspace=membership.workspace))
    return render(
        request,
        "brand/kit.html",
        {
            "membership": membership,
            "workspace": membership.workspace,
            "styles": [s for s in styles if not s.is_archived],
            "archived_styles": [s for s in styles if s.is_archived],
            "palettes": selectors.palettes_for(workspace=membership.workspace),
        },
    )


# --- brand styles --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def style_create(request, workspace_slug):
    membership = _manager(request, workspace_slug)
    workspace = membership.workspace
    form = BrandStyleForm(workspace=workspace)
    if request.method == "POST":
        form = BrandStyleForm(request.POST, request.FILES, workspace=workspace)
        if form.is_valid():
            try:
                style = services.brand_style_create(
                    membership=membership,
                    name=form.cleaned_data["name"],
                    base_style=form.cleaned_data["base_style"],
                    references=form.cleaned_data["references"],
                )
            except (FieldError, services.BrandApiError) as exc:
                _add_error(form, exc)
            else:
                messages.success(
                    request,
                    f"The Recraft API is making the style {style.name}; this page shows when "
                    "it is ready. You can leave it meanwhile.",
                )
                return redirect("brand_style", workspace_slug=workspace.slug, style_pk=style.pk)
    return render(
        request,
        "brand/style_new.html",
        {"membership": membership, "workspace": workspace, "form": form},
    )


def _style_context(request, membership, style, rename_form=None):
    page = gallery_page(
        assets_for(request.user).filter(brand_style=style), cursor=request.GET.get("cursor")
    )
    return {
        "membership": membership,
        "workspace": membership.workspace,
        "style": style,
        "references": style.references.all(),
        "page": page,
        "rename_form": rename_form or RenameForm(style=style),
        "creation": selectors.style_creation_job(style=style),
    }


@login_required
@require_GET
def style_detail(request, workspace_slug, style_pk):
    membership = membership_get(user=request.user, workspace_slug=workspace_slug)
    style = selectors.brand_style_get(workspace=membership.workspace, style_pk=style_pk)
    context = _style_context(request, membership, style)
    if request.htmx and request.htmx.target == "style-status":
        creation = context["creation"]
        if style.style_id or (creation is not None and creation.is_finished):
            return HttpResponseClientRefresh()  # made (or failed): show the whole page anew
        return render(request, "brand/style.html#style-status", context)
    if request.htmx and request.htmx.target == "style-assets-more":
        return render(request, "brand/style.html#style-assets-page", context)
    return render(request, "brand/style.html", context)


@login_required
@require_POST
def style_rename(request, workspace_slug, style_pk):
    membership = _manager(request, workspace_slug)
    style = selectors.brand_style_get(workspace=membership.workspace, style_pk=style_pk)
    form = RenameForm(request.POST, style=style)
    if form.is_valid():
        try:
            services.brand_style_rename(
                membership=membership, style=style, name=form.cleaned_data["name"]
            )
        except FieldError as exc:
            _add_error(form, exc)
        else:
            return redirect("brand_style", workspace_slug=workspace_slug, style_pk=style.pk)
    return render(request, "brand/style.html", _style_context(request, membership, style, form))


def _set_archived(request, workspace_slug, style_pk, archived):
    membership = _manager(request, workspace_slug)
    style = selectors.brand_style_get(workspace=membership.workspace, style_pk=style_pk)
    services.brand_style_archive(membership=membership, style=style, archived=archived)
    messages.success(
        request,
        f"{style.name} is archived: forms no longer offer it."
        if archived
        else f"{style.name} is back in the style lists.",
    )
    return redirect("brand_style", workspace_slug=workspace_slug, style_pk=style.pk)


@login_required
@require_POST
def style_archive(request, workspace_slug, style_pk):
    return _set_archived(request, workspace_slug, style_pk, True)


@login_required
@require_POST
def style_unarchive(request, workspace_slug, style_pk):
    return _set_archived(request, workspace_slug, style_pk, False)


@login_required
@require_POST
def style_delete(request, workspace_slug, style_pk):
    membership = _manager(request, workspace_slug)
    style = selectors.brand_style_get(workspace=membership.workspace, style_pk=style_pk)
    try:
        services.brand_style_delete(membership=membership, style=style)
    except services.BrandApiError as exc:
        messages.error(request, f"{style.name} was not deleted. {exc.message}")
        return redirect("brand_style", workspace_slug=workspace_slug, style_pk=style.pk)
    messages.success(request, f"The style {style.name} is deleted, here and on the API.")
    return redirect("brand_kit", workspace_slug=workspace_slug)


@login_required
@require_GET
def style_reference_file(request, workspace_slug, style_pk, reference_pk):
    membership = membership_get(user=request.user, workspace_slug=workspace_slug)
    reference = selectors.reference_get(
        workspace=membership.workspace, style_pk=style_pk, reference_pk=reference_pk
    )
    etag = f'"{reference.sha256}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified()
    response = FileResponse(
        default_storage.open(reference.file_key, "rb"), content_type=reference.content_type
    )
    response["ETag"] = etag
    # Content-addressed: the bytes never change. Private: only members may see them.
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    return response


@login_required
@require_GET
def style_reference_thumb(request, workspace_slug, style_pk, reference_pk):
    """The small WEBP every page shows for a reference, instead of the original."""
    membership = membership_get(user=request.user, workspace_slug=workspace_slug)
    reference = selectors.reference_get(
        workspace=membership.workspace, style_pk=style_pk, reference_pk=reference_pk
    )
    try:
        key = services.reference_thumbnail(reference)
    except FieldError:
        raise Http404("This reference has no preview.")
    return stored_file_response(request, key, content_type="image/webp")


# --- palettes ------------------------------------------------------------------------------


def _palette_page(request, membership, *, palette=None, form=None, extract_form=None, status=200):
    workspace = membership.workspace
    context = {
        "membership": membership,
        "workspace": workspace,
        "palette": palette,
        "action": reverse("palette", args=[workspace.slug, palette.pk])
        if palette
        else reverse("palette_create", args=[workspace.slug]),
        "form": form or PaletteForm(workspace=workspace, palette=palette),
        "extract_form": extract_form or PaletteExtractForm(user=request.user),
        "picks": assets_for(request.user)
        .filter(workspace=workspace)
        .order_by("-created_at", "-id")[:EXTRACT_PICKS],
    }
    if request.htmx and request.htmx.target == "palette-form":
        return render(request, "brand/palette.html#palette-form", context, status=status)
    return render(request, "brand/palette.html", context, status=status)


def _palette_saved(request, workspace_slug, palette, verb):
    messages.success(request, f"The palette {palette.name} is {verb}.")
    url = reverse("brand_kit", args=[workspace_slug]) + f"#palette-{palette.pk}"
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@login_required
@require_http_methods(["GET", "POST"])
def palette_create(request, workspace_slug):
    membership = _manager(request, workspace_slug)
    if request.method == "GET":
        return _palette_page(request, membership)
    form = PaletteForm(request.POST, workspace=membership.workspace)
    if form.is_edit_step:
        form = PaletteForm(
            workspace=membership.workspace,
            initial={"name": request.POST.get("name", "")},
            rows=[row.text for row in form.rows],
            background_text=form.background_row.text,
        )
        return _palette_page(request, membership, form=form)
    if form.is_valid():
        try:
            palette = services.palette_create(
                membership=membership,
                name=form.cleaned_data["name"],
                colors=form.cleaned_data["colors"],
                background=form.cleaned_data["background"],
            )
        except FieldError as exc:
            _add_error(form, exc)
        else:
            return _palette_saved(request, workspace_slug, palette, "saved")
    return _palette_page(request, membership, form=form)


@login_required
@require_http_methods(["GET", "POST"])
def palette_edit(request, workspace_slug, palette_pk):
    membership = membership_get(user=request.user, workspace_slug=workspace_slug)
    palette = selectors.palette_get(workspace=membership.workspace, palette_pk=palette_pk)
    if request.method == "GET":
        return _palette_page(request, membership, palette=palette)
    if not membership.can_manage_brand:
        raise PermissionDenied("Only owners and brand managers change the brand kit.")
    form = PaletteForm(request.POST, workspace=membership.workspace, palette=palette)
    if form.is_edit_step:
        form = PaletteForm(
            workspace=membership.workspace,
            palette=palette,
            initial={"name": request.POST.get("name", "")},
            rows=[row.text for row in form.rows],
            background_text=form.background_row.text,
        )
        return _palette_page(request, membership, palette=palette, form=form)
    if form.is_valid():
        try:
            palette = services.palette_update(
                membership=membership,
                palette=palette,
                name=form.cleaned_data["name"],
                colors=form.cleaned_data["colors"],
                background=form.cleaned_data["background"],
            )
        except FieldError as exc:
            _add_error(form, exc)
        else:
            return _palette_saved(request, workspace_slug, palette, "updated")
    return _palette_page(request, membership, palette=palette, form=form)


@login_required
@require_POST
def palette_delete(request, workspace_slug, palette_pk):
    membership = _manager(request, workspace_slug)
    palette = selectors.palette_get(workspace=membership.workspace, palette_pk=palette_pk)
    services.palette_delete(membership=membership, palette=palette)
    messages.success(request, f"The palette {palette.name} is deleted.")
    return redirect("brand_kit", workspace_slug=workspace_slug)


@login_required
@require_POST
def palette_extract(request, workspace_slug):
    """Start a new palette from an image's dominant colours (nothing is saved yet)."""
    membership = _manager(request, workspace_slug)
    extract_form = PaletteExtractForm(request.POST, request.FILES, user=request.user)
    if not extract_form.is_valid() or "colors" not in extract_form.cleaned_data:
        return _palette_page(request, membership, extract_form=extract_form)
    form = PaletteForm(
        workspace=membership.workspace,
        initial={"name": ""},
        rows=[to_hex(rgb) for rgb in extract_form.cleaned_data["colors"]],
        background_text="",
    )
    messages.info(
        request,
        f"Took {len(form.rows)} colours from {extract_form.source_name}. "
        "Adjust them, name the palette and save it.",
    )
    return _palette_page(request, membership, form=form)

"""Reads of the brand kit, scoped to a workspace the caller already checked.

A brand style or palette of another workspace is not found (404), never forbidden,
so its existence does not leak.
"""

from django.db.models import Count, QuerySet
from django.http import Http404

from .models import BrandStyle, BrandStyleReference, Palette


def brand_styles_for(*, workspace, include_archived: bool = False) -> QuerySet[BrandStyle]:
    """Styles that forms may offer: made by the API already (and not archived)."""
    styles = BrandStyle.objects.filter(workspace=workspace, style_id__isnull=False)
    if not include_archived:
        styles = styles.filter(archived_at__isnull=True)
    return styles


def brand_styles_listed(*, workspace) -> QuerySet[BrandStyle]:
    """Every style of the workspace (those the API is still making too) with its
    references and how many images used it."""
    return (
        BrandStyle.objects.filter(workspace=workspace)
        .annotate(asset_count=Count("assets", distinct=True))
        .prefetch_related("references")
        .select_related("created_by")
    )


def style_creation_job(*, style: BrandStyle):
    """The job that asked the API for the style (the last one, if it was retried)."""
    return style.jobs.filter(operation="create_style").order_by("-created_at").first()


def brand_style_get(*, workspace, style_pk) -> BrandStyle:
    try:
        return (
            BrandStyle.objects.select_related("workspace", "created_by")
            .prefetch_related("references")
            .get(workspace=workspace, pk=style_pk)
        )
    except (BrandStyle.DoesNotExist, ValueError):
        raise Http404("No such brand style.")


def reference_get(*, workspace, style_pk, reference_pk) -> BrandStyleReference:
    try:
        return BrandStyleReference.objects.get(
            style__workspace=workspace, style_id=style_pk, pk=reference_pk
        )
    except (BrandStyleReference.DoesNotExist, ValueError):
        raise Http404("No such reference image.")


def palettes_for(*, workspace) -> QuerySet[Palette]:
    return Palette.objects.filter(workspace=workspace)


def palette_get(*, workspace, palette_pk) -> Palette:
    try:
        return Palette.objects.get(workspace=workspace, pk=palette_pk)
    except (Palette.DoesNotExist, ValueError):
        raise Http404("No such palette.")


def style_name_taken(*, workspace, name: str, exclude_pk=None) -> bool:
    styles = BrandStyle.objects.filter(workspace=workspace, name__iexact=name.strip())
    return styles.exclude(pk=exclude_pk).exists() if exclude_pk else styles.exists()


def palette_name_taken(*, workspace, name: str, exclude_pk=None) -> bool:
    palettes = Palette.objects.filter(workspace=workspace, name__iexact=name.strip())
    return palettes.exclude(pk=exclude_pk).exists() if exclude_pk else palettes.exists()

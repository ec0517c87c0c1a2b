"""Reads of the brand kit, scoped to a workspace the caller already checked."""

from django.db.models import QuerySet

from .models import BrandStyle, Palette


def brand_styles_for(*, workspace, include_archived: bool = False) -> QuerySet[BrandStyle]:
    styles = BrandStyle.objects.filter(workspace=workspace)
    if not include_archived:
        styles = styles.filter(archived_at__isnull=True)
    return styles


def palettes_for(*, workspace) -> QuerySet[Palette]:
    return Palette.objects.filter(workspace=workspace)

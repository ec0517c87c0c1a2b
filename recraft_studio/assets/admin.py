from django.contrib import admin

from .models import Asset


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "workspace",
        "project",
        "operation",
        "content_type",
        "width",
        "height",
        "created_at",
    )
    list_filter = ("operation", "content_type", "workspace")
    readonly_fields = [f.name for f in Asset._meta.fields]

from django.contrib import admin

from .models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "workspace",
        "project",
        "operation",
        "status",
        "estimated_cost",
        "actual_cost",
        "created_at",
    )
    list_filter = ("status", "operation", "workspace")
    readonly_fields = [f.name for f in Job._meta.fields]

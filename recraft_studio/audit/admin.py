from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail can be searched, never edited."""

    list_display = (
        "created_at",
        "workspace",
        "actor_name",
        "verb",
        "estimated_cost",
        "actual_cost",
    )
    list_filter = ("verb", "workspace")
    search_fields = ("actor_name", "verb", "target_id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

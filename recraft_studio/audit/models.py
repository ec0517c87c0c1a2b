from django.conf import settings
from django.db import models


class AppendOnlyError(Exception):
    """Audit events are never changed or deleted once written."""


class AuditEventQuerySet(models.QuerySet):
    """Bulk changes are refused as single ones are (a workspace's deletion still
    takes its events with it: Django's cascade does not go through here)."""

    def update(self, **kwargs):
        raise AppendOnlyError("Audit events cannot be changed.")

    def delete(self):
        raise AppendOnlyError("Audit events cannot be deleted.")


class AuditEvent(models.Model):
    """One thing that happened, kept as it was.

    The actor's name is copied in, so the trail still reads right after the user
    is renamed or removed. Costs are in API units (1,000 = 1 USD).
    """

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="audit_events"
    )
    project = models.ForeignKey(
        "workspaces.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    verb = models.CharField(max_length=50)
    target_type = models.CharField(max_length=50, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    estimated_cost = models.PositiveIntegerField(null=True, blank=True)
    actual_cost = models.PositiveIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "-created_at"]),
            # "What happened to this image": the trail filtered to one object.
            models.Index(
                fields=["workspace", "target_type", "target_id", "-id"], name="audit_target_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name or 'system'} {self.verb}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events cannot be deleted.")

from django.db.models import QuerySet

from recraft_studio.workspaces.selectors import workspaces_for

from .models import AuditEvent


def audit_events_for(*, user, workspace) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        workspace=workspace, workspace__in=workspaces_for(user)
    ).select_related("project")

# Fill the running spend ledger from the trail, as budgets were read before it existed:
# charges are the events' actual costs, by month; pending is the estimate of every job
# submitted and not yet settled.

from datetime import UTC

from django.db import migrations

SETTLING_VERBS = ("job.completed", "job.failed", "job.canceled")


def fill(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    SpendMonth = apps.get_model("audit", "SpendMonth")
    SpendDay = apps.get_model("audit", "SpendDay")
    Workspace = apps.get_model("workspaces", "Workspace")
    for workspace in Workspace.objects.all():
        months, days = {}, {}
        charges = AuditEvent.objects.filter(workspace=workspace, actual_cost__gt=0)
        for event in charges.iterator(chunk_size=2000):
            stamp = event.created_at.astimezone(UTC)
            month = stamp.date().replace(day=1)
            for project_id in {None, event.project_id}:
                months[(project_id, month)] = months.get((project_id, month), 0) + event.actual_cost
            key = (event.project_id, event.actor_id, event.data.get("operation", ""), stamp.date())
            days[key] = days.get(key, 0) + event.actual_cost
        for (project_id, month), units in months.items():
            SpendMonth.objects.create(
                workspace=workspace, project_id=project_id, month=month, charged=units
            )
        for (project_id, user_id, operation, day), units in days.items():
            key = f"{day.isoformat()}|{project_id or '-'}|{user_id or '-'}|{operation}"
            SpendDay.objects.create(
                workspace=workspace, project_id=project_id, user_id=user_id, key=key,
                operation=operation, day=day, charged=units, calls=0, images=0,
            )
        settled = AuditEvent.objects.filter(workspace=workspace, verb__in=SETTLING_VERBS).values(
            "target_id"
        )
        pending = {}
        submitted = AuditEvent.objects.filter(workspace=workspace, verb="job.submitted").exclude(
            target_id__in=settled
        )
        for event in submitted:
            for project_id in {None, event.project_id}:
                pending[project_id] = pending.get(project_id, 0) + (event.estimated_cost or 0)
        pending.setdefault(None, 0)
        for project_id, units in pending.items():
            SpendMonth.objects.create(
                workspace=workspace, project_id=project_id, month=None, pending=units
            )


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0003_spend_ledger"),
        ("workspaces", "0004_queue_controls_and_project_budget"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]

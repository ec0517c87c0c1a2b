"""Background work of the audit app: each task takes ids and calls one service."""

from celery import shared_task

from . import services


@shared_task(bind=True, max_retries=5, acks_late=True)
def budget_alerts_check_task(self, workspace_id: int, project_id: int | None = None) -> int:
    """Warn owners when a budget passes 80 % or 100 %; a mail server outage is retried
    (the alert rows roll back with the failed email, so the retry sends it)."""
    from django.db import transaction

    try:
        with transaction.atomic():
            return len(
                services.budget_alerts_check(workspace_id=workspace_id, project_id=project_id)
            )
    except OSError as exc:  # SMTP errors are OSErrors
        raise self.retry(exc=exc, countdown=60 * (self.request.retries + 1))


def on_spend_recorded(sender, *, workspace_id, project_id=None, **kwargs) -> None:
    """`spend_recorded` receiver: check the budgets in a worker, not in the caller, and
    only when there is a budget to check (most workspaces have none)."""
    from django.db.models import Q

    from recraft_studio.workspaces.models import Project, Workspace

    if project_id is None:
        budgeted = Workspace.objects.filter(pk=workspace_id, monthly_budget__isnull=False)
    else:  # one query for both budgets: this runs after every charge
        budgeted = Project.objects.filter(
            Q(pk=project_id, workspace_id=workspace_id)
            & (Q(monthly_budget__isnull=False) | Q(workspace__monthly_budget__isnull=False))
        )
    if budgeted.exists():
        budget_alerts_check_task.delay(workspace_id, project_id)

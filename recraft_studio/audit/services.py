"""Writes to the audit trail (and, through `ledger`, to the running spend totals)."""

from .ledger import BudgetExceeded, budget_check  # noqa: F401 (the ledger enforces budgets)
from .models import AuditEvent


def audit_record(
    *,
    workspace,
    verb: str,
    actor=None,
    project=None,
    target=None,
    estimated_cost: int | None = None,
    actual_cost: int | None = None,
    data: dict | None = None,
) -> AuditEvent:
    """Append one event; call inside the transaction of the change it records."""
    return AuditEvent.objects.create(
        workspace=workspace,
        project=project,
        actor=actor,
        actor_name=actor.get_username() if actor is not None else "",
        verb=verb,
        target_type=target._meta.model_name if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        estimated_cost=estimated_cost,
        actual_cost=actual_cost,
        data=data or {},
    )


def audit_record_many(*, workspace, verb: str, actor=None, entries) -> list[AuditEvent]:
    """Append one event per `(target, project, data)` in one insert (bulk actions).

    Same rules as `audit_record`: call it inside the transaction of the change.
    """
    actor_name = actor.get_username() if actor is not None else ""
    return AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                workspace=workspace,
                project=project,
                actor=actor,
                actor_name=actor_name,
                verb=verb,
                target_type=target._meta.model_name,
                target_id=str(target.pk),
                data=data or {},
            )
            for target, project, data in entries
        ]
    )


# --- budget warnings ------------------------------------------------------------------------


def budget_alerts_check(*, workspace_id, project_id=None, now=None) -> list:
    """Warn the workspace's owners, once a month per threshold, that a budget is 80 % or
    100 % committed: an email and a `budget.warning` event. Safe to run any number of
    times (a unique row per workspace or project, month and threshold); the alerts made.

    Run after each charge (`spend_recorded`) and after a budget changes.
    """
    from django.conf import settings
    from django.core.mail import send_mail
    from django.db import IntegrityError, transaction
    from django.template.loader import render_to_string
    from django.urls import reverse

    from recraft_studio.workspaces.models import Membership, Project, Role, Workspace

    from .ledger import budget_status, month_of
    from .models import BudgetAlert
    from .selectors import BUDGET_THRESHOLDS

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return []
    scopes = [(None, workspace.monthly_budget)]
    if project_id is not None:
        project = Project.objects.filter(pk=project_id, workspace=workspace).first()
        if project is not None:
            scopes.append((project, project.monthly_budget))
    month = month_of(now)
    made = []
    for project, budget in scopes:
        if not budget:
            continue
        status = budget_status(workspace=workspace, project=project, now=now)
        reached = [t for t in BUDGET_THRESHOLDS if 100 * status.committed >= t * budget]
        new = []
        for threshold in reached:
            try:
                with transaction.atomic():
                    new.append(
                        BudgetAlert.objects.create(
                            workspace=workspace,
                            project=project,
                            month=month,
                            threshold=threshold,
                            spent=status.committed,
                            budget=budget,
                        )
                    )
            except IntegrityError:
                continue  # sent already this month
        if not new:
            continue
        top = max(new, key=lambda a: a.threshold)
        percent = round(100 * status.committed / budget)
        audit_record(
            workspace=workspace,
            project=project,
            verb="budget.warning",
            data={
                "threshold": top.threshold,
                "percent": percent,
                "spent": status.committed,
                "charged": status.charged,
                "pending": status.pending,
                "budget": budget,
            },
        )
        owners = list(
            Membership.objects.filter(workspace=workspace, role=Role.OWNER)
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
        if owners:
            context = {
                "workspace": workspace,
                "project": project,
                "status": status,
                "budget": budget,
                "percent": percent,
                "threshold": top.threshold,
                "url": settings.STUDIO_URL + reverse("spend", args=[workspace.slug]),
            }
            scope = f"{project.name} ({workspace.name})" if project else workspace.name
            send_mail(
                subject=(
                    f"{scope} has used its monthly budget"
                    if top.threshold >= 100
                    else f"{scope} has used {percent} % of its monthly budget"
                ),
                message=render_to_string("audit/budget_alert_email.txt", context),
                from_email=None,
                recipient_list=owners,
            )
        made += new
    return made

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

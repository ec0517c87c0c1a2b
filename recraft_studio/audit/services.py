"""Writes to the audit trail."""

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


class BudgetExceeded(Exception):
    """A paid call would take the workspace over its monthly budget."""


def budget_check(*, workspace, cost: int) -> None:
    """Refuse `cost` more units when the month's charges and open estimates leave no room.

    Call it inside the transaction that records the spend, after locking the workspace
    row (`select_for_update`), so concurrent submissions are counted one after another.
    """
    from .selectors import budget_status

    status = budget_status(workspace=workspace)
    if status.allows(cost):
        return
    raise BudgetExceeded(
        f"This would cost {cost:,} API units, but the workspace has {status.remaining:,} "
        f"of its {status.budget:,}-unit monthly budget left "
        f"({status.charged:,} charged, {status.pending:,} in jobs still running). "
        "An owner can raise the budget in the workspace settings."
    )

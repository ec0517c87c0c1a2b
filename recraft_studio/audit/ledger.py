"""The running spend ledger: what each workspace and project has committed and been charged.

Budgets used to be read by summing the audit trail, which grew slower with every job
and held the workspace's row lock meanwhile. The ledger keeps the same figures as
running totals (`SpendMonth`, `SpendDay`), changed in the same transaction as the
event that records the money, so a budget check reads a handful of rows whatever
the history. The trail stays the record: `ledger_verify` recomputes the totals from
it, and `ledger_rebuild` writes them again from it.

Lock order, everywhere: the workspace's open row, then the project's open row, then
month rows, then day rows. Submissions and charges of one workspace take turns on
its open row; nothing here locks the workspace or project rows themselves, which
every insert that refers to them must be able to share.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from recraft_studio.recraft import catalog

from .models import AuditEvent, SpendDay, SpendMonth
from .signals import spend_recorded

#: Events whose `actual_cost` is a charge: the API's `credits` for one call.
#: Interrupted calls record what they may have cost in `data["possible_units"]`.
POSSIBLE_CHARGE_VERB = "job.call_interrupted"


class BudgetExceeded(Exception):
    """A paid call would take the workspace (or its project) over its monthly budget."""


def month_of(when: datetime | None = None) -> date:
    """The first day (UTC) of the month `when` falls in: budgets run by UTC months."""
    when = when or timezone.now()
    return when.astimezone(UTC).date().replace(day=1)


def month_start(now: datetime | None = None) -> datetime:
    first = month_of(now)
    return datetime(first.year, first.month, 1, tzinfo=UTC)


@dataclass(frozen=True)
class BudgetStatus:
    """Where a workspace or project stands against its monthly budget, in API units.

    `charged` is what the API reported charging this month, `possible` what calls
    interrupted in flight may have cost (counted, since nobody can tell), `pending`
    what submitted jobs the API has not answered yet are estimated to cost.
    """

    budget: int | None
    charged: int
    pending: int
    possible: int = 0

    @property
    def committed(self) -> int:
        return self.charged + self.possible + self.pending

    @property
    def remaining(self) -> int | None:
        return None if self.budget is None else max(self.budget - self.committed, 0)

    @property
    def used_fraction(self) -> float | None:
        if not self.budget:
            return None
        return self.committed / self.budget

    def allows(self, cost: int) -> bool:
        return self.budget is None or self.committed + cost <= self.budget


def _scope(workspace_id, project_id) -> Q:
    return Q(workspace_id=workspace_id, project_id=project_id)


def _open_row(workspace_id, project_id=None, *, lock: bool = False) -> SpendMonth:
    row, _ = SpendMonth.objects.get_or_create(
        workspace_id=workspace_id, project_id=project_id, month=None
    )
    if lock:
        row = SpendMonth.objects.select_for_update(no_key=True).get(pk=row.pk)
    return row


def _month_row(workspace_id, project_id, month: date) -> SpendMonth:
    row, _ = SpendMonth.objects.get_or_create(
        workspace_id=workspace_id, project_id=project_id, month=month
    )
    return row


def budget_status(*, workspace, project=None, now: datetime | None = None) -> BudgetStatus:
    """The month's standing of the workspace, or of `project` against its own budget."""
    project_id = project.pk if project is not None else None
    budget = (project if project is not None else workspace).monthly_budget
    month = month_of(now)
    rows = SpendMonth.objects.filter(_scope(workspace.pk, project_id)).filter(
        Q(month=month) | Q(month__isnull=True)
    )
    charged = possible = pending = 0
    for row in rows:
        if row.month is None:
            pending = row.pending
        else:
            charged, possible = row.charged, row.possible
    return BudgetStatus(budget=budget, charged=charged, pending=pending, possible=possible)


def _refusal(cost: int, status: BudgetStatus, whose: str) -> str:
    running = f", {status.pending:,} in jobs still running" if status.pending else ""
    unsure = f", {status.possible:,} possibly charged" if status.possible else ""
    return (
        f"This would cost {cost:,} API units, but {whose} has {status.remaining:,} of its "
        f"{status.budget:,}-unit monthly budget left ({status.charged:,} charged{unsure}"
        f"{running}). "
    )


def budget_check(*, workspace, project=None, cost: int) -> None:
    """Refuse `cost` more units when the workspace's or the project's budget has no room.

    Call it inside the transaction that commits the spend (`ledger_commit`): it locks
    the open ledger rows, so concurrent submissions of a workspace are counted one
    after another.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("budget_check must run inside the transaction that commits the spend")
    _open_row(workspace.pk, lock=True)
    if project is not None:
        _open_row(workspace.pk, project.pk, lock=True)
    status = budget_status(workspace=workspace)
    if not status.allows(cost):
        raise BudgetExceeded(
            _refusal(cost, status, "the workspace")
            + "An owner can raise the budget in the workspace settings."
        )
    if project is not None and project.monthly_budget is not None:
        status = budget_status(workspace=workspace, project=project)
        if not status.allows(cost):
            raise BudgetExceeded(
                _refusal(cost, status, f"the project “{project.name}”")
                + "An owner can raise it in the project's settings."
            )


def _add_pending(workspace_id, project_id, units: int) -> None:
    _open_row(workspace_id)
    if project_id is not None:
        _open_row(workspace_id, project_id)
    SpendMonth.objects.filter(
        Q(workspace_id=workspace_id, month__isnull=True)
        & (Q(project__isnull=True) | Q(project_id=project_id))
    ).update(pending=F("pending") + units)


def ledger_commit(*, workspace_id, project_id, units: int) -> None:
    """Count a submitted job's estimate as pending until the API answers it."""
    if units:
        _add_pending(workspace_id, project_id, units)


def ledger_release(*, workspace_id, project_id, units: int) -> None:
    """Stop counting an estimate: the job ended (or was canceled) before any charge."""
    if units:
        _add_pending(workspace_id, project_id, -units)


def ledger_charge(
    *,
    event: AuditEvent,
    user_id,
    operation: str,
    charged: int = 0,
    possible: int = 0,
    released: int = 0,
    images: int = 0,
    calls: int = 1,
) -> None:
    """Record a charge (or a possible one) that `event` has just written to the trail.

    `released` is the estimate it settles (pending goes down by it). Call it in the
    transaction that wrote `event`; the month and day are the event's own.
    """
    workspace_id, project_id = event.workspace_id, event.project_id
    if released:
        _add_pending(workspace_id, project_id, -released)
    month = month_of(event.created_at)
    rows = [_month_row(workspace_id, None, month).pk]
    if project_id is not None:
        rows.append(_month_row(workspace_id, project_id, month).pk)
    SpendMonth.objects.filter(pk__in=rows).update(
        charged=F("charged") + charged, possible=F("possible") + possible
    )
    day = event.created_at.astimezone(UTC).date()
    row, _ = SpendDay.objects.get_or_create(
        workspace_id=workspace_id,
        key=SpendDay.key_for(day=day, project_id=project_id, user_id=user_id, operation=operation),
        defaults={"project_id": project_id, "user_id": user_id, "operation": operation, "day": day},
    )
    SpendDay.objects.filter(pk=row.pk).update(
        charged=F("charged") + charged,
        possible=F("possible") + possible,
        calls=F("calls") + calls,
        images=F("images") + images,
    )
    transaction.on_commit(
        lambda: spend_recorded.send(
            sender=SpendMonth, workspace_id=workspace_id, project_id=project_id, month=month
        )
    )


# --- the trail is the record -------------------------------------------------------------


@dataclass(frozen=True)
class LedgerDifference:
    project_id: int | None
    month: date
    ledger: tuple[int, int]
    trail: tuple[int, int]


def _trail_totals(workspace) -> dict[tuple[int | None, date], list[int]]:
    """(project or None, month) → [charged, possible], recomputed from the trail."""
    totals: dict[tuple[int | None, date], list[int]] = {}
    events = AuditEvent.objects.filter(workspace=workspace).filter(
        Q(actual_cost__gt=0) | Q(verb=POSSIBLE_CHARGE_VERB)
    )
    for event in events.only("project_id", "created_at", "actual_cost", "data", "verb").iterator(
        chunk_size=2000
    ):
        month = month_of(event.created_at)
        charged = event.actual_cost or 0
        possible = (
            int(event.data.get("possible_units") or 0) if event.verb == POSSIBLE_CHARGE_VERB else 0
        )
        for key in (
            ((None, month), (event.project_id, month)) if event.project_id else ((None, month),)
        ):
            entry = totals.setdefault(key, [0, 0])
            entry[0] += charged
            entry[1] += possible
    return totals


def ledger_verify(*, workspace) -> list[LedgerDifference]:
    """Every month (of the workspace and of each project) where the ledger and the trail
    disagree on charged or possible units; empty when they agree."""
    trail = _trail_totals(workspace)
    ledger = {
        (row.project_id, row.month): [row.charged, row.possible]
        for row in SpendMonth.objects.filter(workspace=workspace, month__isnull=False)
    }
    differences = []
    for key in sorted(set(trail) | set(ledger), key=lambda k: (k[1], k[0] or 0)):
        mine, theirs = ledger.get(key, [0, 0]), trail.get(key, [0, 0])
        if mine != theirs:
            differences.append(LedgerDifference(key[0], key[1], tuple(mine), tuple(theirs)))
    return differences


@transaction.atomic
def ledger_rebuild(*, workspace, pending: dict[int | None, int] | None = None) -> None:
    """Write the month totals again from the trail (and `pending` by project, when given).

    Day rows are rebuilt from the trail's charge events too.
    """
    _open_row(workspace.pk, lock=True)
    SpendMonth.objects.filter(workspace=workspace, month__isnull=False).delete()
    SpendDay.objects.filter(workspace=workspace).delete()
    for (project_id, month), (charged, possible) in _trail_totals(workspace).items():
        SpendMonth.objects.create(
            workspace=workspace,
            project_id=project_id,
            month=month,
            charged=charged,
            possible=possible,
        )
    days = (
        AuditEvent.objects.filter(workspace=workspace, actual_cost__gt=0)
        .values("project_id", "actor_id", "created_at__date", "data__operation")
        .annotate(units=Sum("actual_cost"))
    )
    for row in days:
        operation = row["data__operation"] or ""
        day = row["created_at__date"]
        key = SpendDay.key_for(
            day=day, project_id=row["project_id"], user_id=row["actor_id"], operation=operation
        )
        SpendDay.objects.update_or_create(
            workspace=workspace,
            key=key,
            defaults={
                "project_id": row["project_id"],
                "user_id": row["actor_id"],
                "operation": operation,
                "day": day,
                "charged": row["units"],
            },
        )
    if pending is not None:
        SpendMonth.objects.filter(workspace=workspace, month__isnull=True).update(pending=0)
        for project_id, units in pending.items():
            if project_id is not None:
                _open_row(workspace.pk, project_id)
                SpendMonth.objects.filter(
                    workspace=workspace, project_id=project_id, month__isnull=True
                ).update(pending=units)
        total = sum(pending.values())
        SpendMonth.objects.filter(
            workspace=workspace, project__isnull=True, month__isnull=True
        ).update(pending=total)


def usd(units: int) -> float:
    return units / catalog.UNITS_PER_USD

"""Reads of the audit trail and of what a workspace has spent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from recraft_studio.recraft import catalog

from .models import AuditEvent


@dataclass(frozen=True)
class TrailFilters:
    verb: str = ""
    actor: str = ""
    project: int | None = None
    since: date | None = None
    until: date | None = None
    #: A kind of object ("asset", "membership"…) and, from `target`, one object of it.
    target_type: str = ""
    target: str = ""


def audit_events_for(*, workspace, filters: TrailFilters | None = None) -> QuerySet[AuditEvent]:
    """The workspace's events, newest first; the caller has checked the membership."""
    events = AuditEvent.objects.filter(workspace=workspace).select_related("project", "workspace")
    f = filters or TrailFilters()
    if f.verb:
        events = events.filter(verb=f.verb)
    if f.actor:
        events = events.filter(actor_name=f.actor)
    if f.project:
        events = events.filter(project_id=f.project)
    if f.target:
        target_type, _, target_id = f.target.partition(":")
        events = events.filter(target_type=target_type, target_id=target_id)
    elif f.target_type:
        events = events.filter(target_type=f.target_type)
    tz = timezone.get_current_timezone()
    if f.since:
        events = events.filter(created_at__gte=datetime.combine(f.since, time.min, tz))
    if f.until:
        events = events.filter(created_at__lte=datetime.combine(f.until, time.max, tz))
    return events.order_by("-created_at", "-id")


def events_page(events: QuerySet[AuditEvent], *, before: int | None, size: int = 50):
    """A page of events older than the event `before` (keyset on the id, which only grows)."""
    if before:
        events = events.filter(id__lt=before)
    items = list(events.order_by("-id")[: size + 1])
    return items[:size], (items[size - 1].id if len(items) > size else None)


def audit_verbs(*, workspace) -> list[str]:
    return list(
        AuditEvent.objects.filter(workspace=workspace)
        .order_by("verb")
        .values_list("verb", flat=True)
        .distinct()
    )


def audit_actors(*, workspace) -> list[str]:
    return list(
        AuditEvent.objects.filter(workspace=workspace)
        .exclude(actor_name="")
        .order_by("actor_name")
        .values_list("actor_name", flat=True)
        .distinct()
    )


@dataclass(frozen=True)
class Spend:
    total: int
    by_project: list[tuple[str, int]]
    by_actor: list[tuple[str, int]]

    @property
    def usd(self) -> float:
        return self.total / catalog.UNITS_PER_USD


def spend_since(*, workspace, since: datetime) -> Spend:
    """API units the workspace was charged since `since`, from the events that record a
    charge (a finished job, a created style): the API's own figures, not estimates."""
    charged = AuditEvent.objects.filter(
        workspace=workspace, created_at__gte=since, actual_cost__isnull=False
    ).filter(~Q(actual_cost=0))
    total = charged.aggregate(total=Sum("actual_cost"))["total"] or 0
    by_project = [
        (row["project__name"] or "(no project)", row["units"])
        for row in charged.values("project__name")
        .annotate(units=Sum("actual_cost"))
        .order_by("-units")
    ]
    by_actor = [
        (row["actor_name"] or "(system)", row["units"])
        for row in charged.values("actor_name")
        .annotate(units=Sum("actual_cost"))
        .order_by("-units")
    ]
    return Spend(total=total, by_project=by_project, by_actor=by_actor)


#: Events that settle a submitted job: after one of these its estimate is no longer pending.
SETTLING_VERBS = ("job.completed", "job.failed", "job.canceled")


def month_start(now: datetime | None = None) -> datetime:
    now = now or timezone.now()
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class BudgetStatus:
    """Where a workspace stands against its monthly budget, in API units.

    `charged` is what the API charged this month; `pending` what submitted jobs not
    yet settled are estimated to cost, so two quick submissions cannot both slip under
    the cap.
    """

    budget: int | None
    charged: int
    pending: int

    @property
    def committed(self) -> int:
        return self.charged + self.pending

    @property
    def remaining(self) -> int | None:
        return None if self.budget is None else max(self.budget - self.committed, 0)

    def allows(self, cost: int) -> bool:
        return self.budget is None or self.committed + cost <= self.budget


def budget_status(*, workspace) -> BudgetStatus:
    """The month's standing, read from the trail: charges, and estimates still open."""
    events = AuditEvent.objects.filter(workspace=workspace)
    charged = (
        events.filter(created_at__gte=month_start(), actual_cost__isnull=False).aggregate(
            units=Sum("actual_cost")
        )["units"]
        or 0
    )
    settled = events.filter(verb__in=SETTLING_VERBS).values("target_id")
    pending = (
        events.filter(verb="job.submitted")
        .exclude(target_id__in=settled)
        .aggregate(units=Sum("estimated_cost"))["units"]
        or 0
    )
    return BudgetStatus(budget=workspace.monthly_budget, charged=charged, pending=pending)

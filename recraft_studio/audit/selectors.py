"""Reads of the audit trail and of what a workspace has spent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import QuerySet, Sum
from django.utils import timezone

from recraft_studio.recraft import catalog

from .ledger import BudgetStatus, budget_status, month_of, month_start  # noqa: F401
from .models import AuditEvent, SpendDay, SpendMonth


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
    possible: int = 0

    @property
    def usd(self) -> float:
        return self.total / catalog.UNITS_PER_USD


def spend_of_month(*, workspace, now: datetime | None = None) -> Spend:
    """What the API charged the workspace this month, from the running ledger: the API's
    own figures (and what interrupted calls may have cost), not estimates."""
    month = month_of(now)
    rows = SpendMonth.objects.filter(workspace=workspace, month=month).select_related("project")
    total = possible = 0
    by_project = []
    for row in rows:
        if row.project_id is None:
            total, possible = row.charged, row.possible
        elif row.charged:
            by_project.append((row.project.name, row.charged))
    by_actor: dict[str, int] = {}
    days = (
        SpendDay.objects.filter(workspace=workspace, day__gte=month)
        .values("user__username")
        .annotate(units=Sum("charged"))
    )
    for row in days:
        if row["units"]:
            name = row["user__username"] or "(system)"
            by_actor[name] = by_actor.get(name, 0) + row["units"]
    outside = total - sum(units for _, units in by_project)
    if outside:
        by_project.append(("(no project)", outside))  # brand styles, made for the workspace
    return Spend(
        total=total,
        by_project=sorted(by_project, key=lambda r: -r[1]),
        by_actor=sorted(by_actor.items(), key=lambda r: -r[1]),
        possible=possible,
    )

"""Reads of the audit trail and of what a workspace has spent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import Q, QuerySet, Sum
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


# --- the spend page ------------------------------------------------------------------------------

#: Warnings are shown, and emailed once a month, at these shares of a monthly budget.
BUDGET_THRESHOLDS = (80, 100)


@dataclass(frozen=True)
class SpendRow:
    """One line of a breakdown: a project, a person or a tool, and what it cost."""

    label: str
    units: int
    possible: int = 0
    calls: int = 0
    images: int = 0
    budget: int | None = None
    key: object = None

    @property
    def usd(self) -> float:
        return self.units / catalog.UNITS_PER_USD

    @property
    def percent(self) -> int | None:
        return round(100 * self.units / self.budget) if self.budget else None


@dataclass(frozen=True)
class SpendReport:
    """A month of a workspace's spend, from the running ledger (`SpendMonth`, `SpendDay`)."""

    month: date
    #: Every day of the month, with what the API charged that day (None: still to come).
    days: list[tuple[date, int | None]]
    by_project: list[SpendRow]
    by_person: list[SpendRow]
    by_tool: list[SpendRow]
    charged: int
    possible: int
    pending: int
    budget: int | None

    @property
    def usd(self) -> float:
        return self.charged / catalog.UNITS_PER_USD

    @property
    def day_rows(self) -> list[SpendRow]:
        """The days something was charged, as rows (`key` is the day)."""
        return [SpendRow(f"{d:%Y-%m-%d}", units, key=d) for d, units in self.days if units]

    @property
    def cumulative(self) -> list[int | None]:
        total, out = 0, []
        for _, units in self.days:
            if units is None:
                out.append(None)
            else:
                total += units
                out.append(total)
        return out

    @property
    def percent(self) -> int | None:
        if not self.budget:
            return None
        return round(100 * (self.charged + self.possible) / self.budget)


def month_days(month: date) -> list[date]:
    import calendar

    count = calendar.monthrange(month.year, month.month)[1]
    return [month.replace(day=d) for d in range(1, count + 1)]


def spend_report(*, workspace, month: date, today: date | None = None) -> SpendReport:
    """The month's spend by day, project, person and tool, in five queries whatever the
    size of the month: the ledger's rows are already totals."""
    from recraft_studio.recraft.catalog import OPERATIONS, Op

    today = today or timezone.now().date()
    rows = SpendMonth.objects.filter(workspace=workspace).filter(
        Q(month=month) | Q(month__isnull=True)
    )
    charged = possible = pending = 0
    project_charged: dict = {}
    for row in rows:
        if row.month is None:
            if row.project_id is None:
                pending = row.pending
        elif row.project_id is None:
            charged, possible = row.charged, row.possible
        else:
            project_charged[row.project_id] = (row.charged, row.possible)
    by_project = []
    for project in workspace.projects.order_by("name"):
        units, maybe = project_charged.pop(project.pk, (0, 0))
        if units or maybe or project.monthly_budget:
            by_project.append(
                SpendRow(project.name, units, maybe, budget=project.monthly_budget, key=project.pk)
            )
    outside = charged - sum(r.units for r in by_project)
    if outside > 0:
        by_project.append(SpendRow("Workspace (brand styles)", outside))
    by_project.sort(key=lambda r: (-r.units, r.label))

    days = SpendDay.objects.filter(
        workspace=workspace, day__gte=month, day__lte=month_days(month)[-1]
    )
    per_day = {r["day"]: r["units"] for r in days.values("day").annotate(units=Sum("charged"))}
    by_person = sorted(
        (
            SpendRow(
                r["user__username"] or "(the studio)",
                r["units"] or 0,
                r["maybe"] or 0,
                calls=r["calls"] or 0,
                images=r["images"] or 0,
                key=r["user_id"],
            )
            for r in days.values("user_id", "user__username").annotate(
                units=Sum("charged"),
                maybe=Sum("possible"),
                calls=Sum("calls"),
                images=Sum("images"),
            )
        ),
        key=lambda r: (-r.units, r.label),
    )

    def tool_label(operation: str) -> str:
        try:
            return OPERATIONS[Op(operation)].label
        except (ValueError, KeyError):
            return operation.replace("_", " ").capitalize() or "Other"

    by_tool = sorted(
        (
            SpendRow(
                tool_label(r["operation"]),
                r["units"] or 0,
                r["maybe"] or 0,
                calls=r["calls"] or 0,
                images=r["images"] or 0,
                key=r["operation"],
            )
            for r in days.values("operation").annotate(
                units=Sum("charged"),
                maybe=Sum("possible"),
                calls=Sum("calls"),
                images=Sum("images"),
            )
        ),
        key=lambda r: (-r.units, r.label),
    )
    return SpendReport(
        month=month,
        days=[(d, per_day.get(d, 0) if d <= today else None) for d in month_days(month)],
        by_project=by_project,
        by_person=by_person,
        by_tool=by_tool,
        charged=charged,
        possible=possible,
        pending=pending,
        budget=workspace.monthly_budget,
    )


@dataclass(frozen=True)
class BudgetWarning:
    """A budget this month's committed spend has reached 80 % or 100 % of."""

    scope: str
    project: object
    status: BudgetStatus
    threshold: int

    @property
    def percent(self) -> int:
        return round(100 * self.status.committed / self.status.budget)

    @property
    def exhausted(self) -> bool:
        return self.threshold >= 100


def budget_warning_for(scope: str, project, status: BudgetStatus) -> BudgetWarning | None:
    if not status.budget:
        return None
    reached = [t for t in BUDGET_THRESHOLDS if 100 * status.committed >= t * status.budget]
    return BudgetWarning(scope, project, status, max(reached)) if reached else None


def budget_warnings(*, workspace, project=None) -> list[BudgetWarning]:
    """The warnings to show on a page of the workspace (or of one of its projects):
    the workspace's budget and the project's, each at 80 % or 100 % committed."""
    warnings = []
    if workspace.monthly_budget:
        warning = budget_warning_for("the workspace", None, budget_status(workspace=workspace))
        if warning:
            warnings.append(warning)
    if project is not None and project.monthly_budget:
        warning = budget_warning_for(
            f"the project “{project.name}”",
            project,
            budget_status(workspace=workspace, project=project),
        )
        if warning:
            warnings.append(warning)
    return warnings

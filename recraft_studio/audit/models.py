from django.conf import settings
from django.db import models


class AppendOnlyError(Exception):
    """Audit events are never changed or deleted once written."""


class AuditEventQuerySet(models.QuerySet):
    """Bulk changes are refused as single ones are (a workspace's deletion still
    takes its events with it: Django's cascade does not go through here)."""

    def update(self, **kwargs):
        raise AppendOnlyError("Audit events cannot be changed.")

    def delete(self):
        raise AppendOnlyError("Audit events cannot be deleted.")


class AuditEvent(models.Model):
    """One thing that happened, kept as it was.

    The actor's name is copied in, so the trail still reads right after the user
    is renamed or removed. Costs are in API units (1,000 = 1 USD).
    """

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="audit_events"
    )
    project = models.ForeignKey(
        "workspaces.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    verb = models.CharField(max_length=50)
    target_type = models.CharField(max_length=50, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    estimated_cost = models.PositiveIntegerField(null=True, blank=True)
    actual_cost = models.PositiveIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "-created_at"]),
            # "What happened to this image": the trail filtered to one object.
            models.Index(
                fields=["workspace", "target_type", "target_id", "-id"], name="audit_target_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name or 'system'} {self.verb}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events cannot be deleted.")


class SpendMonth(models.Model):
    """Running totals of a workspace's spend, kept as it happens, for budgets.

    One row per workspace and month (`project` empty) and per project and month.
    Rows whose `month` is empty hold `pending`: the estimates of jobs submitted and
    not yet answered by the API. Charged and possible units land in the month of the
    API's answer. A budget check reads and locks at most four rows, however long the
    history; `audit.ledger.ledger_verify` checks these totals against the trail.
    """

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="spend_months"
    )
    project = models.ForeignKey(
        "workspaces.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField(null=True, blank=True)
    #: What the API reported charging (its `credits`), in API units.
    charged = models.BigIntegerField(default=0)
    #: What calls interrupted in flight may have been charged: unknown, so counted.
    possible = models.BigIntegerField(default=0)
    #: Estimates of submitted jobs the API has not answered yet (rows without a month).
    pending = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            # Partial unique constraints: PostgreSQL and SQLite alike treat NULLs as
            # distinct, so each combination of empty columns gets its own.
            models.UniqueConstraint(
                fields=["workspace"],
                condition=models.Q(project__isnull=True, month__isnull=True),
                name="spend_workspace_open",
            ),
            models.UniqueConstraint(
                fields=["workspace", "month"],
                condition=models.Q(project__isnull=True, month__isnull=False),
                name="spend_workspace_month",
            ),
            models.UniqueConstraint(
                fields=["project"],
                condition=models.Q(project__isnull=False, month__isnull=True),
                name="spend_project_open",
            ),
            models.UniqueConstraint(
                fields=["project", "month"],
                condition=models.Q(project__isnull=False, month__isnull=False),
                name="spend_project_month",
            ),
        ]

    def __str__(self) -> str:
        scope = self.project or self.workspace
        return f"{scope} {self.month or 'open'}: {self.charged} charged, {self.pending} pending"


class SpendDay(models.Model):
    """Charges rolled up by day, project, person and tool, for the spend page's charts.

    `project` is empty for calls made for the whole workspace (brand styles).
    """

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="spend_days"
    )
    project = models.ForeignKey(
        "workspaces.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    operation = models.CharField(max_length=30)
    day = models.DateField()
    #: day|project|user|operation, "-" for an empty one: one row per combination,
    #: which a unique constraint over columns that may be NULL cannot say portably.
    key = models.CharField(max_length=120)
    charged = models.BigIntegerField(default=0)
    possible = models.BigIntegerField(default=0)
    calls = models.PositiveIntegerField(default=0)
    images = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="spend_day_once"),
        ]
        indexes = [models.Index(fields=["workspace", "day"], name="spend_day_ws_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.operation}: {self.charged}"

    @staticmethod
    def key_for(*, day, project_id, user_id, operation) -> str:
        return f"{day.isoformat()}|{project_id or '-'}|{user_id or '-'}|{operation}"


class BudgetAlert(models.Model):
    """A budget warning sent: a workspace (or one of its projects) reached `threshold` %
    of its monthly budget in `month`. One row each, so each warning goes out once."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="budget_alerts"
    )
    project = models.ForeignKey(
        "workspaces.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField()
    threshold = models.PositiveSmallIntegerField()
    spent = models.BigIntegerField()
    budget = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "month", "threshold"],
                condition=models.Q(project__isnull=True),
                name="budget_alert_workspace_once",
            ),
            models.UniqueConstraint(
                fields=["project", "month", "threshold"],
                condition=models.Q(project__isnull=False),
                name="budget_alert_project_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project or self.workspace} {self.month:%Y-%m} {self.threshold}%"

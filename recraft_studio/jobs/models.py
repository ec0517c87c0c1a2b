import uuid

from django.conf import settings
from django.db import models

from recraft_studio.assets.models import OPERATION_CHOICES
from recraft_studio.recraft.catalog import STYLE_LABELS, Op


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"  # waiting for its turn and for rate-limit permits
    DISPATCHED = "dispatched", "Starting"  # has its permits; handed to the workers
    RUNNING = "running", "Running"  # a worker holds its lease
    GENERATED = "generated", "Generated"  # the API answered; outputs are being stored
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


FINISHED = frozenset({JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELED})
#: Jobs the API has not answered yet: their estimate is pending in the ledger.
UNANSWERED = frozenset({JobStatus.QUEUED, JobStatus.DISPATCHED, JobStatus.RUNNING})
#: Whoever holds the lease of a job handed to the workers but not picked up yet.
DISPATCH_OWNER = "scheduler"

#: How a job's parameters are labelled where lineage is shown, in this order.
PARAMETER_LABELS = (
    ("prompt", "Prompt"),
    ("negative_prompt", "Leave out"),
    ("model", "Model"),
    ("style", "Style"),
    ("substyle", "Substyle"),
    ("strength", "Strength"),
    ("size", "Size"),
    ("n", "Images"),
    ("random_seed", "Seed"),
    ("image_format", "Output format"),
    ("text_layout", "Words"),
)
CONTROL_LABELS = (("artistic_level", "Artistic level"), ("no_text", "No text"))


def _readable(key: str, value):
    """A parameter's value as a person reads it (style names by their labels)."""
    if key == "style":
        return STYLE_LABELS.get(value, value)
    if key == "substyle":
        return str(value).replace("_", " ")
    if key == "text_layout":
        return ", ".join(item["text"] for item in value)
    return value


class Job(models.Model):
    """One paid call to the API, from submission until its outputs are stored.

    `params` is what the API is sent, files aside; uploaded inputs are kept in our
    storage and named in `inputs`. `response` is the API's answer, written before
    any output is fetched, so an output the API returned is never lost.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="jobs"
    )
    #: Empty for calls made for the whole workspace (creating a brand style).
    project = models.ForeignKey(
        "workspaces.Project",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="jobs",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    operation = models.CharField(max_length=30, choices=OPERATION_CHOICES, default=Op.GENERATE)
    params = models.JSONField(default=dict)
    inputs = models.JSONField(default=dict, blank=True)
    source_asset = models.ForeignKey(
        "assets.Asset",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="derived_jobs",
    )
    brand_style = models.ForeignKey(
        "brand.BrandStyle", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    n_outputs = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(
        max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True
    )
    estimated_cost = models.PositiveIntegerField(default=0)
    actual_cost = models.PositiveIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    # --- the queue ---------------------------------------------------------------------
    #: Whose turn it is: a person's jobs (in one workspace) share a lane and run in
    #: `queue_seq` order; lanes take turns by images (`jobs.scheduler`).
    lane = models.CharField(max_length=40, blank=True)
    queue_seq = models.BigIntegerField(default=0)
    #: Not to be handed out before this (backoff after a failure, Retry-After).
    not_before = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    #: The Recraft account whose rate-limit permits the job holds (or last held).
    account = models.CharField(max_length=64, blank=True)
    permits = models.PositiveSmallIntegerField(default=0)
    #: Names this dispatch's permits in the window (each dispatch gets new ones, so a
    #: call that may have counted keeps counting while the job is sent again).
    permit_holder = models.CharField(max_length=64, blank=True)
    #: Who may work on the job until when: the scheduler between dispatch and pickup,
    #: then a worker, which renews it while it runs. A lapsed lease means nobody is.
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    #: Tries of the API call that failed for a reason that may pass, and of storing.
    api_attempts = models.PositiveSmallIntegerField(default=0)
    store_attempts = models.PositiveSmallIntegerField(default=0)
    answered_at = models.DateTimeField(null=True, blank=True)
    #: Why an unfinished job is waiting, in words for its card (set by whoever put it
    #: back to wait: a retry, a pause); the scheduler's forecast says the rest.
    waiting = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "lease_expires_at"], name="job_status_lease_idx"),
            models.Index(
                fields=["workspace", "created_by", "dispatched_at"], name="job_person_hour_idx"
            ),
            # Named as they were created, when jobs lived in the assets app.
            models.Index(fields=["project", "-created_at"], name="assets_job_project_c37e1f_idx"),
            models.Index(fields=["status", "updated_at"], name="assets_job_status_12b645_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_operation_display()} job {self.id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def prompt(self) -> str:
        return self.params.get("prompt", "")

    @property
    def seed(self) -> int | None:
        """The seed the API was sent (the studio draws one for every generative call)."""
        return self.params.get("random_seed")

    def parameter_rows(self) -> list[dict]:
        """What the API was sent, as labelled rows a person can read (files aside).

        Colours come back as hex strings in `colors` so the page can show swatches.
        """
        rows = [
            {"label": label, "value": _readable(key, self.params[key])}
            for key, label in PARAMETER_LABELS
            if self.params.get(key) not in (None, "")
        ]
        if self.brand_style_id is not None:
            rows.append({"label": "Brand style", "value": self.brand_style.name})
        controls = self.params.get("controls") or {}
        for key, label in CONTROL_LABELS:
            if controls.get(key) not in (None, ""):
                rows.append({"label": label, "value": controls[key]})
        colors = ["#{:02x}{:02x}{:02x}".format(*c["rgb"]) for c in controls.get("colors") or []]
        if colors:
            rows.append({"label": "Colours", "value": " ".join(colors), "colors": colors})
        if background := controls.get("background_color"):
            hex_bg = "#{:02x}{:02x}{:02x}".format(*background["rgb"])
            rows.append({"label": "Background", "value": hex_bg, "colors": [hex_bg]})
        return rows


class CallState(models.TextChoices):
    IN_FLIGHT = "in_flight", "In flight"
    ANSWERED = "answered", "Answered"  # the API made the images and said what it charged
    REFUSED = "refused", "Refused"  # a 4xx: nothing made, nothing charged
    FAILED = "failed", "Failed"  # a 5xx or a connection that never reached the API
    INTERRUPTED = "interrupted", "Interrupted"  # sent, but its answer never arrived


class ApiCall(models.Model):
    """One paid request sent to the API, written *before* it is sent.

    The API has no idempotency key: a call whose answer never arrived (the worker
    died, the connection broke after sending) may have been charged. Such a call is
    found still `in_flight` by the next run, marked `interrupted` with the units it
    may have cost, and re-sent once; reconciliation against the account's balance
    tells later whether it was charged.
    """

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="calls")
    account = models.CharField(max_length=64)
    state = models.CharField(max_length=12, choices=CallState.choices, default=CallState.IN_FLIGHT)
    sent_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    credits = models.PositiveIntegerField(null=True, blank=True)
    possible_units = models.PositiveIntegerField(default=0)
    resend = models.BooleanField(default=False)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [models.Index(fields=["account", "sent_at"], name="apicall_account_idx")]

    def __str__(self) -> str:
        return f"call for {self.job_id} ({self.state})"


class BalanceCheck(models.Model):
    """The account's balance as `/users/me` reported it, beside what the studio
    recorded, for reconciling the ledger with the account."""

    account = models.CharField(max_length=64)
    checked_at = models.DateTimeField(auto_now_add=True)
    balance = models.BigIntegerField()
    #: Calls of this account still in flight when the balance was read.
    in_flight = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-checked_at"]
        indexes = [models.Index(fields=["account", "-checked_at"], name="balance_account_idx")]

    def __str__(self) -> str:
        return f"{self.account}: {self.balance} at {self.checked_at:%Y-%m-%d %H:%M}"

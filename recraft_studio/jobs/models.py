import uuid

from django.conf import settings
from django.db import models

from recraft_studio.assets.models import OPERATION_CHOICES
from recraft_studio.recraft.catalog import STYLE_LABELS, Op


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    GENERATED = "generated", "Generated"  # the API answered; outputs are being stored
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


FINISHED = frozenset({JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELED})

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
    project = models.ForeignKey("workspaces.Project", on_delete=models.CASCADE, related_name="jobs")
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

    class Meta:
        ordering = ["-created_at"]
        indexes = [
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

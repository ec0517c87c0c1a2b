import uuid

from django.conf import settings
from django.db import models

from recraft_studio.recraft.catalog import OPERATIONS, STYLE_LABELS, Op

#: The operation of an asset a person uploaded: the root of its lineage, made by no job.
UPLOAD = "upload"
OPERATION_CHOICES = [(str(op), o.label) for op, o in OPERATIONS.items()] + [(UPLOAD, "Upload")]


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
        "Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="derived_jobs"
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
            models.Index(fields=["project", "-created_at"]),
            models.Index(fields=["status", "updated_at"]),
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


class Asset(models.Model):
    """An image in our storage: an output of a job, or an upload.

    Files live under content-addressed keys (their SHA-256), so the same bytes are
    stored once however many assets share them.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="assets"
    )
    project = models.ForeignKey(
        "workspaces.Project", on_delete=models.CASCADE, related_name="assets"
    )
    job = models.ForeignKey(
        Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="assets"
    )
    output_index = models.PositiveSmallIntegerField(null=True, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    operation = models.CharField(max_length=30, choices=OPERATION_CHOICES, default=Op.GENERATE)
    prompt = models.TextField(blank=True)
    style = models.CharField(max_length=40, blank=True)
    substyle = models.CharField(max_length=40, blank=True)
    brand_style = models.ForeignKey(
        "brand.BrandStyle", null=True, blank=True, on_delete=models.SET_NULL, related_name="assets"
    )
    model = models.CharField(max_length=20, blank=True)
    api_image_id = models.CharField(max_length=64, blank=True)
    file_key = models.CharField(max_length=200)
    thumb_key = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    cost = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "output_index"],
                condition=models.Q(job__isnull=False),
                name="one_asset_per_job_output",
            )
        ]
        # Each gallery filter has an index that ends in the page order, so a filtered
        # page is a seek plus a short scan whatever the gallery's size. The prompt
        # search's trigram index is PostgreSQL-only and lives in migration 0004.
        indexes = [
            models.Index(fields=["workspace", "-created_at", "-id"]),
            models.Index(fields=["project", "-created_at", "-id"]),
            models.Index(
                fields=["workspace", "operation", "-created_at", "-id"],
                name="asset_ws_operation_idx",
            ),
            models.Index(
                fields=["workspace", "style", "-created_at", "-id"], name="asset_ws_style_idx"
            ),
            models.Index(fields=["brand_style", "-created_at", "-id"], name="asset_brand_idx"),
            models.Index(
                fields=["workspace", "created_by", "-created_at", "-id"],
                name="asset_ws_author_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_operation_display()} {self.width}×{self.height} {self.id}"

    @property
    def is_svg(self) -> bool:
        return self.content_type == "image/svg+xml"

    @property
    def style_label(self) -> str:
        return STYLE_LABELS.get(self.style, self.style)

    @property
    def is_upload(self) -> bool:
        return self.operation == UPLOAD

    @property
    def extension(self) -> str:
        return self.file_key.rsplit(".", 1)[-1]

    @property
    def download_name(self) -> str:
        return f"recraft-{str(self.id)[:8]}.{self.extension}"

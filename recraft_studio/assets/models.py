import uuid

from django.conf import settings
from django.db import models

from recraft_studio.recraft.catalog import OPERATIONS, STYLE_LABELS, Op

#: The operation of an asset a person uploaded: the root of its lineage, made by no job.
UPLOAD = "upload"
OPERATION_CHOICES = [(str(op), o.label) for op, o in OPERATIONS.items()] + [(UPLOAD, "Upload")]


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
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="assets"
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
        return self.download_name_for(self.extension)

    def download_name_for(self, extension: str) -> str:
        """`launch-red-panda-mascot-1.png`: the project, the prompt, the output's number."""
        from .renditions import download_name

        prompt = self.prompt
        if not prompt and self.parent_id is not None:
            # A tool without a prompt: named after its source and what was done to it.
            prompt = f"{self.parent.prompt} {self.get_operation_display()}"
        return download_name(
            project=self.project.name,
            prompt=prompt,
            number=(self.output_index or 0) + 1,
            extension=extension,
        )

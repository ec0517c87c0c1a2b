import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from recraft_studio.recraft.catalog import OPERATIONS, STYLE_LABELS, Op

#: The operation of an asset a person uploaded: the root of its lineage, made by no job.
UPLOAD = "upload"
OPERATION_CHOICES = [(str(op), o.label) for op, o in OPERATIONS.items()] + [(UPLOAD, "Upload")]


class AssetState(models.TextChoices):
    """Where an image stands in review: only approved images are for use."""

    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    RETIRED = "retired", "Retired"


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
    # Review: the approver and the time stay after retiring, for the record.
    state = models.CharField(max_length=12, choices=AssetState.choices, default=AssetState.DRAFT)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    # The trash: a deleted image is hidden everywhere but the trash, and its row and
    # bytes are purged `TRASH_DAYS` later (`services.trash_purge_expired`).
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tags = models.ManyToManyField("Tag", through="AssetTag", related_name="assets", blank=True)

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
            models.Index(
                fields=["workspace", "state", "-created_at", "-id"], name="asset_ws_state_idx"
            ),
            # Every gallery reads only live rows, newest first: with this index a page's
            # ids come from the index alone (see `selectors.gallery_page`).
            models.Index(
                fields=["workspace", "-created_at", "-id"],
                condition=models.Q(deleted_at__isnull=True),
                name="asset_live_idx",
            ),
            # The trash page and the purge read only deleted rows: a small partial index.
            models.Index(
                fields=["workspace", "-deleted_at", "-id"],
                condition=models.Q(deleted_at__isnull=False),
                name="asset_trash_idx",
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

    @property
    def in_trash(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_approved(self) -> bool:
        return self.state == AssetState.APPROVED

    @property
    def label(self) -> str:
        """How pages and the trail name the image: its prompt, or what made it."""
        text = self.prompt or f"{self.get_operation_display()} image"
        return text if len(text) <= 60 else text[:59].rstrip() + "…"


class StorageRelease(models.Model):
    """A storage key whose last known row was deleted: its bytes may go.

    `services.storage_sweep` deletes the bytes a grace period later, and only if no
    row names the key by then (keys are content-addressed and shared).
    """

    key = models.CharField(max_length=200, unique=True)
    released_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.key


# --- organising: favourites, tags, collections -----------------------------------------------


class Favourite(models.Model):
    """One person's star on an image; nobody else sees it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="favourites")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "asset"], name="one_favourite_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} ★ {self.asset_id}"


class Tag(models.Model):
    """A label shared by the workspace; names are unique whatever their case."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="tags"
    )
    name = models.CharField(max_length=40)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("workspace", Lower("name"), name="tag_per_workspace")
        ]

    def __str__(self) -> str:
        return self.name


class AssetTag(models.Model):
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="asset_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="asset_tags")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["asset", "tag"], name="one_tag_per_asset")]
        # The gallery's tag filter starts from the tag.
        indexes = [models.Index(fields=["tag", "asset"], name="assettag_tag_idx")]

    def __str__(self) -> str:
        return f"{self.tag} on {self.asset_id}"


class Collection(models.Model):
    """A hand-picked, ordered set of images the whole workspace shares (a launch, a deck)."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="collections"
    )
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    #: The image shown for the collection; without one, its first image.
    cover = models.ForeignKey(
        Asset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("workspace", Lower("name"), name="collection_per_workspace")
        ]

    def __str__(self) -> str:
        return self.name


#: Items are spaced this far apart, so an item moves between two others by taking
#: the midpoint, and the collection is renumbered only when no gap is left.
POSITION_GAP = 1024


class CollectionItem(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="items")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="collection_items")
    position = models.BigIntegerField()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["collection", "asset"], name="asset_once_per_collection"
            )
        ]
        indexes = [
            models.Index(fields=["collection", "position", "id"], name="collection_order_idx"),
            models.Index(fields=["asset", "collection"], name="collection_asset_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} in {self.collection_id} at {self.position}"


# --- review: comments and mentions -----------------------------------------------------------


class Comment(models.Model):
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.asset_id}"


class Mention(models.Model):
    """A member named with @ in a comment; `notified_at` makes the email go once."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "user"], name="one_mention_per_user")
        ]

    def __str__(self) -> str:
        return f"@{self.user} in comment {self.comment_id}"


# --- hand-off: exports -----------------------------------------------------------------------


class ExportKind(models.TextChoices):
    SELECTION = "selection", "Selection"
    COLLECTION = "collection", "Collection"
    PROJECT = "project", "Project"


class ExportFormat(models.TextChoices):
    ORIGINAL = "original", "As made"
    PNG = "png", "PNG"
    JPG = "jpg", "JPG"
    WEBP = "webp", "WEBP"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Waiting"
    RUNNING = "running", "Packing"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


class Export(models.Model):
    """A zip of originals with a provenance manifest, built by a worker.

    The images are fixed when the export is asked for (`asset_ids`, in order), so the
    zip holds what the person saw. The file lives in the studio's storage until
    `expires_at`; then the link stops working and a sweep deletes it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="exports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=ExportKind.choices)
    name = models.CharField(max_length=150)
    collection = models.ForeignKey(
        Collection, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    project = models.ForeignKey(
        "workspaces.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_only = models.BooleanField(default=False)
    format = models.CharField(max_length=10, choices=ExportFormat.choices)
    asset_ids = models.JSONField(default=list)
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    file_key = models.CharField(max_length=200, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["workspace", "-created_at"], name="export_ws_idx"),
            models.Index(fields=["status", "expires_at"], name="export_sweep_idx"),
        ]

    def __str__(self) -> str:
        return f"Export {self.name} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (ExportStatus.DONE, ExportStatus.FAILED, ExportStatus.EXPIRED)

    @property
    def percent(self) -> int:
        return 100 if not self.total else round(100 * self.done / self.total)

    @property
    def filename(self) -> str:
        from django.utils.text import slugify

        return f"{slugify(self.name) or 'export'}-{self.created_at:%Y%m%d-%H%M}.zip"

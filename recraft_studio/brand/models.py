from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from recraft_studio.recraft import catalog

BASE_STYLE_CHOICES = [(s, catalog.STYLE_LABELS[s]) for s in catalog.CUSTOM_STYLE_BASES]

#: How a brand style is named in a style select that also holds base styles; the
#: generation form (`assets.forms.BRAND_PREFIX`) reads the same value.
STYLE_CHOICE_PREFIX = "brand:"

#: At most this many colours in a palette. The API documents no limit; more than a
#: dozen "preferred colours" stop meaning anything to the model or to a person.
PALETTE_MAX_COLORS = 12


class BrandStyle(models.Model):
    """A Recraft custom style: reference images on a base style, known to the API by id.

    Archived styles are hidden from forms but kept, with the images made with them.
    """

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="brand_styles"
    )
    name = models.CharField(max_length=100)
    base_style = models.CharField(max_length=40, choices=BASE_STYLE_CHOICES)
    #: Empty while the API is still making the style (its creation is a job).
    style_id = models.UUIDField(
        null=True, blank=True, help_text="The id the Recraft API gave this style."
    )
    cost = models.PositiveIntegerField(default=0, help_text="API units charged to create it.")
    archived_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "style_id"], name="style_id_per_workspace"
            ),
            # One name per workspace (archived styles included), so a style select
            # never offers two entries that read the same.
            models.UniqueConstraint(
                "workspace", Lower("name"), name="brand_style_name_per_workspace"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def choice_value(self) -> str:
        return f"{STYLE_CHOICE_PREFIX}{self.pk}"


class BrandStyleReference(models.Model):
    """One reference image of a brand style, kept in our storage."""

    style = models.ForeignKey(BrandStyle, on_delete=models.CASCADE, related_name="references")
    position = models.PositiveSmallIntegerField(default=0)
    file_key = models.CharField(max_length=200)
    #: The WEBP thumbnail pages show; empty for references kept before thumbnails
    #: existed (made on first view, see `services.reference_thumbnail`).
    thumb_key = models.CharField(max_length=200, blank=True, default="")
    content_type = models.CharField(max_length=40)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["style", "position"], name="one_reference_per_position")
        ]

    def __str__(self) -> str:
        return f"Reference {self.position + 1} of {self.style}"


class Palette(models.Model):
    """Named brand colours, sent as `controls.colors` and `controls.background_color`.

    `colors` is a list of [r, g, b] lists; `background` one [r, g, b] or null.
    """

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="palettes"
    )
    name = models.CharField(max_length=100)
    colors = models.JSONField(default=list)
    background = models.JSONField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("workspace", Lower("name"), name="palette_name_per_workspace")
        ]

    def __str__(self) -> str:
        return self.name

    def to_controls(self) -> dict:
        """The palette as the API's `controls` fields."""
        controls: dict = {}
        if self.colors:
            controls["colors"] = [{"rgb": list(rgb)} for rgb in self.colors]
        if self.background:
            controls["background_color"] = {"rgb": list(self.background)}
        return controls

    @property
    def hex_colors(self) -> list[str]:
        return ["#{:02x}{:02x}{:02x}".format(*rgb) for rgb in self.colors]

    @property
    def hex_background(self) -> str:
        return "#{:02x}{:02x}{:02x}".format(*self.background) if self.background else ""

"""Forms of the library: bringing an image in, and filtering the galleries."""

from __future__ import annotations

from django import forms

from recraft_studio.brand.models import STYLE_CHOICE_PREFIX
from recraft_studio.recraft import catalog
from recraft_studio.recraft.catalog import Op
from recraft_studio.recraft.validation import FieldError

from .models import OPERATION_CHOICES, AssetState, ExportFormat

#: How a brand style is named in a style select that also holds base styles.
BRAND_PREFIX = STYLE_CHOICE_PREFIX


def label_choices(values, labels=None, blank: str | None = None):
    choices = [("", blank)] if blank is not None else []
    return choices + [(v, (labels or {}).get(v, v.replace("_", " "))) for v in values]


# --- uploads ------------------------------------------------------------------------------


class UploadForm(forms.Form):
    """An image a person brings in; it becomes the root of a lineage in the project."""

    file = forms.FileField(
        required=False,
        label="Image",
        widget=forms.FileInput(attrs={"accept": "image/*"}),
    )
    #: A signed reference to a file refused a moment ago, for the fix the page offered.
    pending = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        from .images import UPLOAD_LIMITS

        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = UPLOAD_LIMITS.describe() + "."
        self.problem = None
        self.data_bytes: bytes | None = None

    def clean(self):
        from . import images

        cleaned = super().clean()
        upload = cleaned.get("file")
        if cleaned.get("pending") and not upload:
            return cleaned  # the view reads the stashed file and applies the fix
        if not upload:
            self.add_error("file", "Choose an image to upload.")
            return cleaned
        if upload.size > images.HARD_MAX_BYTES:
            self.add_error(
                "file",
                f"The file is {upload.size / catalog.MB:.1f} MB; the studio reads files up to "
                f"{images.HARD_MAX_BYTES // catalog.MB} MB.",
            )
            return cleaned
        data = upload.read()
        self.problem = images.diagnose(data, images.UPLOAD_LIMITS, field="file")
        if self.problem is None or self.problem.fixes:
            # The header was fine; the pixels must be too, before the file is kept or
            # a fix is offered for it (the size is bounded by `diagnose` already).
            try:
                images.check_decodable(data, field="file")
            except FieldError as error:
                self.problem = images.Problem(error.message)
        if self.problem is not None:
            self.add_error("file", self.problem.message)
        self.data_bytes = data
        return cleaned


# --- galleries ----------------------------------------------------------------------------

GALLERY_OPERATIONS = [(v, label) for v, label in OPERATION_CHOICES if v != Op.CREATE_STYLE]


class GalleryFilterForm(forms.Form):
    """The gallery's filters. Choices come from lists read once, so validating them
    costs no query and a page costs the same number of queries whatever is chosen."""

    q = forms.CharField(
        required=False,
        label="Search prompts",
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Search prompts"}),
    )
    project = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    operation = forms.ChoiceField(
        required=False, choices=[("", "Any operation"), *GALLERY_OPERATIONS]
    )
    style = forms.ChoiceField(required=False)
    author = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    # The library's filters.
    favourites = forms.BooleanField(required=False, label="★ My favourites")
    tag = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Tag")
    collection = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Collection"
    )
    state = forms.ChoiceField(
        required=False, label="State", choices=[("", "Any state"), *AssetState.choices]
    )

    def __init__(self, *args, choices, with_project: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.with_project = with_project
        if with_project:
            self.fields["project"].choices = [("", "All projects")] + [
                (p.pk, p.name) for p in choices.projects
            ]
        else:
            del self.fields["project"]
        styles = [
            ("", "Any style"),
            ("Base styles", label_choices(catalog.STYLES, catalog.STYLE_LABELS)),
        ]
        if choices.brand_styles:
            brands = [(f"{BRAND_PREFIX}{b.pk}", b.name) for b in choices.brand_styles]
            styles.insert(1, ("Brand styles", brands))
        self.fields["style"].choices = styles
        self.fields["author"].choices = [("", "Anyone")] + [(m.pk, m.name) for m in choices.members]
        self.fields["tag"].choices = [("", "Any tag")] + [(t.pk, t.name) for t in choices.tags]
        self.fields["collection"].choices = [("", "Any collection")] + [
            (c.pk, c.name) for c in choices.collections
        ]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            # Neither end of an inverted range is applied: it would hide everything.
            self.add_error("date_to", "The end date is before the start date.")
            self.add_error("date_from", "")
        return cleaned

    def filters(self, *, user=None):
        """The valid filters; a field with an error is left out rather than failing the page.

        `user` is whose favourites "★ My favourites" means.
        """
        from .selectors import GalleryFilters

        if not self.is_bound:
            return GalleryFilters()
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        style = data.get("style") or ""
        brand_id = int(style[len(BRAND_PREFIX) :]) if style.startswith(BRAND_PREFIX) else None
        return GalleryFilters(
            project_id=data.get("project"),
            operation=data.get("operation") or "",
            style="" if brand_id else style,
            brand_style_id=brand_id,
            author_id=data.get("author"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            q=(data.get("q") or "").strip(),
            favourites_of=user.pk if data.get("favourites") and user is not None else None,
            tag_id=data.get("tag"),
            collection_id=data.get("collection"),
            state=data.get("state") or "",
        )

    def query(self, **extra) -> str:
        """The filters as a query string, for links that keep them (load more)."""
        from django.utils.http import urlencode

        values = {}
        if self.is_bound:
            values = {k: self.data.get(k) for k in self.fields if self.data.get(k)}
        values.update({k: v for k, v in extra.items() if v})
        return urlencode(values)


# --- downloads ----------------------------------------------------------------------------


class DownloadForm(forms.Form):
    """How a person wants an image: a format, and 1×, 2× or a width of their own."""

    format = forms.ChoiceField(label="Format")
    scale = forms.ChoiceField(
        label="Size",
        choices=[("1", "1× (as made)"), ("2", "2×"), ("width", "Width…")],
        initial="1",
        widget=forms.RadioSelect,
    )
    width = forms.IntegerField(
        required=False,
        label="Width in px",
        min_value=1,
        widget=forms.NumberInput(attrs={"placeholder": "e.g. 800", "min": 1}),
    )

    def __init__(self, *args, asset, **kwargs):
        from . import renditions

        super().__init__(*args, **kwargs)
        self.asset = asset
        formats = renditions.formats_for(asset.content_type)
        self.fields["format"].choices = [(f, renditions.FORMAT_LABELS[f]) for f in formats]
        self.fields["format"].initial = asset.extension if asset.extension in formats else "png"
        self.max_width = renditions.max_width(asset.width, asset.height)
        self.fields["width"].widget.attrs["max"] = self.max_width
        self.fields["width"].help_text = f"At most {self.max_width} px; the height follows."
        for field in self.fields.values():
            field.error_messages.update(
                {
                    "required": f"{field.label}: choose one.",
                    "invalid_choice": f"{field.label}: choose one of the options.",
                    "invalid": f"{field.label}: enter a whole number of pixels.",
                    "min_value": f"{field.label}: at least %(limit_value)s px.",
                }
            )

    def clean(self):
        from . import renditions

        cleaned = super().clean()
        scale, fmt = cleaned.get("scale"), cleaned.get("format")
        if scale is None or fmt is None:
            return cleaned
        if scale == "width":
            width = cleaned.get("width")
            if width is None:
                if "width" not in self.errors:
                    self.add_error("width", "Width in px: type the width you need.")
                return cleaned
        else:
            width = self.asset.width * int(scale)
        if fmt == "svg" and width != self.asset.width:
            # An SVG scales itself: any size of it is the same file.
            width = self.asset.width
        try:
            renditions.target_size(self.asset.width, self.asset.height, want=width)
        except renditions.RenditionRefused as exc:
            self.add_error("width" if scale == "width" else "scale", f"Size: {exc}")
            return cleaned
        cleaned["target_width"] = width
        return cleaned


# --- the library ------------------------------------------------------------------------------

BULK_ACTIONS = [
    ("tag", "Tag"),
    ("collect", "Add to collection"),
    ("move", "Move to project"),
    ("request_review", "Ask for review"),
    ("approve", "Approve"),
    ("download", "Download"),
    ("delete", "Delete"),
    ("restore", "Restore"),
    ("purge", "Delete for good"),
    ("uncollect", "Remove from collection"),
]


class BulkForm(forms.Form):
    """One action on the images ticked in a gallery, a collection or the trash.

    The ids arrive as `asset` (many); a selector keeps only the workspace's own.
    Each action names the fields it needs, and a missing one is an error on it.
    """

    action = forms.ChoiceField(choices=BULK_ACTIONS, label="Action")
    tags = forms.CharField(required=False, max_length=400, label="Tags")
    collection = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Collection"
    )
    new_collection = forms.CharField(required=False, max_length=100, label="New collection")
    move_to = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Project")
    format = forms.ChoiceField(
        required=False, choices=ExportFormat.choices, initial=ExportFormat.ORIGINAL, label="Format"
    )
    confirm = forms.BooleanField(required=False)
    #: Set by a collection page: the collection "Remove from collection" applies to.
    in_collection = forms.IntegerField(required=False, widget=forms.HiddenInput)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, projects=(), collections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["move_to"].choices = [("", "Choose a project")] + [
            (p.pk, p.name) for p in projects
        ]
        self.fields["collection"].choices = [("", "Choose a collection")] + [
            (c.pk, c.name) for c in collections
        ]

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        if action == "tag" and not (cleaned.get("tags") or "").strip():
            self.add_error("tags", "Type the tags to add (separated by commas).")
        if action == "collect" and not (
            cleaned.get("collection") or (cleaned.get("new_collection") or "").strip()
        ):
            self.add_error("collection", "Choose a collection or name a new one.")
        if action == "move" and not cleaned.get("move_to"):
            self.add_error("move_to", "Choose the project to move the images to.")
        if action == "uncollect" and not cleaned.get("in_collection"):
            self.add_error("action", "Removing from a collection is done on its page.")
        return cleaned


class TagForm(forms.Form):
    tags = forms.CharField(
        max_length=400,
        label="Add tags",
        widget=forms.TextInput(
            attrs={
                "list": "tag-suggestions",
                "placeholder": "launch, hero, social",
                "autocomplete": "off",
            }
        ),
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        max_length=2000,
        label="Comment",
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "Write a comment; @name tells them by email"}
        ),
    )


class CollectionForm(forms.Form):
    name = forms.CharField(max_length=100, label="Name")
    description = forms.CharField(
        required=False,
        max_length=1000,
        label="Description",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ExportForm(forms.Form):
    """Export a collection or a project: the format, and whether only approved images."""

    format = forms.ChoiceField(
        choices=ExportFormat.choices, initial=ExportFormat.ORIGINAL, label="Format"
    )
    approved_only = forms.BooleanField(required=False, label="Approved images only")

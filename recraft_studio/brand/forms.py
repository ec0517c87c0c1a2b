"""Forms of the brand kit: every rule checked here, before anything is stored or paid.

A brand style's references go through `recraft.validation.check_style_references`,
the rule the API itself applies, so a refused upload never reaches the API.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from django import forms
from django.core.files.storage import default_storage
from django.http import Http404
from django.template.defaultfilters import filesizeformat

from recraft_studio.core.forms import LabelledErrorsMixin
from recraft_studio.recraft import catalog
from recraft_studio.recraft.validation import FieldError, check_style_references

from . import files, selectors
from .colors import (
    DEFAULT_EXTRACT,
    EXTRACT_MAX,
    EXTRACT_MAX_BYTES,
    EXTRACT_MIN,
    NoColors,
    NotAColor,
    dominant_colors,
    parse_color,
    to_hex,
)
from .models import BASE_STYLE_CHOICES, PALETTE_MAX_COLORS

UPLOAD_ACCEPT = "image/png,image/jpeg,image/webp"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": UPLOAD_ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)]


class BrandStyleForm(LabelledErrorsMixin, forms.Form):
    name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    base_style = forms.ChoiceField(
        choices=BASE_STYLE_CHOICES,
        initial="digital_illustration",
        help_text="The kind of image the style makes; it also sets the price of each image.",
    )
    references = MultipleFileField(
        label="Reference images",
        help_text=(
            f"1 to {catalog.STYLE_REFERENCES_MAX_FILES} PNG, JPG or WEBP images, at most "
            f"{catalog.STYLE_REFERENCES_MAX_BYTES // catalog.MB} MB together, each at most "
            f"{files.REFERENCE_LIMITS.max_pixels // catalog.MEGAPIXEL} MP and "
            f"{files.REFERENCE_LIMITS.max_side} px a side."
        ),
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace = workspace

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if selectors.style_name_taken(workspace=self.workspace, name=name):
            raise forms.ValidationError(f"This workspace already has a style named {name!r}.")
        return name

    def clean_references(self):
        uploads = self.cleaned_data["references"]
        # Count and total size are judged from the uploads' metadata first, so a huge
        # upload is refused without being read into memory; the API's rule then
        # checks the bytes themselves.
        if len(uploads) > catalog.STYLE_REFERENCES_MAX_FILES:
            raise forms.ValidationError(
                f"{len(uploads)} images were chosen; a style takes at most "
                f"{catalog.STYLE_REFERENCES_MAX_FILES}."
            )
        total = sum(f.size for f in uploads)
        if total > catalog.STYLE_REFERENCES_MAX_BYTES:
            raise forms.ValidationError(
                f"The images total {filesizeformat(total)}; together they may be at most "
                f"{catalog.STYLE_REFERENCES_MAX_BYTES // catalog.MB} MB."
            )
        try:
            # Each reference is bounded from its header, decoded whole and turned
            # upright, as every upload is; then the API's rule on the set.
            data = [
                files.reference_prepare(f.read(), number=i) for i, f in enumerate(uploads, start=1)
            ]
            check_style_references(data, field="references")
        except FieldError as exc:
            raise forms.ValidationError(exc.message)
        return data


class RenameForm(LabelledErrorsMixin, forms.Form):
    name = forms.CharField(max_length=100)

    def __init__(self, *args, style, **kwargs):
        super().__init__(*args, **kwargs)
        self.style = style
        self.fields["name"].initial = style.name

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if selectors.style_name_taken(
            workspace=self.style.workspace, name=name, exclude_pk=self.style.pk
        ):
            raise forms.ValidationError(f"This workspace already has a style named {name!r}.")
        return name


# --- palettes ------------------------------------------------------------------------------

#: What a colour picker shows for a row that has no colour yet.
BLANK_PICK = "#808080"


def _pick_for(text: str) -> str:
    try:
        return to_hex(parse_color(text))
    except NotAColor:
        return BLANK_PICK


@dataclass
class ColorRow:
    """One colour being edited: its text input, its picker, and what was wrong."""

    text: str = ""
    error: str = ""

    @property
    def pick(self) -> str:
        return _pick_for(self.text)


def row_value(text: str | None, pick: str | None, orig: str | None) -> str:
    """What a person meant for a row showing both a text input and a colour picker.

    Each row carries the value it was shown with (`orig`). Without JavaScript the
    two inputs are independent, so whichever one changed wins, typed text first;
    with it, the page keeps them in step and both say the same.
    """
    text, pick, orig = (text or "").strip(), (pick or "").strip(), (orig or "").strip()
    if text != orig:
        return text
    if pick and pick.lower() != _pick_for(orig).lower():
        return pick
    return orig


class PaletteForm(LabelledErrorsMixin, forms.Form):
    """A palette's name, colours and background, each colour a picker plus a text box.

    The colour rows are not Django fields: they are repeated inputs (`color`,
    `color_pick`, `color_orig`), read into `rows`. `op` asks for another row
    (`add`) or one less (`remove:<i>`) without saving.
    """

    name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    # Placeholders that carry the errors of the colour rows and of the background.
    colors = forms.Field(required=False, widget=forms.HiddenInput)
    background = forms.Field(required=False, widget=forms.HiddenInput)

    max_colors = PALETTE_MAX_COLORS

    def __init__(
        self, data=None, *, workspace, palette=None, rows=None, background_text=None, **kwargs
    ):
        super().__init__(data, **kwargs)
        self.workspace = workspace
        self.palette = palette
        self.op = ""
        if data is not None:
            texts, picks, origs = (data.getlist(k) for k in ("color", "color_pick", "color_orig"))
            self.rows = [
                ColorRow(row_value(t, p, o))
                for t, p, o in zip(
                    texts, picks + [""] * len(texts), origs + [""] * len(texts), strict=False
                )
            ]
            self.background_row = ColorRow(
                row_value(
                    data.get("background"), data.get("background_pick"), data.get("background_orig")
                )
            )
            self.op = data.get("op", "")
            self._apply_op()
        else:
            if rows is None:
                rows = [to_hex(rgb) for rgb in palette.colors] if palette else ["", "", ""]
            self.rows = [ColorRow(text) for text in rows]
            if background_text is None:
                background_text = palette.hex_background if palette else ""
            self.background_row = ColorRow(background_text)
            if palette is not None:
                self.fields["name"].initial = palette.name

    def _apply_op(self) -> None:
        if self.op == "add" and len(self.rows) < self.max_colors:
            self.rows.append(ColorRow())
        elif self.op.startswith("remove:"):
            with contextlib.suppress(ValueError, IndexError):  # a stale or forged index
                del self.rows[int(self.op.split(":", 1)[1])]
        elif self.op == "clear-background":
            self.background_row = ColorRow()

    @property
    def is_edit_step(self) -> bool:
        """An add/remove request: show the rows again, save nothing, report nothing."""
        return bool(self.op)

    @property
    def can_add(self) -> bool:
        return len(self.rows) < self.max_colors

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        taken = selectors.palette_name_taken(
            workspace=self.workspace,
            name=name,
            exclude_pk=self.palette.pk if self.palette else None,
        )
        if taken:
            raise forms.ValidationError(f"This workspace already has a palette named {name!r}.")
        return name

    def clean_colors(self):
        colors, problems = [], []
        for i, row in enumerate(self.rows, start=1):
            if not row.text:
                continue  # a row left empty is no colour
            try:
                colors.append(list(parse_color(row.text)))
            except NotAColor as exc:
                row.error = str(exc)
                problems.append(f"Colour {i}: {exc}")
        if problems:
            raise forms.ValidationError(problems)
        if not colors:
            raise forms.ValidationError("Add at least one colour.")
        if len(colors) > self.max_colors:
            raise forms.ValidationError(f"A palette holds at most {self.max_colors} colours.")
        return colors

    def clean_background(self):
        row = self.background_row
        if not row.text:
            return None
        try:
            return list(parse_color(row.text))
        except NotAColor as exc:
            row.error = str(exc)
            raise forms.ValidationError(f"Background: {exc}")


class PaletteExtractForm(forms.Form):
    """Dominant colours of an uploaded image, or of an image the user can see."""

    image = forms.FileField(
        required=False,
        label="Upload an image",
        widget=forms.ClearableFileInput(attrs={"accept": UPLOAD_ACCEPT + ",image/svg+xml"}),
        help_text=f"PNG, JPG, WEBP or SVG, at most {EXTRACT_MAX_BYTES // (1024 * 1024)} MB.",
    )
    asset = forms.UUIDField(required=False, label="…or pick an image of this workspace")
    count = forms.TypedChoiceField(
        label="Colours",
        coerce=int,
        choices=[(n, str(n)) for n in range(EXTRACT_MIN, EXTRACT_MAX + 1)],
        initial=DEFAULT_EXTRACT,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.source_name = ""

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        upload, asset_id = cleaned.get("image"), cleaned.get("asset")
        if upload and asset_id:
            raise forms.ValidationError("Upload an image or pick one, not both.")
        if not upload and not asset_id:
            raise forms.ValidationError("Upload an image, or pick one of this workspace's images.")
        if upload:
            if upload.size > EXTRACT_MAX_BYTES:
                self.add_error(
                    "image",
                    f"The image is {filesizeformat(upload.size)}; take one under "
                    f"{EXTRACT_MAX_BYTES // (1024 * 1024)} MB.",
                )
                return cleaned
            field, data, self.source_name = "image", upload.read(), upload.name
        else:
            from recraft_studio.assets.selectors import asset_get

            try:
                asset = asset_get(user=self.user, asset_id=asset_id)
            except Http404:
                self.add_error("asset", "Pick one of the images shown.")
                return cleaned
            # The thumbnail has the colours of the original at a fraction of the bytes.
            with default_storage.open(asset.thumb_key, "rb") as fh:
                data = fh.read()
            field, self.source_name = "asset", asset.prompt[:60] or "the image"
        try:
            cleaned["colors"] = dominant_colors(data, cleaned["count"])
        except NoColors as exc:
            self.add_error(field, str(exc))
        return cleaned

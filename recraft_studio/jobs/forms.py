"""Forms that apply the API's documented rules before anything is queued or spent.

The rules themselves live in `recraft.validation`; a form turns its fields into the
API's parameters, runs those rules, and puts each error on the field it concerns.
"""

from __future__ import annotations

import math
import re
import secrets
from typing import Any

from django import forms
from django.urls import reverse

from recraft_studio.assets import files, images
from recraft_studio.assets.forms import BRAND_PREFIX
from recraft_studio.brand.colors import NotAColor, parse_color, to_hex
from recraft_studio.brand.widgets import (
    PaletteSelect,
    StyleSelect,
    SubstyleField,
    base_style_choices,
    brand_option_data,
    stale_substyle,
    substyle_choices,
)
from recraft_studio.core.forms import LabelledErrorsForm
from recraft_studio.recraft import catalog
from recraft_studio.recraft.catalog import Op
from recraft_studio.recraft.validation import (
    FieldError,
    bbox_bounds_problem,
    check_mask,
    check_params,
    check_text,
    inspect_image,
)

from .errors import friendly_error

#: Where an API parameter's error is shown on the form.
FIELD_FOR_PARAM = {
    "controls.artistic_level": "artistic_level",
    "controls.no_text": "no_text",
    "controls.colors": "colors",
    "controls.background_color": "background_color",
    "style_id": "style",
}

#: Colours a run may ask for (a palette holds 1 to 12).
COLORS_MAX = 12


class ApiRulesForm(LabelledErrorsForm):
    """A form whose `to_params()` becomes the API call, checked by the API's rules."""

    operation: Op

    def to_params(self) -> dict[str, Any]:
        raise NotImplementedError

    def add_api_errors(self, errors: list[FieldError]) -> None:
        """Put each of the API's errors on the field it concerns, in the form's words."""
        for error in errors:
            key = re.sub(r"\[\d+\].*$", "", error.field)  # controls.colors[0] → controls.colors
            name = FIELD_FOR_PARAM.get(key, key.split(".")[0])
            name = name if name in self.fields else None
            self.add_error(name, friendly_error(error, self, name))

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            self.add_api_errors(check_params(catalog.OPERATIONS[self.operation], self.to_params()))
        return cleaned

    def clean_negative_prompt(self) -> str:
        """Within the API's length, said with the field's own label ("Leave out")."""
        value = self.cleaned_data.get("negative_prompt") or ""
        errors = check_text(
            value,
            field="negative_prompt",
            max_bytes=catalog.NEGATIVE_PROMPT_MAX_BYTES,
            label=str(self.fields["negative_prompt"].label),
        )
        if errors:
            raise forms.ValidationError(errors[0].message)
        return value


class SeedForm(LabelledErrorsForm):
    """A `random_seed` field: the studio draws one when it is left empty.

    Drawn here rather than by the API, so lineage records the seed every image was made
    with and a remix can make the same image again.
    """

    random_seed = forms.IntegerField(
        required=False,
        label="Seed",
        widget=forms.NumberInput(attrs={"min": 0, "max": 2**32 - 1, "placeholder": "Random"}),
        help_text="Leave empty for a new one; the seed used is recorded, so a remix repeats it.",
    )

    def clean_random_seed(self):
        seed = self.cleaned_data.get("random_seed")
        return secrets.randbelow(2**32) if seed is None else seed


def parse_colors(text: str) -> list[tuple[int, int, int]]:
    """Colours typed in one box: `#e63946 #f1faee`, one per line, or `r, g, b; r, g, b`."""
    colours = []
    for chunk in re.split(r"[\n;]+", text or ""):
        chunk = chunk.strip()
        if not chunk:
            continue
        try:
            colours.append(parse_color(chunk))
            continue
        except NotAColor:
            pass
        for token in re.split(r"[\s,]+", chunk):
            if token:
                colours.append(parse_color(token))
    return colours


class StyledForm(SeedForm, ApiRulesForm):
    """A form for an endpoint that takes a style: base or brand style, substyle, colours.

    Base styles and the workspace's brand styles share one select, so `style` and
    `style_id` can never both be sent; a brand style's value is `brand:<pk>`. Only
    the base styles the model offers are listed, and only the substyles it offers for
    the chosen style; `static/js/composer.js` keeps them in step in the browser from
    the same catalog. Colours come from a palette, or are typed for this run (the
    composer copies a chosen palette's colours into those fields to adjust them).
    """

    style = forms.ChoiceField(required=False, initial="realistic_image", widget=StyleSelect)
    substyle = SubstyleField(required=False)
    palette = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="No palette",
        widget=PaletteSelect,
        help_text="Sends its colours and background colour; adjust them below for this run.",
    )
    colors = forms.CharField(
        required=False,
        label="Colours",
        widget=forms.TextInput(attrs={"placeholder": "#e63946 #1d3557", "spellcheck": "false"}),
        help_text=f"Up to {COLORS_MAX} preferred colours: #RRGGBB, r, g, b or a name, "
        "separated by spaces or semicolons. Empty: the palette's.",
    )
    background_color = forms.CharField(
        required=False,
        label="Background colour",
        widget=forms.TextInput(attrs={"placeholder": "#ffffff", "spellcheck": "false"}),
        help_text="One colour. Empty: the palette's, if it has one.",
    )

    #: The model whose styles are offered; forms with a model field override this.
    default_model = str(catalog.DEFAULT_MODEL)

    def __init__(self, *args, workspace=None, **kwargs):
        super().__init__(*args, **kwargs)
        from recraft_studio.brand.selectors import brand_styles_for, palettes_for

        self.workspace = workspace
        brand_styles = (
            list(brand_styles_for(workspace=workspace).prefetch_related("references"))
            if workspace
            else []
        )
        self.brand_styles = {f"{BRAND_PREFIX}{b.pk}": b for b in brand_styles}
        self.fields["style"].widget.option_data = brand_option_data(brand_styles)
        self.fields["style"].choices = self.style_choices()
        if workspace is not None:
            self.fields["palette"].queryset = palettes_for(workspace=workspace)
        else:
            from recraft_studio.brand.models import Palette

            self.fields["palette"].queryset = Palette.objects.none()
        self.fields["substyle"].choices = substyle_choices(
            self.current_model(), self._current("style")
        )
        #: What `clean` dropped as left over from another choice, for the page to say.
        self.cleared: list[str] = []

    def _current(self, name: str) -> str:
        if self.is_bound:
            return self.data.get(name) or ""
        value = self.initial.get(name, self.fields[name].initial if name in self.fields else None)
        return str(value or "")

    def current_model(self) -> str:
        return self._current("model") or self.default_model

    def style_choices(self) -> list:
        """Brand styles, then the base styles the current model offers."""
        keep = self._current("style") if self.is_bound else ""
        choices = [("Base styles", base_style_choices(self.current_model(), keep=keep))]
        if self.brand_styles:
            choices.insert(0, ("Brand styles", [(k, b.name) for k, b in self.brand_styles.items()]))
        return choices

    def clean_colors(self):
        try:
            colours = parse_colors(self.cleaned_data.get("colors", ""))
        except NotAColor as exc:
            raise forms.ValidationError(f"Colours: {exc} Separate colours with spaces.")
        if len(colours) > COLORS_MAX:
            raise forms.ValidationError(
                f"Colours: {len(colours)} were given; keep at most {COLORS_MAX}."
            )
        return colours

    def clean_background_color(self):
        text = (self.cleaned_data.get("background_color") or "").strip()
        if not text:
            return None
        try:
            return parse_color(text)
        except NotAColor as exc:
            raise forms.ValidationError(f"Background colour: {exc}")

    def clean(self):
        data = self.cleaned_data
        model = data.get("model") or self.default_model
        style = data.get("style") or ""
        substyle = data.get("substyle") or ""
        if stale_substyle(model, style, substyle):
            # Left over from another style or model: dropped, never sent.
            data["substyle"] = ""
            self.cleared.append(catalog.substyle_label(substyle))
        return super().clean()

    @property
    def brand_style(self):
        return self.brand_styles.get(self.cleaned_data.get("style") or "")

    @property
    def base_style(self) -> str:
        """The style the call is priced by: the brand style's base, or the style itself."""
        brand = self.brand_style
        return brand.base_style if brand else (self.cleaned_data.get("style") or "")

    def priced_style(self) -> str:
        """The style the form's price follows now (bound or not): a brand style's base."""
        style = self._current("style")
        if style.startswith(BRAND_PREFIX):
            brand = self.brand_styles.get(style)
            return brand.base_style if brand else ""
        return style

    def color_controls(self) -> dict[str, Any]:
        """`controls.colors` / `background_color`: typed colours, else the palette's."""
        data = self.cleaned_data
        palette = data.get("palette")
        controls = palette.to_controls() if palette else {}
        if data.get("colors"):
            controls["colors"] = [{"rgb": list(rgb)} for rgb in data["colors"]]
        if data.get("background_color"):
            controls["background_color"] = {"rgb": list(data["background_color"])}
        return controls

    def style_params(self, controls: dict[str, Any] | None = None) -> dict[str, Any]:
        data = self.cleaned_data
        brand = self.brand_style
        controls = {**(controls or {}), **self.color_controls()}
        params = {
            "style_id": str(brand.style_id) if brand else None,
            "style": None if brand else data.get("style") or None,
            "substyle": None if brand else data.get("substyle") or None,
            "controls": controls or None,
        }
        return params


class GenerateForm(StyledForm):
    """Text to image: every parameter of `POST /images/generations` a person sets."""

    operation = Op.GENERATE
    field_order = [
        "prompt",
        "model",
        "style",
        "substyle",
        "palette",
        "colors",
        "background_color",
        "size",
        "n",
    ]

    prompt = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "A red panda mascot waving"}),
        strip=False,
        help_text=f"At most {catalog.PROMPT_MAX_BYTES} bytes.",
        error_messages={"required": "Prompt is required: describe the image to make."},
    )
    model = forms.ChoiceField(
        choices=[(str(m), catalog.MODEL_LABELS[m]) for m in catalog.Model],
        initial=str(catalog.DEFAULT_MODEL),
    )
    size = forms.ChoiceField(choices=catalog.size_choices(), initial=catalog.DEFAULT_SIZE)
    n = forms.IntegerField(
        label="Images",
        initial=1,
        widget=forms.NumberInput(attrs={"min": catalog.N_MIN, "max": catalog.N_MAX}),
        help_text=f"{catalog.N_MIN} to {catalog.N_MAX}.",
    )
    negative_prompt = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "What to leave out"}),
        help_text=f"At most {catalog.NEGATIVE_PROMPT_MAX_BYTES} bytes.",
    )
    artistic_level = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Default")] + [(i, str(i)) for i in range(6)],
        help_text="0 is simple and static, 5 dynamic and eccentric.",
    )
    no_text = forms.BooleanField(required=False, label="No text in the image")
    text_layout = forms.CharField(
        required=False,
        label="Words in the image",
        # A bound on what is parsed at all; the word count is checked line by line.
        max_length=catalog.TEXT_LAYOUT_MAX_WORDS * 80,
        error_messages={
            "max_length": "Words in the image: at most %(limit_value)d characters "
            "(this is %(show_value)d)."
        },
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "placeholder": "RECRAFT 30 45 30 10\nAI 62 45 8 10",
                "spellcheck": "false",
            }
        ),
        help_text="Recraft V3 only. One word per line, then its box: left, top, width and "
        "height, in % of the image. Letters, digits and common symbols.",
    )

    def quote(self) -> catalog.Quote:
        """The price with the values now in the form (shown live by the composer)."""
        return catalog.quote(
            self.operation,
            model=self.current_model(),
            style=self.priced_style(),
            n=self._current("n") or self.fields["n"].initial,
        )

    def clean_text_layout(self) -> list[dict[str, Any]] | None:
        """Lines of `WORD left top width height` (percent) → the API's text layout.

        Bounded before anything is parsed: at most `TEXT_LAYOUT_MAX_WORDS` lines;
        each box within `validation.bbox_bounds_problem`'s range. Every message
        starts with the field's label.
        """
        label = str(self.fields["text_layout"].label)
        text = self.cleaned_data.get("text_layout", "")
        lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        if len(lines) > catalog.TEXT_LAYOUT_MAX_WORDS:
            raise forms.ValidationError(
                f"{label}: {len(lines):,} lines were given; at most "
                f"{catalog.TEXT_LAYOUT_MAX_WORDS} words fit in one image."
            )
        layout = []
        for number, line in lines:
            where = f"{label}: Line {number} ({line.strip()[:60]!r})"
            word, *numbers = line.split()
            try:
                left, top, width, height = (round(float(n.rstrip("%")) / 100, 4) for n in numbers)
            except ValueError:
                raise forms.ValidationError(
                    f"{where}: give a word, then four numbers: "
                    "left, top, width and height in % of the image."
                )
            if not all(math.isfinite(v) for v in (left, top, width, height)):
                raise forms.ValidationError(f"{where}: the box's numbers must be plain numbers.")
            if width <= 0 or height <= 0:
                raise forms.ValidationError(f"{where}: the box needs a width and a height.")
            if len(word) > catalog.TEXT_LAYOUT_WORD_MAX_CHARS:
                raise forms.ValidationError(
                    f"{where}: a word may have at most {catalog.TEXT_LAYOUT_WORD_MAX_CHARS} "
                    "characters."
                )
            right, bottom = round(left + width, 4), round(top + height, 4)
            problem = bbox_bounds_problem([left, right], [top, bottom])
            if problem:
                raise forms.ValidationError(f"{where}: the box is out of bounds: {problem}")
            layout.append(
                {
                    "text": word,
                    "bbox": [[left, top], [right, top], [right, bottom], [left, bottom]],
                }
            )
        return layout or None

    def to_params(self) -> dict[str, Any]:
        data = self.cleaned_data
        controls: dict[str, Any] = {}
        if data.get("artistic_level") is not None:
            controls["artistic_level"] = data["artistic_level"]
        if data.get("no_text"):
            controls["no_text"] = True
        params = {
            "prompt": data.get("prompt"),
            "model": data.get("model"),
            **self.style_params(controls),
            "size": data.get("size"),
            "n": data.get("n"),
            "negative_prompt": data.get("negative_prompt") or None,
            "text_layout": data.get("text_layout"),
            "random_seed": data.get("random_seed"),
        }
        return {k: v for k, v in params.items() if v is not None}


def _percent(value: float) -> str:
    return f"{round(value * 100, 2):g}"


def text_layout_lines(layout: list[dict[str, Any]]) -> str:
    """The API's text layout as the lines the generate form takes (the inverse of
    `GenerateForm.clean_text_layout` for rectangular boxes)."""
    lines = []
    for item in layout:
        xs = [point[0] for point in item["bbox"]]
        ys = [point[1] for point in item["bbox"]]
        box = (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
        lines.append(" ".join([item["text"], *(_percent(v) for v in box)]))
    return "\n".join(lines)


# --- remix: a form prefilled with what an earlier job was sent ----------------------------


def initial_from_job(job, *, palettes=()) -> dict[str, Any]:
    """Form initial values that repeat `job`: its parameters, brand style and palette.

    A palette is found again when one of `palettes` still sends exactly the colours
    the job was sent; otherwise the colours go into the colour fields as typed.
    """
    params = dict(job.params)
    controls = dict(params.pop("controls", None) or {})
    initial: dict[str, Any] = {
        k: v for k, v in params.items() if k not in ("style_id", "response_format")
    }
    if initial.get("text_layout"):
        initial["text_layout"] = text_layout_lines(initial["text_layout"])
    if job.brand_style_id is not None:
        initial["style"] = f"{BRAND_PREFIX}{job.brand_style_id}"
        initial.pop("substyle", None)
    if "artistic_level" in controls:
        initial["artistic_level"] = controls["artistic_level"]
    if controls.get("no_text"):
        initial["no_text"] = True
    colours = {k: controls[k] for k in ("colors", "background_color") if k in controls}
    if colours:
        for palette in palettes:
            if palette.to_controls() == colours:
                initial["palette"] = palette.pk
                break
        else:
            # Colours typed for that run (or a palette changed since): typed again.
            initial["colors"] = " ".join(to_hex(c["rgb"]) for c in colours.get("colors", []))
            if "background_color" in colours:
                initial["background_color"] = to_hex(colours["background_color"]["rgb"])
    return initial


# --- editing tools ------------------------------------------------------------------------


class ToolForm(ApiRulesForm):
    """A tool run on a source asset, judged before anything is queued or spent.

    Besides the API's rules on the parameters (`ApiRulesForm`), the source image and
    the mask are checked against the tool's documented upload limits
    (`validation.inspect_image`, `validation.check_mask`). Where the studio can fix
    the image (scale it down to fit), the form offers it as the `fit` option.
    `inputs()` then holds the files to send under the API's field names
    (`catalog.OPERATIONS[op].files`).
    """

    description = ""

    fit = forms.BooleanField(required=False, label="Scale the image down to fit this tool")
    mask = forms.FileField(
        required=False,
        label="Mask",
        help_text="A grayscale PNG of the image's size: white is what changes, black stays.",
        widget=forms.FileInput(
            attrs={"accept": "image/png,image/webp,image/jpeg", "data-mask-input": "true"}
        ),
    )

    def __init__(self, *args, source, workspace=None, check_source: bool = True, **kwargs):
        """`check_source=False` skips reading the source image: for partial refreshes
        (the substyle list, the price) that never submit."""
        self.source = source
        self.spec = catalog.OPERATIONS[self.operation]
        self.limits = self.spec.limits or catalog.DEFAULT_LIMITS
        if isinstance(self, StyledForm):
            kwargs["workspace"] = workspace
        else:
            self.workspace = workspace
        super().__init__(*args, **kwargs)
        self._source_bytes: bytes | None = None
        self._inputs: dict[str, bytes] = {}
        self.storage_down = False
        self.problem = self._diagnose() if check_source else None
        if not self.spec.has_mask:
            del self.fields["mask"]
        else:
            # htmx swaps the form after a post; the chosen or painted mask file stays.
            self.fields["mask"].widget.attrs["hx-preserve"] = "true"
        if self.problem is not None and self.problem.can_fit:
            label = self.problem.fit_label
            self.fields["fit"].label = label[:1].upper() + label[1:]
        else:
            del self.fields["fit"]

    # --- the source image ----------------------------------------------------------

    @property
    def source_bytes(self) -> bytes:
        if self._source_bytes is None:
            self._source_bytes = files.read(self.source.file_key)
        return self._source_bytes

    def _diagnose(self):
        if self.source.is_svg:
            return images.Problem(
                "The tools work on raster images (PNG, JPG or WEBP); this image is an SVG."
            )
        try:
            return images.diagnose(self.source_bytes, self.limits)
        except files.StorageUnavailable:
            self.storage_down = True
            return images.Problem(
                "The studio's image storage cannot be reached right now, so this image cannot "
                "be read. Nothing is sent or charged; try again in a minute."
            )

    # --- cost ------------------------------------------------------------------------

    def _value(self, name: str) -> str:
        if self.is_bound:
            return str(self.data.get(name) or "")
        value = self.initial.get(name, self.fields[name].initial if name in self.fields else None)
        return "" if value is None else str(value)

    def priced_style(self) -> str:
        """The style the call is priced by; tools without a style have none."""
        return ""

    def quote(self) -> catalog.Quote:
        """API units the call would cost with the values now in the form."""
        n = (self._value("n") or "1") if "n" in self.fields else 1
        return catalog.quote(
            self.operation, model=str(catalog.Model.V3), style=self.priced_style(), n=n
        )

    # --- checks ------------------------------------------------------------------------

    def clean(self):
        cleaned = super().clean()

        problem = self.problem
        data = None if self.source.is_svg or self.storage_down else self.source_bytes
        if problem is not None:
            if problem.can_fit and cleaned.get("fit"):
                try:
                    data = images.refit(data, self.limits)
                except FieldError as error:
                    self.add_error("fit", error.message)
                    return cleaned
            elif problem.can_fit:
                # The problem itself is shown above the option; this says what to do.
                self.add_error(
                    "fit", "Tick this to send a scaled-down copy, or pick another image."
                )
                return cleaned
            else:
                self.add_error(
                    None, "Nothing was sent: this image does not fit the tool (see above)."
                )
                return cleaned
        try:
            info = inspect_image(data, limits=self.limits, field="image")
        except FieldError as error:
            self.add_error(None, error.message)
            return cleaned
        inputs = {self.spec.files[0]: data}
        if self.spec.has_mask:
            mask = self._clean_mask(cleaned.get("mask"), (info.width, info.height))
            if mask is None:
                return cleaned
            inputs["mask"] = mask
        self._inputs = inputs
        return cleaned

    def _clean_mask(self, upload, size: tuple[int, int]) -> bytes | None:

        if not upload:
            self.add_error("mask", "Paint the area to change over the image, or upload a mask.")
            return None
        if upload.size > self.limits.max_bytes:
            self.add_error(
                "mask",
                f"The mask file is {upload.size / catalog.MB:.1f} MB; the limit is "
                f"{self.limits.max_bytes // catalog.MB} MB.",
            )
            return None
        mask = upload.read()
        try:
            # Decoded whole first (under the pixel guard): a truncated or hostile file
            # is a field error, never a failure halfway through the checks below.
            images.check_decodable(mask, field="mask")
            sniffed = images.sniff(mask)
            source_size = (self.source.width, self.source.height)
            if sniffed and sniffed[1:] == source_size and size != source_size:
                # Painted on the original; the image is being scaled down, so is the mask.
                mask = images.scale_mask(mask, size)
            check_mask(mask, image_size=size, limits=self.limits)
            has_white = images.mask_has_white(mask)
        except FieldError as error:
            self.add_error("mask", error.message)
            return None
        if not has_white:
            self.add_error("mask", "The mask is all black, so nothing would change: paint an area.")
            return None
        return mask

    def inputs(self) -> dict[str, bytes]:
        """The files to send, by API field name; valid once `is_valid()` is true."""
        return dict(self._inputs)

    def to_params(self) -> dict[str, Any]:
        return {}


class StyledToolForm(ToolForm, StyledForm):
    """A tool that takes a prompt and a style: base or brand style, substyle, palette.

    The transforms take only recraftv3, so only its styles are offered and the model is
    sent as such (and so recorded on the new assets).
    """

    field_order = [
        "prompt",
        "strength",
        "style",
        "substyle",
        "palette",
        "colors",
        "background_color",
        "n",
        "negative_prompt",
        "random_seed",
    ]

    prompt = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        strip=False,
        help_text=f"At most {catalog.PROMPT_MAX_BYTES} bytes.",
        error_messages={"required": "Prompt is required: describe what the tool should make."},
    )
    n = forms.IntegerField(
        label="Images",
        initial=1,
        widget=forms.NumberInput(attrs={"min": catalog.N_MIN, "max": catalog.N_MAX}),
        help_text=f"{catalog.N_MIN} to {catalog.N_MAX}.",
    )
    negative_prompt = forms.CharField(
        required=False,
        strip=False,
        label="Leave out",
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "What to leave out"}),
    )

    default_model = str(catalog.Model.V3)
    priced_style = StyledForm.priced_style

    def __init__(self, *args, source, workspace=None, initial=None, **kwargs):
        initial = dict(initial or {})
        if "style" not in initial:
            initial["style"] = self._source_style(source)
        super().__init__(*args, source=source, workspace=workspace, initial=initial, **kwargs)

    @staticmethod
    def _source_style(source) -> str:
        """Start from the style the source was made in, when the tools offer it."""
        brand = source.brand_style
        if brand is not None and brand.archived_at is None:
            return f"{BRAND_PREFIX}{brand.pk}"
        if source.style in catalog.styles_for(str(catalog.Model.V3)):
            return source.style
        return "realistic_image"

    def to_params(self) -> dict[str, Any]:
        data = self.cleaned_data
        params = {
            "prompt": data.get("prompt"),
            "model": self.default_model,
            **self.style_params(),
            "n": data.get("n"),
            "negative_prompt": data.get("negative_prompt") or None,
            "random_seed": data.get("random_seed"),
        }
        return {k: v for k, v in params.items() if v is not None}


class ImageToImageForm(StyledToolForm):
    operation = Op.IMAGE_TO_IMAGE
    description = "Redraw the whole picture from a prompt, keeping its composition."

    strength = forms.FloatField(
        initial=0.5,
        widget=forms.NumberInput(attrs={"min": 0, "max": 1, "step": 0.05}),
        help_text="0 keeps the picture almost as it is; 1 keeps little of it.",
    )

    def to_params(self) -> dict[str, Any]:
        return {**super().to_params(), "strength": self.cleaned_data.get("strength")}


class InpaintForm(StyledToolForm):
    operation = Op.INPAINT
    description = "Paint over a region and describe what should be there instead."


class ReplaceBackgroundForm(StyledToolForm):
    operation = Op.REPLACE_BACKGROUND
    description = "Keep the subject; describe a new background."


class GenerateBackgroundForm(StyledToolForm):
    operation = Op.GENERATE_BACKGROUND
    description = "Paint the area the new background fills and describe it."


class VectorizeForm(ToolForm):
    operation = Op.VECTORIZE
    description = "Trace the picture into an SVG."


class RemoveBackgroundForm(ToolForm):
    operation = Op.REMOVE_BACKGROUND
    description = "Cut the subject out onto transparency."


class CrispUpscaleForm(ToolForm):
    operation = Op.CRISP_UPSCALE
    description = "A larger, sharper copy; fine for small images."


class CreativeUpscaleForm(ToolForm):
    operation = Op.CREATIVE_UPSCALE
    description = "A larger copy with invented fine detail and faces."


class EraseRegionForm(ToolForm):
    operation = Op.ERASE_REGION
    description = "Paint over something to remove it."


class VariateForm(SeedForm, ToolForm):
    operation = Op.VARIATE
    description = "New takes on the picture, at a size you choose."
    field_order = ["size", "n", "random_seed", "image_format"]

    size = forms.ChoiceField(choices=catalog.size_choices())
    n = forms.IntegerField(
        label="Images",
        initial=1,
        widget=forms.NumberInput(attrs={"min": catalog.N_MIN, "max": catalog.N_MAX}),
        help_text=f"{catalog.N_MIN} to {catalog.N_MAX}.",
    )
    image_format = forms.ChoiceField(
        required=False,
        label="Format",
        choices=[(str(f), str(f).upper()) for f in catalog.ImageFormat],
        initial=str(catalog.ImageFormat.PNG),
    )

    def __init__(self, *args, source, initial=None, **kwargs):
        initial = dict(initial or {})
        initial.setdefault("size", self._closest_size(source.width, source.height))
        super().__init__(*args, source=source, initial=initial, **kwargs)

    @staticmethod
    def _closest_size(width: int, height: int) -> str:
        """The documented size whose shape is nearest the source's."""
        ratio = width / height if height else 1

        def distance(size: str) -> float:
            w, h = catalog.parse_size(size)
            return abs(w / h - ratio)

        return min(catalog.SIZES, key=distance)

    def to_params(self) -> dict[str, Any]:
        data = self.cleaned_data
        params = {
            "size": data.get("size"),
            "n": data.get("n"),
            "random_seed": data.get("random_seed"),
            "image_format": data.get("image_format") or None,
        }
        return {k: v for k, v in params.items() if v is not None}


TOOL_FORMS: dict[Op, type[ToolForm]] = {
    form.operation: form
    for form in (
        ImageToImageForm,
        InpaintForm,
        ReplaceBackgroundForm,
        GenerateBackgroundForm,
        EraseRegionForm,
        RemoveBackgroundForm,
        VectorizeForm,
        CrispUpscaleForm,
        CreativeUpscaleForm,
        VariateForm,
    )
}


#: Keys that open the common tools from an image's page and from the lightbox.
TOOL_KEYS = {
    Op.INPAINT: "p",
    Op.ERASE_REGION: "x",
    Op.REMOVE_BACKGROUND: "r",
    Op.VECTORIZE: "v",
    Op.CRISP_UPSCALE: "u",
    Op.VARIATE: "n",
    Op.IMAGE_TO_IMAGE: "i",
}


def tool_menu(asset) -> list[dict]:
    """Every tool, its price before anything is run, and where it opens."""
    menu = []
    for op, form_class in TOOL_FORMS.items():
        spec = catalog.OPERATIONS[op]
        if spec.takes_style:
            price = f"{spec.raster_price} units an image, {spec.vector_price} in vector styles"
        elif spec.takes_n:
            price = f"{spec.raster_price} units an image"
        else:
            price = f"{spec.raster_price} units"
        menu.append(
            {
                "op": str(op),
                "label": spec.label,
                "description": form_class.description,
                "price": price,
                "has_mask": spec.has_mask,
                "key": TOOL_KEYS.get(op, ""),
                "url": reverse("asset_edit", args=[asset.pk, str(op)]),
            }
        )
    return menu


class HourlyCapForm(forms.Form):
    """How many images each person may start per hour (empty: no cap)."""

    images = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=100_000,
        label="Images per person per hour",
        help_text="Empty for no cap. A person over it waits; others go on.",
    )


# --- job history ----------------------------------------------------------------------------


class JobFilterForm(forms.Form):
    """The job history's filters; choices come from lists read once (no query to validate)."""

    q = forms.CharField(
        required=False,
        label="Search prompts",
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Search prompts"}),
    )
    project = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Project")
    author = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Person")
    status = forms.ChoiceField(required=False, label="Status")
    operation = forms.ChoiceField(required=False, label="Operation")
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, projects=(), members=(), with_project: bool = True, **kwargs):
        from .models import JobStatus

        super().__init__(*args, **kwargs)
        if with_project:
            self.fields["project"].choices = [("", "All projects")] + [
                (p.pk, f"{p.name} (archived)" if p.archived_at else p.name) for p in projects
            ]
        else:
            del self.fields["project"]
        self.fields["author"].choices = [("", "Anyone")] + [
            (m.user_id, m.user.get_username()) for m in members
        ]
        self.fields["status"].choices = [("", "Any status"), *JobStatus.choices]
        self.fields["operation"].choices = [("", "Any operation")] + [
            (str(op), spec.label) for op, spec in catalog.OPERATIONS.items()
        ]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "To: the end date is before the start date; swap them.")
        return cleaned

    def filters(self):
        """The valid filters; a field with an error is left out rather than failing the page."""
        from .selectors import JobFilters

        if not self.is_bound:
            return JobFilters()
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        return JobFilters(
            project_id=data.get("project"),
            author_id=data.get("author"),
            status=data.get("status") or "",
            operation=data.get("operation") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            q=(data.get("q") or "").strip(),
        )

    def query(self, **extra) -> str:
        """The filters as a query string, for links that keep them (older jobs)."""
        from django.utils.http import urlencode

        values = {}
        if self.is_bound:
            values = {k: self.data.get(k) for k in self.fields if self.data.get(k)}
        values.update({k: v for k, v in extra.items() if v})
        return urlencode(values)

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
from recraft_studio.assets.forms import BRAND_PREFIX, label_choices
from recraft_studio.recraft import catalog
from recraft_studio.recraft.catalog import Op
from recraft_studio.recraft.validation import FieldError, check_mask, check_params, inspect_image

#: Where an API parameter's error is shown on the form.
FIELD_FOR_PARAM = {
    "controls.artistic_level": "artistic_level",
    "controls.no_text": "no_text",
    "controls.colors": "palette",
    "controls.background_color": "palette",
    "style_id": "style",
}


class ApiRulesForm(forms.Form):
    """A form whose `to_params()` becomes the API call, checked by the API's rules."""

    operation: Op

    def to_params(self) -> dict[str, Any]:
        raise NotImplementedError

    def add_api_errors(self, errors: list[FieldError]) -> None:
        for error in errors:
            key = re.sub(r"\[\d+\].*$", "", error.field)  # controls.colors[0] → controls.colors
            name = FIELD_FOR_PARAM.get(key, key.split(".")[0])
            self.add_error(name if name in self.fields else None, error.message)

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            self.add_api_errors(check_params(catalog.OPERATIONS[self.operation], self.to_params()))
        return cleaned


ALL_SUBSTYLES = sorted(
    {s for table in catalog.SUBSTYLES.values() for subs in table.values() for s in subs}
)


class SeedForm(forms.Form):
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


class StyledForm(SeedForm, ApiRulesForm):
    """A form for an endpoint that takes a style: base or brand style, substyle, palette.

    Base styles and the workspace's brand styles share one select, so `style` and
    `style_id` can never both be sent; a brand style's value is `brand:<pk>`.
    """

    style = forms.ChoiceField(required=False, initial="realistic_image")
    substyle = forms.ChoiceField(required=False)
    palette = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="No palette",
        help_text="Sent as the preferred colours and background colour.",
    )

    #: The model whose substyles are offered; forms with a model field override this.
    default_model = str(catalog.DEFAULT_MODEL)

    def __init__(self, *args, workspace=None, **kwargs):
        super().__init__(*args, **kwargs)
        from recraft_studio.brand.selectors import brand_styles_for, palettes_for

        self.workspace = workspace
        brand_styles = list(brand_styles_for(workspace=workspace)) if workspace else []
        self.brand_styles = {f"{BRAND_PREFIX}{b.pk}": b for b in brand_styles}
        choices = [("Base styles", label_choices(catalog.STYLES, catalog.STYLE_LABELS))]
        if brand_styles:
            choices.insert(0, ("Brand styles", [(k, b.name) for k, b in self.brand_styles.items()]))
        self.fields["style"].choices = choices
        self.fields["palette"].queryset = (
            palettes_for(workspace=workspace) if workspace else self.fields["palette"].queryset
        )
        if workspace is None:
            from recraft_studio.brand.models import Palette

            self.fields["palette"].queryset = Palette.objects.none()
        self.fields["substyle"].choices = self.substyle_choices()

    def _current(self, name: str) -> str:
        if self.is_bound:
            return self.data.get(name) or ""
        value = self.initial.get(name, self.fields[name].initial if name in self.fields else None)
        return str(value or "")

    def current_model(self) -> str:
        return self._current("model") or self.default_model

    def substyle_choices(self) -> list[tuple[str, str]]:
        """Only the substyles the chosen model offers for the chosen base style."""
        model, style = self.current_model(), self._current("style")
        if model not in catalog.SUBSTYLES or style.startswith(BRAND_PREFIX):
            return [("", "None")]
        offered = catalog.substyles_for(model, style)
        if self.is_bound:
            # Keep a submitted value in the list, so that an invalid pick is reported
            # by the API's rule ("not a substyle of …") rather than as a bare choice error.
            submitted = self.data.get("substyle")
            if submitted and submitted not in offered and submitted in ALL_SUBSTYLES:
                offered = (*offered, submitted)
        return label_choices(offered, blank="None")

    @property
    def brand_style(self):
        return self.brand_styles.get(self.cleaned_data.get("style") or "")

    @property
    def base_style(self) -> str:
        """The style the call is priced by: the brand style's base, or the style itself."""
        brand = self.brand_style
        return brand.base_style if brand else (self.cleaned_data.get("style") or "")

    def style_params(self, controls: dict[str, Any] | None = None) -> dict[str, Any]:
        data = self.cleaned_data
        brand = self.brand_style
        controls = dict(controls or {})
        if data.get("palette"):
            controls.update(data["palette"].to_controls())
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
    field_order = ["prompt", "model", "style", "substyle", "palette", "size", "n"]

    prompt = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "A red panda mascot waving"}),
        strip=False,
        help_text=f"At most {catalog.PROMPT_MAX_BYTES} bytes.",
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

    def clean_text_layout(self) -> list[dict[str, Any]] | None:
        """Lines of `WORD left top width height` (percent) → the API's text layout."""
        layout = []
        for number, line in enumerate(self.cleaned_data.get("text_layout", "").splitlines(), 1):
            if not line.strip():
                continue
            word, *numbers = line.split()
            try:
                left, top, width, height = (round(float(n.rstrip("%")) / 100, 4) for n in numbers)
            except ValueError:
                raise forms.ValidationError(
                    f"Line {number} ({line.strip()!r}): give a word, then four numbers: "
                    "left, top, width and height in % of the image."
                )
            if not all(math.isfinite(v) for v in (left, top, width, height)):
                raise forms.ValidationError(
                    f"Line {number} ({line.strip()!r}): the box's numbers must be plain numbers."
                )
            if width <= 0 or height <= 0:
                raise forms.ValidationError(
                    f"Line {number} ({line.strip()!r}): the box needs a width and a height."
                )
            right, bottom = round(left + width, 4), round(top + height, 4)
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
    the job was sent; otherwise the colours are not carried over.
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
        return images.diagnose(self.source_bytes, self.limits)

    # --- cost ------------------------------------------------------------------------

    def _value(self, name: str) -> str:
        if self.is_bound:
            return str(self.data.get(name) or "")
        value = self.initial.get(name, self.fields[name].initial if name in self.fields else None)
        return "" if value is None else str(value)

    def priced_style(self) -> str:
        """The style the call is priced by: a brand style's base, or the base style."""
        style = self._value("style") if "style" in self.fields else ""
        if style.startswith(BRAND_PREFIX):
            brand = getattr(self, "brand_styles", {}).get(style)
            return brand.base_style if brand else ""
        return style

    def outputs(self) -> int | None:
        """Images the call would make; None while the number asked for is not valid."""
        if not self.spec.takes_n:
            return 1
        try:
            n = int(self._value("n") or 1)
        except ValueError:
            return None
        return n if catalog.N_MIN <= n <= catalog.N_MAX else None

    def estimate(self) -> int | None:
        """API units the call would cost with the values now in the form."""
        n = self.outputs()
        if n is None:
            return None
        return self.spec.price(model=str(catalog.Model.V3), style=self.priced_style(), n=n)

    def unit_price(self) -> int:
        return self.spec.unit_price(model=str(catalog.Model.V3), style=self.priced_style())

    # --- checks ------------------------------------------------------------------------

    def clean(self):
        cleaned = super().clean()

        problem = self.problem
        data = None if self.source.is_svg else self.source_bytes
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
        sniffed = images.sniff(mask)
        source_size = (self.source.width, self.source.height)
        if sniffed and sniffed[1:] == source_size and size != source_size:
            # Painted on the original; the image is being scaled down, so is the mask.
            mask = images.scale_mask(mask, size)
        try:
            check_mask(mask, image_size=size, limits=self.limits)
        except FieldError as error:
            self.add_error("mask", error.message)
            return None
        if not images.mask_has_white(mask):
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
        "n",
        "negative_prompt",
        "random_seed",
    ]

    prompt = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        strip=False,
        help_text=f"At most {catalog.PROMPT_MAX_BYTES} bytes.",
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

    def __init__(self, *args, source, workspace=None, initial=None, **kwargs):
        initial = dict(initial or {})
        if "style" not in initial:
            initial["style"] = self._source_style(source)
        super().__init__(*args, source=source, workspace=workspace, initial=initial, **kwargs)
        base = label_choices(catalog.styles_for(self.default_model), catalog.STYLE_LABELS)
        self.fields["style"].choices = [
            (group, base if group == "Base styles" else options)
            for group, options in self.fields["style"].choices
        ]

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

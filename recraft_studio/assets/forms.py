"""Forms that apply the API's documented rules before anything is queued or spent.

The rules themselves live in `recraft.validation`; a form turns its fields into the
API's parameters, runs those rules, and puts each error on the field it concerns.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms

from recraft_studio.recraft import catalog
from recraft_studio.recraft.catalog import Op
from recraft_studio.recraft.validation import FieldError, check_params

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


def _choices(values, labels=None, blank: str | None = None):
    choices = [("", blank)] if blank is not None else []
    return choices + [(v, (labels or {}).get(v, v.replace("_", " "))) for v in values]


ALL_SUBSTYLES = sorted(
    {s for table in catalog.SUBSTYLES.values() for subs in table.values() for s in subs}
)


BRAND_PREFIX = "brand:"


class StyledForm(ApiRulesForm):
    """A form for an endpoint that takes a style: base or brand style, substyle, palette.

    Base styles and the workspace's brand styles share one select, so `style` and
    `style_id` can never both be sent; a brand style's value is `brand:<pk>`.
    """

    style = forms.ChoiceField(required=False, initial="realistic_image")
    substyle = forms.ChoiceField(required=False)
    palette = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="No palette",
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
        choices = [("Base styles", _choices(catalog.STYLES, catalog.STYLE_LABELS))]
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
        return _choices(offered, blank="None")

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
        }
        return {k: v for k, v in params.items() if v is not None}

"""Forms that apply the API's documented rules before anything is queued or spent.

The rules themselves live in `recraft.validation`; a form turns its fields into the
API's parameters, runs those rules, and puts each error on the field it concerns.
"""

from __future__ import annotations

from typing import Any

from django import forms

from recraft_studio.recraft import catalog
from recraft_studio.recraft.catalog import Op
from recraft_studio.recraft.validation import FieldError, check_params

#: Where an API parameter's error is shown on the form.
FIELD_FOR_PARAM = {
    "controls.artistic_level": "artistic_level",
    "controls.no_text": "no_text",
    "style_id": "style",
}


class ApiRulesForm(forms.Form):
    """A form whose `to_params()` becomes the API call, checked by the API's rules."""

    operation: Op

    def to_params(self) -> dict[str, Any]:
        raise NotImplementedError

    def add_api_errors(self, errors: list[FieldError]) -> None:
        for error in errors:
            name = FIELD_FOR_PARAM.get(error.field, error.field.split(".")[0].split("[")[0])
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


class GenerateForm(ApiRulesForm):
    """Text to image: every parameter of `POST /images/generations` a person sets."""

    operation = Op.GENERATE

    prompt = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "A red panda mascot waving"}),
        strip=False,
        help_text=f"At most {catalog.PROMPT_MAX_BYTES} bytes.",
    )
    model = forms.ChoiceField(
        choices=[(str(m), catalog.MODEL_LABELS[m]) for m in catalog.Model],
        initial=str(catalog.DEFAULT_MODEL),
    )
    style = forms.ChoiceField(
        choices=_choices(catalog.STYLES, catalog.STYLE_LABELS),
        initial="realistic_image",
    )
    substyle = forms.ChoiceField(required=False, choices=_choices(ALL_SUBSTYLES, blank="None"))
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["substyle"].choices = self.substyle_choices()

    def _current(self, name: str) -> str:
        if self.is_bound:
            return self.data.get(name) or ""
        return str(self.initial.get(name) or self.fields[name].initial or "")

    def substyle_choices(self) -> list[tuple[str, str]]:
        """Only the substyles the chosen model offers for the chosen style."""
        model = self._current("model") or str(catalog.DEFAULT_MODEL)
        style = self._current("style")
        if model not in catalog.SUBSTYLES:
            return [("", "None")]
        offered = catalog.substyles_for(model, style)
        if self.is_bound:
            # Keep a submitted value in the list, so that an invalid pick is reported
            # by the API's rule ("not a substyle of …") rather than as a bare choice error.
            submitted = self.data.get("substyle")
            if submitted and submitted not in offered and submitted in ALL_SUBSTYLES:
                offered = (*offered, submitted)
        return _choices(offered, blank="None")

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
            "style": data.get("style"),
            "substyle": data.get("substyle") or None,
            "size": data.get("size"),
            "n": data.get("n"),
            "negative_prompt": data.get("negative_prompt") or None,
            "controls": controls or None,
        }
        return {k: v for k, v in params.items() if v is not None}

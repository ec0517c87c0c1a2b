"""The style and palette selects the generation forms share, with what the browser needs.

Every form that sends a style (generate, the styled tools, project defaults) offers
base styles and the workspace's brand styles in one select, and palettes in another.
The options carry data for `static/js/composer.js`: a brand style's base style (it
prices the call and decides which substyles apply: none) and its first reference
picture; a palette's colours, which the composer copies into the colour fields so
they can be adjusted for one run.
"""

from __future__ import annotations

from django import forms
from django.urls import reverse

from recraft_studio.recraft import catalog

from .models import STYLE_CHOICE_PREFIX


class StyleSelect(forms.Select):
    """A select whose brand-style options say their base style and preview picture."""

    def __init__(self, attrs=None, choices=()):
        super().__init__(attrs, choices)
        self.option_data: dict[str, dict[str, str]] = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        option["attrs"].update(self.option_data.get(str(value), {}))
        return option


class PaletteSelect(forms.Select):
    """A palette select whose options carry their colours (`data-colors`, `data-background`)."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        palette = getattr(value, "instance", None)
        if palette is not None:
            option["attrs"]["data-colors"] = " ".join(palette.hex_colors)
            option["attrs"]["data-background"] = palette.hex_background
        return option


def brand_option_data(brand_styles) -> dict[str, dict[str, str]]:
    """`data-*` attributes of each brand style's option, by option value."""
    data = {}
    for style in brand_styles:
        attrs = {"data-base-style": style.base_style, "data-brand": "true"}
        first = next(iter(style.references.all()), None) if hasattr(style, "references") else None
        if first is not None:
            attrs["data-preview"] = reverse(
                "brand_style_reference", args=[style.workspace.slug, style.pk, first.pk]
            )
        data[f"{STYLE_CHOICE_PREFIX}{style.pk}"] = attrs
    return data


def base_style_choices(model: str, *, keep: str = "") -> list[tuple[str, str]]:
    """The base styles `model` offers, with their labels.

    `keep` is a submitted base style the model does not offer: it stays listed, so
    the API's rule reports it on the field ("not offered by …") rather than Django's
    bare "select a valid choice".
    """
    offered = list(catalog.styles_for(model)) if model in catalog.SUBSTYLES else []
    if keep and keep in catalog.STYLES and keep not in offered:
        offered.append(keep)
    return [(s, catalog.STYLE_LABELS[s]) for s in offered]


def substyle_choices(model: str, style: str) -> list[tuple[str, str]]:
    """ "None" and the substyles `model` offers for the base `style` (none for a brand style)."""
    if style.startswith(STYLE_CHOICE_PREFIX) or model not in catalog.SUBSTYLES:
        return [("", "None")]
    return [("", "None")] + [
        (s, catalog.substyle_label(s)) for s in catalog.substyles_for(model, style)
    ]


def stale_substyle(model: str, style: str, substyle: str) -> bool:
    """Whether `substyle` was left over from another style or model (then it is dropped)."""
    if not substyle:
        return False
    if style.startswith(STYLE_CHOICE_PREFIX) or model not in catalog.SUBSTYLES:
        return True
    return substyle not in catalog.substyles_for(model, style)


ALL_SUBSTYLES = frozenset(s for _, s in catalog.style_pairs() if s)


class SubstyleField(forms.ChoiceField):
    """A substyle select that accepts any substyle of the catalog.

    It lists only what the chosen model offers for the chosen style; a substyle left
    over from another style or model is accepted here and then dropped by the form
    (`StyledForm.clean`), so it is never sent and never fails the request.
    """

    def valid_value(self, value):
        return value in ALL_SUBSTYLES or super().valid_value(value)

"""The API's rule errors, said in the form's words.

`recraft.validation` names API fields ("n must be a whole number from 1 to 6",
"text_layout is available on recraftv3 only"): right for the sandbox, which answers
programs, and wrong for a person, who sees "Images" and "Words in the image". Here
each error is rewritten with the label of the field it lands on and a way to fix it.
Forms call `friendly_error` for every error the rules report, whether the form found
it or job submission did.
"""

from __future__ import annotations

import re

from recraft_studio.recraft import catalog
from recraft_studio.recraft.validation import FieldError

#: Labels of the fields that have no form field of their own (files, budget).
PARAM_LABELS = {
    "prompt": "Prompt",
    "negative_prompt": "Leave out",
    "n": "Images",
    "size": "Size",
    "model": "Model",
    "style": "Style",
    "style_id": "Style",
    "substyle": "Substyle",
    "strength": "Strength",
    "random_seed": "Seed",
    "image_format": "Format",
    "response_format": "Response format",
    "text_layout": "Words in the image",
    "controls.artistic_level": "Artistic level",
    "controls.no_text": "No text in the image",
    "controls.colors": "Colours",
    "controls.background_color": "Background colour",
    "image": "Image",
    "file": "Image",
    "mask": "Mask",
}


def _label(error: FieldError, form, name: str | None) -> str:
    if name and form is not None and name in form.fields and form.fields[name].label:
        return str(form.fields[name].label)
    key = re.sub(r"\[\d+\]", "", error.field)
    key = re.sub(r"\.(text|bbox)$", "", key)
    return PARAM_LABELS.get(key, PARAM_LABELS.get(key.split(".")[0], "This field"))


def _model_label(model) -> str:
    try:
        return catalog.MODEL_LABELS[catalog.Model(model)]
    except ValueError:
        return str(model or catalog.MODEL_LABELS[catalog.DEFAULT_MODEL])


def _value(form, name: str):
    if form is None:
        return None
    data = getattr(form, "cleaned_data", None) or {}
    if name in data:
        return data[name]
    return form.data.get(name) if form.is_bound else None


def _index(error: FieldError) -> int | None:
    found = re.search(r"\[(\d+)\]", error.field)
    return int(found.group(1)) if found else None


def friendly_error(error: FieldError, form=None, name: str | None = None) -> str:
    """The message of `error` naming the form's label and saying how to fix it."""
    field, message = error.field, error.message
    label = _label(error, form, name)
    model = _value(form, "model") or getattr(form, "default_model", None)
    base = re.sub(r"\[\d+\].*$", "", field)

    if field == "n":
        return f"{label}: choose a whole number from {catalog.N_MIN} to {catalog.N_MAX}."
    if field == "strength":
        return (
            f"{label}: choose a number from 0 (keep the picture almost as it is) "
            "to 1 (keep little of it)."
        )
    if field == "random_seed":
        return f"{label}: a whole number from 0 to 4294967295, or leave it empty for a new one."
    if field == "size":
        if "required" in message:
            return f"{label} is required: choose one of the listed sizes."
        return f"{label}: choose one of the listed sizes."
    if field == "model":
        names = " or ".join(catalog.MODEL_LABELS.values())
        return f"{label}: choose {names}."
    if field in ("image_format", "response_format"):
        return f"{label}: choose one of the options in the list."
    if field == "negative_prompt":
        return f"{label}: describe what to leave out in words."
    if field == "style":
        style = _value(form, "style") or ""
        if "not available" in message:
            return (
                f"{catalog.STYLE_LABELS.get(style, style)} is not offered by "
                f"{_model_label(model)}: choose another {label.lower()}, or another model."
            )
        return f"{label}: choose one of the styles in the list."
    if field == "style_id":
        if "mutually exclusive" in message:
            return f"{label}: choose a brand style or a base style, not both."
        return f"{label}: this brand style cannot be used; choose another one."
    if field == "substyle":
        if "needs the style" in message:
            return f"{label}: choose a style first, or set {label.lower()} to None."
        if "cannot go with style_id" in message:
            return f"{label}: a brand style takes no substyle; set it to None."
        return f"{label}: choose one from the list, or None."
    if base == "text_layout":
        if "recraftv3 only" in message:
            return (
                f"{label} work with Recraft V3 only: switch Model to Recraft V3, "
                "or remove the words."
            )
        index = _index(error)
        which = f"word {index + 1}" if index is not None else "a word"
        if field.endswith(".bbox"):
            return f"{label}: {which} needs a box of four corners; draw it again."
        if field.endswith(".text") and "characters" in message:
            bad = message.split("support: ", 1)[-1].split(". ", 1)[0]
            return (
                f"{label}: {which} has characters the API cannot draw ({bad}). "
                "Use capital letters, digits and the listed symbols, one word per box."
            )
        if field.endswith(".text"):
            return f"{label}: {which} is empty; type a word or remove its box."
        return f"{label}: give one word per line, then its box."
    if base == "controls.artistic_level":
        return (
            f"{label}: choose a level from {catalog.ARTISTIC_LEVEL_MIN} "
            f"to {catalog.ARTISTIC_LEVEL_MAX}."
        )
    if base == "controls.colors":
        index = _index(error)
        which = f"colour {index + 1}" if index is not None else "a colour"
        return f"{label}: {which} is not a colour; use #RRGGBB, or pick it again."
    if base == "controls.background_color":
        return f"{label}: not a colour; use #RRGGBB, or pick it again."
    if field in ("image", "file"):
        return f"{label}: {message}"
    if field == "mask":
        return f"{label}: {message} Paint the area again, or upload another mask."
    if field == "prompt":
        if "required" in message or "blank" in message:
            return f"{label} is required: describe the image to make."
        return f"{label}: {message[:1].lower()}{message[1:]} Shorten it."
    if field == "budget":
        return message
    return f"{label}: {message}"

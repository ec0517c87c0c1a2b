"""What every form of the studio shares."""

from __future__ import annotations


class LabelledBoundsMixin:
    """Bound errors ("at most 100 characters") that name the field's label.

    Django's own say "Ensure this value has at most 100 characters", which leaves a
    person guessing which value when a form shows its errors together.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            label = str(field.label or name.replace("_", " ").capitalize())
            field.error_messages = {
                **field.error_messages,
                "max_length": f"{label} may be at most %(limit_value)d characters "
                "(this is %(show_value)d).",
                "min_length": f"{label} needs at least %(limit_value)d characters "
                "(this is %(show_value)d).",
                "max_value": f"{label} may be at most %(limit_value)s.",
                "min_value": f"{label} must be at least %(limit_value)s.",
            }

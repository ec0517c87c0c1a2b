"""What every form of the studio shares: errors that name the field and say what to do."""

from __future__ import annotations

from django import forms


class LabelledErrorsMixin:
    """Every error names the field's label and says what to do.

    Django's own messages ("This field is required.", "Ensure this value has at most
    100 characters") name no field, which leaves a person guessing when a form shows
    its errors together. Only Django's defaults are replaced; a field's own messages
    stay. Mix it into any form class (Form, ModelForm, UserCreationForm).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            label = str(field.label or name.replace("_", " ").capitalize())
            messages = {
                "required": f"{label} is required: fill it in.",
                "invalid_choice": f"{label}: choose one of the options in the list.",
                "max_value": f"{label} may be at most %(limit_value)s.",
                "min_value": f"{label} must be at least %(limit_value)s.",
                "max_length": f"{label} may be at most %(limit_value)d characters "
                "(this is %(show_value)d).",
                "min_length": f"{label} needs at least %(limit_value)d characters "
                "(this is %(show_value)d).",
            }
            if isinstance(field, forms.IntegerField):
                messages["invalid"] = f"{label}: enter a whole number."
            elif isinstance(field, forms.FloatField):
                messages["invalid"] = f"{label}: enter a number, such as 0.5."
            defaults = {}
            for cls in reversed(type(field).__mro__):
                defaults.update(getattr(cls, "default_error_messages", {}))
            field.error_messages = {
                **field.error_messages,
                **{
                    key: text
                    for key, text in messages.items()
                    if field.error_messages.get(key, defaults.get(key)) == defaults.get(key)
                },
            }

    def full_clean(self):
        """After cleaning, begin each field's message with its label when it does not."""
        super().full_clean()
        for name, errors in list((self._errors or {}).items()):
            field = self.fields.get(name)
            if field is None:
                continue
            label = str(field.label or name.replace("_", " ").capitalize())
            self._errors[name] = self.error_class(
                [m if not m or m.startswith(label) else f"{label}: {m}" for m in errors],
                renderer=self.renderer,
            )


class LabelledErrorsForm(LabelledErrorsMixin, forms.Form):
    """A plain form with `LabelledErrorsMixin`."""

from django import forms

from .sentences import TARGET_TYPES, verb_label


class TrailFilterForm(forms.Form):
    """Narrow the trail; every field is optional and a bad value is simply ignored.

    `target` ("asset:<id>") narrows to one object; pages link to it ("History in the
    audit trail"), and each row of the trail offers it too.
    """

    actor = forms.ChoiceField(required=False, label="Who")
    verb = forms.ChoiceField(required=False, label="Action")
    target_type = forms.ChoiceField(required=False, label="About")
    project = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    target = forms.RegexField(
        required=False, regex=r"^[a-z_]+:[A-Za-z0-9-]{1,64}$", widget=forms.HiddenInput
    )

    def __init__(self, *args, verbs, actors, projects, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["verb"].choices = [("", "Any action")] + sorted(
            ((v, verb_label(v)) for v in verbs), key=lambda c: c[1]
        )
        self.fields["actor"].choices = [("", "Anyone")] + [(a, a) for a in actors]
        self.fields["target_type"].choices = [("", "Anything")] + TARGET_TYPES
        self.fields["project"].choices = [("", "Any project")] + [(p.pk, p.name) for p in projects]

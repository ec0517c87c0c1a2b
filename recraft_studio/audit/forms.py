from django import forms


class TrailFilterForm(forms.Form):
    """Narrow the trail; every field is optional and a bad value is simply ignored."""

    verb = forms.ChoiceField(required=False, label="Action")
    actor = forms.ChoiceField(required=False, label="Who")
    project = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, verbs, actors, projects, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["verb"].choices = [("", "Any action")] + [(v, v) for v in verbs]
        self.fields["actor"].choices = [("", "Anyone")] + [(a, a) for a in actors]
        self.fields["project"].choices = [("", "Any project")] + [(p.pk, p.name) for p in projects]

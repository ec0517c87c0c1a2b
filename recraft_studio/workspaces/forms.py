from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm

from recraft_studio.brand.widgets import (
    StyleSelect,
    SubstyleField,
    base_style_choices,
    brand_option_data,
    stale_substyle,
    substyle_choices,
)
from recraft_studio.core.forms import LabelledErrorsForm, LabelledErrorsMixin
from recraft_studio.jobs.errors import friendly_error
from recraft_studio.recraft import catalog
from recraft_studio.recraft.validation import check_size, check_style

from . import encryption
from .models import MODEL_CHOICES, SIZE_CHOICES, Project, Role

#: A project's description is a note for the team, not a document.
PROJECT_DESCRIPTION_MAX_CHARS = 2000


class ProjectForm(LabelledErrorsMixin, forms.ModelForm):
    description = forms.CharField(
        required=False,
        max_length=PROJECT_DESCRIPTION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = Project
        fields = ["name", "description"]


# --- members -------------------------------------------------------------------------------


class InviteForm(LabelledErrorsMixin, forms.Form):
    email = forms.EmailField(
        max_length=254,  # the column's size, and the longest address SMTP carries
        widget=forms.EmailInput(attrs={"placeholder": "name@example.com"}),
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.DESIGNER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class SignUpForm(LabelledErrorsMixin, UserCreationForm):
    """A new account for the address an invitation was sent to."""

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def save(self, commit=True):
        user = super().save(commit=False)
        user.email = self.email
        if commit:
            user.save()
        return user


# --- the workspace's API token ---------------------------------------------------------------


class BudgetForm(LabelledErrorsMixin, forms.Form):
    monthly_budget = forms.IntegerField(
        label="Monthly budget (API units)",
        required=False,
        min_value=1,
        max_value=100_000_000,
        widget=forms.NumberInput(attrs={"placeholder": "No cap", "step": 1}),
        help_text="Jobs that would take this calendar month (UTC) past it are refused before "
        "anything is spent. 1,000 units are 1 USD. Leave empty for no cap.",
    )


class ApiTokenForm(LabelledErrorsMixin, forms.Form):
    # `render_value=False`: the token never travels back to a browser, not even on an
    # error, so a shoulder or a page cache cannot read it.
    api_token = forms.CharField(
        label="Recraft API token",
        strip=True,
        max_length=500,
        widget=forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"}
        ),
        help_text="From your Recraft account's API page. Stored encrypted; only its last 4 "
        "characters are ever shown.",
    )

    def clean(self):
        cleaned = super().clean()
        if not encryption.is_configured():
            raise forms.ValidationError(
                "This deployment has no encryption key (FIELD_ENCRYPTION_KEYS), so it cannot "
                "store API tokens. Ask whoever runs it to set one."
            )
        return cleaned

    def clean_api_token(self):
        token = self.cleaned_data["api_token"]
        if any(c.isspace() for c in token):
            raise forms.ValidationError("An API token has no spaces in it; check what was pasted.")
        if len(token) < 8:
            raise forms.ValidationError("That is too short to be a Recraft API token.")
        return token


# --- project defaults ------------------------------------------------------------------------

NO_DEFAULT = [("", "No default")]


class ProjectRenameForm(LabelledErrorsForm):
    name = forms.CharField(
        label="Project name",
        max_length=100,
        error_messages={"required": "Project name is required: type the new name."},
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Project name is required: type the new name.")
        return name


class ProjectDefaultsForm(LabelledErrorsForm):
    """Where the project's generation form starts: model, style, substyle, palette, size.

    Base styles and brand styles share one select (a brand style is `brand:<pk>`,
    as on the generation form), so a project can never default to both a `style`
    and a `style_id`. Only the base styles the model offers are listed, and only the
    substyles it offers for the style (the composer keeps them in step in the
    browser); a substyle left over from another style is dropped, never saved. The
    API's own rules check the rest.
    """

    model = forms.ChoiceField(required=False, choices=NO_DEFAULT + MODEL_CHOICES)
    style = forms.ChoiceField(required=False, widget=StyleSelect)
    substyle = SubstyleField(required=False)
    palette = forms.ModelChoiceField(queryset=None, required=False, empty_label="No default")
    size = forms.ChoiceField(required=False, choices=NO_DEFAULT + SIZE_CHOICES)

    def __init__(self, *args, workspace, project: Project, editable: bool = True, **kwargs):
        from recraft_studio.brand.selectors import brand_styles_for, palettes_for

        kwargs.setdefault("initial", self.initial_for(project))
        super().__init__(*args, **kwargs)
        brand_styles = list(brand_styles_for(workspace=workspace).prefetch_related("references"))
        self.brand_styles = {s.choice_value: s for s in brand_styles}
        self.fields["style"].widget.option_data = brand_option_data(brand_styles)
        keep = self._current("style") if self.is_bound else ""
        choices = list(NO_DEFAULT)
        if self.brand_styles:
            choices.append(("Brand styles", [(k, s.name) for k, s in self.brand_styles.items()]))
        choices.append(("Base styles", base_style_choices(self.current_model(), keep=keep)))
        self.fields["style"].choices = choices
        self.fields["palette"].queryset = palettes_for(workspace=workspace)
        self.fields["substyle"].choices = substyle_choices(
            self.current_model(), self._current("style")
        )
        self.cleared: list[str] = []
        if not editable:
            for field in self.fields.values():
                field.disabled = True

    @staticmethod
    def initial_for(project: Project) -> dict:
        brand = project.default_brand_style
        return {
            "model": project.default_model,
            "style": brand.choice_value
            if brand is not None and not brand.is_archived
            else project.default_style,
            "substyle": project.default_substyle,
            "palette": project.default_palette_id,
            "size": project.default_size,
        }

    def _current(self, name: str) -> str:
        if self.is_bound:
            return self.data.get(name) or ""
        return str(self.initial.get(name) or "")

    def current_model(self) -> str:
        return self._current("model") or str(catalog.DEFAULT_MODEL)

    def quote(self) -> catalog.Quote:
        """What one image at these defaults costs (the composer keeps it up to date)."""
        style = self._current("style")
        brand = self.brand_styles.get(style)
        return catalog.quote(
            catalog.Op.GENERATE,
            model=self.current_model(),
            style=brand.base_style if brand else style,
            n=1,
        )

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        model = cleaned.get("model") or str(catalog.DEFAULT_MODEL)
        style = cleaned.get("style") or ""
        substyle = cleaned.get("substyle") or ""
        if stale_substyle(model, style, substyle):
            cleaned["substyle"] = ""  # left over from another style: dropped, never saved
            self.cleared.append(catalog.substyle_label(substyle))
        brand = self.brand_styles.get(style)
        errors = check_style(
            model=cleaned.get("model") or None,
            style=None if brand else (style or None),
            substyle=cleaned.get("substyle") or None,
            style_id=str(brand.style_id) if brand else None,
        )
        errors += check_size(cleaned.get("size") or None)
        for error in errors:
            name = "style" if error.field == "style_id" else error.field
            name = name if name in self.fields else None
            self.add_error(name, friendly_error(error, self, name))
        cleaned["brand_style"] = brand
        cleaned["base_style"] = "" if brand else style
        return cleaned

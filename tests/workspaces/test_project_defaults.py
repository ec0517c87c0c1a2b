"""Project defaults: set by owners and brand managers; where the generation form starts."""

import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse

from recraft_studio.audit.models import AuditEvent
from recraft_studio.jobs.forms import GenerateForm
from recraft_studio.jobs.models import Job
from recraft_studio.jobs.services import job_submit
from recraft_studio.recraft.validation import RequestInvalid
from recraft_studio.workspaces import services
from recraft_studio.workspaces.models import Project, Role
from tests.brand.factories import BrandStyleFactory, PaletteFactory
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def kit(member):
    user, membership = member(Role.BRAND_MANAGER)
    workspace = membership.workspace
    return {
        "user": user,
        "membership": membership,
        "workspace": workspace,
        "project": ProjectFactory(workspace=workspace),
        "style": BrandStyleFactory(workspace=workspace, name="House"),
        "palette": PaletteFactory(workspace=workspace, name="Spring"),
    }


def settings_url(project):
    return reverse("project_settings", args=[project.workspace.slug, project.slug])


def project_url(project):
    return reverse("project", args=[project.workspace.slug, project.slug])


def selected(html: str, name: str) -> str:
    """The value of the selected option of the select `name` in `html`."""
    import re

    select = re.search(rf'<select name="{name}".*?</select>', html, re.S).group(0)
    found = re.search(r'<option value="([^"]*)"[^>]*selected', select)
    return found.group(1) if found else ""


def test_a_brand_manager_sets_defaults_and_the_generation_form_starts_there(kit, logged_in):
    project, palette = kit["project"], kit["palette"]
    client = logged_in(kit["user"])
    data = {
        "model": "recraftv2",
        "style": "icon",
        "substyle": "pictogram",
        "palette": str(palette.pk),
        "size": "1365x1024",
    }
    response = client.post(settings_url(project), data)

    assert response.status_code == 302 and response["Location"] == project_url(project)
    project.refresh_from_db()
    assert (project.default_model, project.default_style, project.default_substyle) == (
        "recraftv2",
        "icon",
        "pictogram",
    )
    assert project.default_palette == palette and project.default_size == "1365x1024"
    assert project.default_brand_style is None
    event = AuditEvent.objects.get(verb="project.defaults_changed")
    assert event.actor == kit["user"] and event.project == project
    assert event.data["palette"] == "Spring" and event.data["substyle"] == "pictogram"

    page = client.get(project_url(project)).content.decode()
    assert selected(page, "model") == "recraftv2"
    assert selected(page, "style") == "icon"
    assert selected(page, "substyle") == "pictogram"
    assert selected(page, "palette") == str(palette.pk)
    assert selected(page, "size") == "1365x1024"


def test_a_brand_style_default_is_preselected_and_takes_no_substyle(kit, logged_in):
    project, style = kit["project"], kit["style"]
    client = logged_in(kit["user"])
    client.post(settings_url(project), {"style": style.choice_value})
    project.refresh_from_db()
    assert project.default_brand_style == style and project.default_style == ""

    page = client.get(project_url(project)).content.decode()
    assert selected(page, "style") == f"brand:{style.pk}"
    assert selected(page, "substyle") == ""


def test_an_archived_brand_style_is_no_longer_where_the_form_starts(kit, logged_in):
    from django.utils import timezone

    project, style = kit["project"], kit["style"]
    Project.objects.filter(pk=project.pk).update(default_brand_style=style)
    style.archived_at = timezone.now()
    style.save()
    client = logged_in(kit["user"])
    assert (
        selected(client.get(project_url(project)).content.decode(), "style") != style.choice_value
    )
    notice = client.get(settings_url(project)).content.decode()
    assert "House, is archived" in notice


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"model": "recraftv2", "style": "any"}, "style", "Any is not offered by Recraft V2"),
        ({"size": "999x999"}, "size", "Size: choose one of the options in the list."),
        ({"style": "brand:999999"}, "style", "Style: choose one of the options in the list."),
    ],
)
def test_defaults_the_api_would_refuse_are_refused_on_the_field(
    kit, logged_in, data, field, message
):
    project = kit["project"]
    response = logged_in(kit["user"]).post(settings_url(project), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    project.refresh_from_db()
    assert project.default_model == "" and project.default_style == ""
    assert not AuditEvent.objects.exists()


def test_a_left_over_substyle_is_dropped_so_the_defaults_save(kit, logged_in):
    project = kit["project"]
    client = logged_in(kit["user"])
    for data in ({"style": "digital_illustration", "substyle": "hdr"}, {"substyle": "hdr"}):
        response = client.post(settings_url(project), data, follow=True)
        assert "did not belong to the style; it was left out" in response.content.decode()
        project.refresh_from_db()
        assert project.default_substyle == ""
    assert project.default_style == ""


def test_the_substyle_list_follows_the_model_and_style(kit, logged_in):
    project = kit["project"]
    project.default_model, project.default_style = "recraftv2", "icon"
    project.save()
    body = logged_in(kit["user"]).get(settings_url(project)).content.decode()
    assert 'value="pictogram"' in body and 'value="hdr"' not in body
    assert "data-composer" in body and 'id="composer-catalog"' in body


def test_a_palette_of_another_workspace_cannot_be_a_default(kit, member, logged_in):
    _, other = member(Role.OWNER)
    foreign = PaletteFactory(workspace=other.workspace)
    response = logged_in(kit["user"]).post(
        settings_url(kit["project"]), {"palette": str(foreign.pk)}
    )
    assert "Palette: choose one of the options" in response.context["form"].errors["palette"][0]
    with pytest.raises(PermissionDenied):
        services.project_defaults_set(
            membership=kit["membership"], project=kit["project"], palette=foreign
        )


@pytest.mark.parametrize("role", [Role.DESIGNER, Role.VIEWER])
def test_designers_and_viewers_see_the_defaults_but_cannot_change_them(member, logged_in, role):
    user, membership = member(role)
    project = ProjectFactory(workspace=membership.workspace, default_model="recraftv2")
    client = logged_in(user)
    page = client.get(settings_url(project)).content.decode()
    assert "Save defaults" not in page and "disabled" in page
    assert client.post(settings_url(project), {"model": "recraftv3"}).status_code == 403
    project.refresh_from_db()
    assert project.default_model == "recraftv2"
    with pytest.raises(PermissionDenied):
        services.project_defaults_set(membership=membership, project=project, model="recraftv3")


# --- style xor style_id -------------------------------------------------------------------


def test_a_project_cannot_default_to_a_base_style_and_a_brand_style_at_once(kit):
    with pytest.raises(ValueError):
        services.project_defaults_set(
            membership=kit["membership"],
            project=kit["project"],
            style="icon",
            brand_style=kit["style"],
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.filter(pk=kit["project"].pk).update(
            default_style="icon", default_brand_style=kit["style"]
        )


def test_posting_a_style_and_a_style_id_together_never_sends_both(kit, logged_in):
    """One select carries both kinds, so only one value is read, whatever is posted."""
    project, style = kit["project"], kit["style"]
    client = logged_in(kit["user"])
    data = {
        "prompt": "a fox",
        "model": "recraftv3",
        "size": "1024x1024",
        "n": "1",
        "style": [style.choice_value, "digital_illustration"],
        "style_id": str(uuid.uuid4()),
    }
    client.post(project_url(project), data, HTTP_HX_REQUEST="true")
    client.post(
        project_url(project),
        {**data, "style": ["digital_illustration", style.choice_value]},
        HTTP_HX_REQUEST="true",
    )

    jobs = list(Job.objects.filter(project=project).order_by("created_at"))
    assert len(jobs) == 2
    for job in jobs:
        assert not ("style" in job.params and "style_id" in job.params), job.params
    assert jobs[0].params["style"] == "digital_illustration"  # the select's last value wins
    assert jobs[1].params["style_id"] == str(style.style_id) and jobs[1].brand_style == style


def test_the_submit_service_refuses_a_style_with_a_style_id(kit):
    with pytest.raises(RequestInvalid) as refused:
        job_submit(
            membership=kit["membership"],
            project=kit["project"],
            params={"prompt": "a fox", "style": "icon", "style_id": str(uuid.uuid4())},
        )
    assert "mutually exclusive" in str(refused.value)
    assert not Job.objects.exists()


def test_the_generation_form_offers_active_brand_styles_and_palettes_only(kit):
    from django.utils import timezone

    BrandStyleFactory(workspace=kit["workspace"], name="Old", archived_at=timezone.now())
    form = GenerateForm(workspace=kit["workspace"])
    assert [s.name for s in form.brand_styles.values()] == ["House"]
    assert list(form.fields["palette"].queryset) == [kit["palette"]]

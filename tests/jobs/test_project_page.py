"""The project page: generating, errors on the form, roles, and tenancy."""

import pytest
from django.urls import reverse

from recraft_studio.audit.models import AuditEvent
from recraft_studio.jobs.models import Job
from recraft_studio.workspaces.models import Role
from tests.factories import ProjectFactory


def url(project):
    return reverse("project", args=[project.workspace.slug, project.slug])


VALID = {
    "prompt": "two race cars on a track",
    "model": "recraftv3",
    "style": "digital_illustration",
    "size": "1024x1024",
    "n": "2",
}


def test_the_page_shows_the_generation_form_and_the_sandbox_badge(designer, project, logged_in):
    user, _ = designer
    response = logged_in(user).get(url(project))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="prompt"' in body and 'name="substyle"' in body and 'name="n"' in body
    assert 'data-testid="sandbox-badge"' in body


def test_submitting_queues_a_job_with_its_estimate_and_audits_it(
    designer, project, logged_in, django_capture_on_commit_callbacks
):
    user, _ = designer
    with django_capture_on_commit_callbacks() as callbacks:
        response = logged_in(user).post(url(project), VALID, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    job = Job.objects.get()
    assert job.params["prompt"] == VALID["prompt"] and job.params["n"] == 2
    assert job.status == "queued" and job.estimated_cost == 80 and job.n_outputs == 2
    assert len(callbacks) == 1  # the task is enqueued once the transaction commits
    event = AuditEvent.objects.get(verb="job.submitted")
    assert event.actor == user and event.estimated_cost == 80 and event.target_id == str(job.id)
    assert f'id="job-{job.id}"' in response.content.decode()


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"prompt": "x" * 1001}, "prompt", "1001 bytes"),
        ({"n": "7"}, "n", "Images: choose a whole number from 1 to 6."),
        ({"style": "icon"}, "style", "Icon is not offered by Recraft V3"),
    ],
)
def test_bad_input_gets_a_field_error_and_queues_nothing(
    designer, project, logged_in, change, field, message
):
    user, _ = designer
    response = logged_in(user).post(url(project), {**VALID, **change}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert not Job.objects.exists()
    assert not AuditEvent.objects.exists()
    assert message in response.context["form"].errors[field][0]
    assert message in response.content.decode()


def test_a_viewer_sees_no_generate_button_and_cannot_post(member, logged_in):
    user, membership = member(Role.VIEWER)
    project = ProjectFactory(workspace=membership.workspace)
    client = logged_in(user)
    assert 'data-testid="generate"' not in client.get(url(project)).content.decode()
    assert client.post(url(project), VALID).status_code == 403
    assert not Job.objects.exists()


def test_another_workspaces_project_is_not_found(designer, member, logged_in):
    user, _ = designer
    _, other = member(Role.OWNER)
    foreign = ProjectFactory(workspace=other.workspace)
    client = logged_in(user)
    assert client.get(url(foreign)).status_code == 404
    assert client.post(url(foreign), VALID).status_code == 404
    assert not Job.objects.exists()


def test_a_substyle_left_over_from_another_style_is_dropped_not_sent(designer, project, logged_in):
    user, _ = designer
    response = logged_in(user).post(
        url(project), {**VALID, "substyle": "kawaii"}, HTTP_HX_REQUEST="true"
    )
    job = Job.objects.get()
    assert "substyle" not in job.params and job.params["style"] == VALID["style"]
    assert "Kawaii was not a substyle of the chosen style" in response.content.decode()


def test_the_page_lists_only_the_styles_and_substyles_of_the_chosen_model(
    designer, project, logged_in
):
    user, _ = designer
    project.default_model, project.default_style = "recraftv2", "icon"
    project.save()
    response = logged_in(user).get(url(project))
    form = response.context["form"]
    substyles = dict(form.fields["substyle"].choices)
    styles = dict(dict(form.fields["style"].choices)["Base styles"])
    assert "pictogram" in substyles and "hdr" not in substyles
    assert "icon" in styles and "logo_raster" not in styles and "any" not in styles
    assert 'id="composer-catalog"' in response.content.decode()  # the browser's catalog


def test_anonymous_visitors_are_sent_to_log_in(client, project):
    response = client.get(url(project))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))

"""A workspace's monthly budget: read from the trail, enforced before anything is spent."""

import io
from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from recraft_studio.audit.models import AuditEvent
from recraft_studio.audit.selectors import budget_status, month_start
from recraft_studio.audit.services import audit_record
from recraft_studio.brand.models import BrandStyle
from recraft_studio.jobs.models import Job
from recraft_studio.workspaces.models import Role
from tests.factories import ProjectFactory
from tests.images import png

GENERATE = {
    "prompt": "a red panda mascot",
    "model": "recraftv3",
    "style": "digital_illustration",
    "size": "1024x1024",
    "n": "2",
}


@pytest.fixture
def team(member):
    owner, membership = member(Role.OWNER, username="olga")
    workspace = membership.workspace
    designer, _ = member(Role.DESIGNER, workspace=workspace, username="dora")
    return workspace, owner, designer, ProjectFactory(workspace=workspace)


def set_budget(workspace, units):
    workspace.monthly_budget = units
    workspace.save(update_fields=["monthly_budget"])


def project_url(project):
    return reverse("project", args=[project.workspace.slug, project.slug])


def test_the_month_counts_charges_since_its_first_day_and_estimates_still_open(team):
    workspace, owner, *_ = team
    with mock.patch("django.utils.timezone.now", return_value=month_start() - timedelta(hours=1)):
        audit_record(workspace=workspace, verb="job.completed", actual_cost=500)
    audit_record(workspace=workspace, verb="brand_style.created", actual_cost=40)
    job_a = owner  # any model with a pk serves as the target of an event
    audit_record(workspace=workspace, verb="job.submitted", target=job_a, estimated_cost=80)
    set_budget(workspace, 1000)

    status = budget_status(workspace=workspace)

    assert (status.charged, status.pending, status.remaining) == (40, 80, 880)
    audit_record(workspace=workspace, verb="job.completed", target=job_a, actual_cost=80)
    status = budget_status(workspace=workspace)
    assert (status.charged, status.pending, status.remaining) == (120, 0, 880)


def test_a_job_over_the_budget_is_refused_on_the_form_and_nothing_is_queued(
    team, logged_in, django_capture_on_commit_callbacks
):
    workspace, _, designer, project = team
    set_budget(workspace, 100)
    audit_record(workspace=workspace, verb="job.completed", actual_cost=40)

    with django_capture_on_commit_callbacks() as callbacks:
        response = logged_in(designer).post(project_url(project), GENERATE, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert response.status_code == 200
    assert "This would cost 80 API units" in body and "60 of its 100-unit monthly budget" in body
    assert not Job.objects.exists() and callbacks == []
    assert not AuditEvent.objects.filter(verb="job.submitted").exists()


def test_jobs_still_running_count_against_the_budget(team, logged_in):
    workspace, _, designer, project = team
    set_budget(workspace, 100)
    client = logged_in(designer)

    client.post(project_url(project), GENERATE)  # 80 units, not charged yet
    second = client.post(project_url(project), GENERATE)

    assert Job.objects.count() == 1
    assert "20 of its 100-unit monthly budget left" in second.content.decode()


def test_without_a_budget_nothing_is_capped(team, logged_in):
    workspace, _, designer, project = team
    audit_record(workspace=workspace, verb="job.completed", actual_cost=10**6)
    logged_in(designer).post(project_url(project), GENERATE)
    assert Job.objects.count() == 1


def test_a_style_over_the_budget_is_refused_before_the_api_is_paid(team, member, logged_in):
    workspace, *_ = team
    manager, _ = member(Role.BRAND_MANAGER, workspace=workspace)
    set_budget(workspace, 30)
    reference = io.BytesIO(png(256, 256))
    reference.name = "ref.png"

    response = logged_in(manager).post(
        reverse("brand_style_create", args=[workspace.slug]),
        {"name": "Acme", "base_style": "digital_illustration", "references": [reference]},
    )

    assert "This would cost 40 API units" in response.content.decode()
    assert not BrandStyle.objects.exists()


def test_owners_set_the_budget_and_the_trail_says_so(team, logged_in):
    workspace, owner, *_ = team
    url = reverse("workspace_settings", args=[workspace.slug])
    client = logged_in(owner)

    client.post(url, {"action": "budget", "monthly_budget": "5000"})

    workspace.refresh_from_db()
    assert workspace.monthly_budget == 5000
    event = AuditEvent.objects.get(verb="workspace.budget_set")
    assert event.actor == owner and event.data == {"from": None, "to": 5000}
    assert "5,000-unit budget" in client.get(url).content.decode()
    client.post(url, {"action": "budget", "monthly_budget": ""})
    workspace.refresh_from_db()
    assert workspace.monthly_budget is None


@pytest.mark.parametrize("value", ["0", "-5", "lots"])
def test_a_budget_that_is_not_a_positive_number_is_an_error_on_the_field(team, logged_in, value):
    workspace, owner, *_ = team
    response = logged_in(owner).post(
        reverse("workspace_settings", args=[workspace.slug]),
        {"action": "budget", "monthly_budget": value},
    )
    assert response.status_code == 200
    assert response.context["budget_form"].errors["monthly_budget"]
    workspace.refresh_from_db()
    assert workspace.monthly_budget is None


def test_only_owners_change_the_budget(team, logged_in):
    workspace, _, designer, _ = team
    response = logged_in(designer).post(
        reverse("workspace_settings", args=[workspace.slug]),
        {"action": "budget", "monthly_budget": "1"},
    )
    assert response.status_code == 403
    workspace.refresh_from_db()
    assert workspace.monthly_budget is None


def test_budget_time_is_utc_months(team):
    start = month_start(timezone.now())
    assert start.day == 1 and start.hour == 0 and start.utcoffset() == timedelta(0)

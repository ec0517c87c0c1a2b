"""A workspace's monthly budget: read from the trail, enforced before anything is spent."""

import io
from datetime import timedelta
from unittest import mock

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from recraft_studio.audit.ledger import (
    budget_status,
    ledger_charge,
    ledger_commit,
    ledger_rebuild,
    ledger_verify,
    month_start,
)
from recraft_studio.audit.models import AuditEvent
from recraft_studio.audit.services import audit_record
from recraft_studio.brand.models import BrandStyle
from recraft_studio.jobs.models import Job
from recraft_studio.workspaces.models import Role
from tests.audit.helpers import charge
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
    workspace, owner, _, project = team
    with mock.patch("django.utils.timezone.now", return_value=month_start() - timedelta(hours=1)):
        charge(workspace, 500)  # last month's
    charge(workspace, 40, verb="brand_style.created")
    with transaction.atomic():
        ledger_commit(workspace_id=workspace.pk, project_id=project.pk, units=80)
    set_budget(workspace, 1000)

    status = budget_status(workspace=workspace)

    assert (status.charged, status.pending, status.remaining) == (40, 80, 880)
    event = charge(workspace, 80, project=project)
    ledger_charge(event=event, user_id=None, operation="generate", released=80, calls=0)
    status = budget_status(workspace=workspace)
    assert (status.charged, status.pending, status.remaining) == (120, 0, 880)
    assert ledger_verify(workspace=workspace) == []


def test_the_ledger_agrees_with_the_trail_it_is_checked_against(team):
    workspace, _, _, project = team
    charge(workspace, 80, project=project)
    charge(workspace, 40)
    assert ledger_verify(workspace=workspace) == []
    # A charge on the trail that the ledger missed is found, for the workspace and project.
    audit_record(workspace=workspace, project=project, verb="job.charged", actual_cost=7)
    differences = ledger_verify(workspace=workspace)
    assert {(d.project_id, d.ledger[0], d.trail[0]) for d in differences} == {
        (None, 120, 127),
        (project.pk, 80, 87),
    }
    ledger_rebuild(workspace=workspace)
    assert ledger_verify(workspace=workspace) == []


def test_a_projects_own_budget_is_checked_beside_the_workspaces(team, logged_in):
    workspace, _, designer, project = team
    project.monthly_budget = 100
    project.save(update_fields=["monthly_budget"])
    charge(workspace, 60, project=project)

    response = logged_in(designer).post(project_url(project), GENERATE)  # 80 more

    assert "the project “" in response.content.decode() and "40 of its 100-unit" in (
        response.content.decode()
    )
    assert not Job.objects.exists()


def test_a_job_over_the_budget_is_refused_on_the_form_and_nothing_is_queued(
    team, logged_in, django_capture_on_commit_callbacks
):
    workspace, _, designer, project = team
    set_budget(workspace, 100)
    charge(workspace, 40)

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
    charge(workspace, 10**6)
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


def test_the_budget_field_lets_a_browser_submit_round_and_odd_amounts():
    """A number input refuses values off its step counted from its min: with min 1
    and step 100 a browser would refuse 5,000 before the form ever saw it."""
    from recraft_studio.workspaces.forms import BudgetForm

    widget = BudgetForm().fields["monthly_budget"].widget
    attrs = widget.get_context("monthly_budget", None, {})["widget"]["attrs"]
    low, step = int(attrs["min"]), float(attrs.get("step", 1))
    assert all((value - low) % step == 0 for value in (5000, 1000, 1234))


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

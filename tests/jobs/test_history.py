"""The job history: every job of a workspace, a project or a person, with its outputs."""

import pytest
from django.urls import reverse

from recraft_studio.jobs.models import Job
from recraft_studio.workspaces.models import Role
from tests.assets.conftest import finished_job, store_asset
from tests.factories import ProjectFactory


@pytest.fixture
def history(member, logged_in):
    dana, membership = member(Role.DESIGNER, username="dana")
    workspace = membership.workspace
    eli, _ = member(Role.DESIGNER, workspace=workspace, username="eli")
    spring = ProjectFactory(workspace=workspace, name="Spring")
    autumn = ProjectFactory(workspace=workspace, name="Autumn")
    jobs = {
        "dana_spring": finished_job(project=spring, user=dana, params={"prompt": "tulips"}),
        "eli_autumn": finished_job(project=autumn, user=eli, params={"prompt": "maple leaves"}),
        "dana_failed": finished_job(project=autumn, user=dana, params={"prompt": "acorn"}),
    }
    Job.objects.filter(pk=jobs["dana_failed"].pk).update(status="failed")
    output = store_asset(project=spring, user=dana, job=jobs["dana_spring"], operation="generate")
    return logged_in(dana), workspace, spring, jobs, output, dana


def listed(response):
    return {str(job.pk) for job in response.context["page"].items}


def test_the_workspace_history_lists_every_job_with_its_outputs(history):
    client, workspace, _, jobs, output, _ = history
    response = client.get(reverse("workspace_jobs", args=[workspace.slug]))
    assert listed(response) == {str(j.pk) for j in jobs.values()}
    body = response.content.decode()
    assert reverse("asset", args=[output.pk]) in body  # a job leads to its images


def test_filters_narrow_it_by_person_project_status_and_prompt(history):
    client, workspace, spring, jobs, _, dana = history
    url = reverse("workspace_jobs", args=[workspace.slug])
    assert listed(client.get(url, {"author": dana.pk})) == {
        str(jobs["dana_spring"].pk),
        str(jobs["dana_failed"].pk),
    }
    assert listed(client.get(url, {"project": spring.pk})) == {str(jobs["dana_spring"].pk)}
    assert listed(client.get(url, {"status": "failed"})) == {str(jobs["dana_failed"].pk)}
    assert listed(client.get(url, {"q": "MAPLE"})) == {str(jobs["eli_autumn"].pk)}


def test_a_projects_history_holds_only_its_jobs(history):
    client, workspace, spring, jobs, _, _ = history
    response = client.get(reverse("project_jobs", args=[workspace.slug, spring.slug]))
    assert listed(response) == {str(jobs["dana_spring"].pk)}


def test_older_jobs_come_page_by_page(history):
    client, workspace, spring, _, _, dana = history
    for i in range(30):
        finished_job(project=spring, user=dana, params={"prompt": f"extra {i}"})
    url = reverse("workspace_jobs", args=[workspace.slug])
    first = client.get(url)
    assert len(first.context["page"].items) == 25 and first.context["page"].next_cursor
    second = client.get(url, {"cursor": first.context["page"].next_cursor})
    assert len(second.context["page"].items) == 8
    assert not listed(first) & listed(second)


def test_another_workspaces_history_is_not_found(history, member):
    client, _, _, _, _, _ = history
    _, other = member(Role.OWNER)
    assert client.get(reverse("workspace_jobs", args=[other.workspace.slug])).status_code == 404

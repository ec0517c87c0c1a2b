"""Withdrawing a queued job, and forgetting refused uploads once their offer lapses."""

from datetime import timedelta

import pytest
from django.urls import reverse

from recraft_studio.assets import files
from recraft_studio.assets import services as asset_services
from recraft_studio.audit.models import AuditEvent
from recraft_studio.audit.selectors import budget_status
from recraft_studio.jobs import pipeline
from recraft_studio.jobs.models import ApiCall, Job
from recraft_studio.workspaces.models import Role
from tests.factories import ProjectFactory
from tests.images import png

FORM = {
    "prompt": "a red panda",
    "model": "recraftv3",
    "style": "digital_illustration",
    "size": "1024x1024",
    "n": "1",
}


@pytest.fixture
def queued(member, logged_in):
    user, membership = member(Role.DESIGNER)
    project = ProjectFactory(workspace=membership.workspace)
    client = logged_in(user)
    client.post(reverse("project", args=[project.workspace.slug, project.slug]), FORM)
    return client, user, membership, Job.objects.get()


def test_the_author_cancels_a_queued_job_and_its_estimate_stops_counting(queued):
    client, user, membership, job = queued
    assert budget_status(workspace=membership.workspace).pending == 40

    response = client.post(reverse("job_cancel", args=[job.pk]), HTTP_HX_REQUEST="true")

    job.refresh_from_db()
    assert job.status == "canceled" and job.is_finished
    assert f"Canceled by {user.username}" in job.error
    assert 'data-status="canceled"' in response.content.decode()
    assert AuditEvent.objects.filter(verb="job.canceled", actor=user).count() == 1
    assert budget_status(workspace=membership.workspace).pending == 0
    pipeline.job_run(job_id=job.pk)  # a worker that gets to it later leaves it alone
    job.refresh_from_db()
    assert job.status == "canceled" and job.attempts == 0


def test_a_job_whose_call_has_left_is_not_canceled(queued):
    client, _, _, job = queued
    Job.objects.filter(pk=job.pk).update(status="running")
    ApiCall.objects.create(job=job, account="acct")
    client.post(reverse("job_cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "running"
    assert not AuditEvent.objects.filter(verb="job.canceled").exists()


def test_another_designer_cannot_cancel_it_but_an_owner_can(queued, member, logged_in):
    _, _, membership, job = queued
    other, _ = member(Role.DESIGNER, workspace=membership.workspace)
    assert logged_in(other).post(reverse("job_cancel", args=[job.pk])).status_code == 403
    owner, _ = member(Role.OWNER, workspace=membership.workspace)
    logged_in(owner).post(reverse("job_cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "canceled"


def test_outsiders_cannot_see_or_cancel_the_job(queued, member, logged_in):
    _, _, _, job = queued
    outsider, _ = member(Role.OWNER)
    assert logged_in(outsider).post(reverse("job_cancel", args=[job.pk])).status_code == 404
    job.refresh_from_db()
    assert job.status == "queued"


def test_refused_uploads_are_forgotten_once_their_offer_lapses(db):
    key = files.store_pending(png(300, 300, fmt="GIF"))
    assert key in files.pending_keys()

    asset_services.pending_uploads_sweep()  # the offer holds for an hour
    assert key in files.pending_keys()
    assert asset_services.pending_uploads_sweep(older_than=timedelta(seconds=-1)) >= 1
    assert key not in files.pending_keys()

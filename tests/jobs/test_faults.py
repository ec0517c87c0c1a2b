"""When the API fails, refuses, or drops a connection: nothing paid is lost, nothing is
paid twice unrecorded, and the card says what is going on. On real services: the
suite's scheduler and worker processes, the sandbox over HTTP, Redis, PostgreSQL, S3.
"""

import html
import time

import pytest
from django.conf import settings
from django.urls import reverse

from recraft_studio.assets.models import Asset
from recraft_studio.audit.ledger import budget_status, ledger_verify
from recraft_studio.audit.models import AuditEvent
from recraft_studio.jobs import reconcile
from recraft_studio.jobs.accounts import credentials_for, redis_client
from recraft_studio.jobs.checkpoints import AT, HOLD
from recraft_studio.jobs.models import ApiCall, CallState, Job
from recraft_studio.workspaces.models import Role
from tests.factories import ProjectFactory
from tests.services import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

FORM = {
    "prompt": "a lighthouse at dusk",
    "model": "recraftv3",
    "style": "digital_illustration",
    "size": "1024x1024",
    "n": "1",
}


@pytest.fixture
def studio(celery_worker, fresh_sandbox, member, logged_in):
    user, membership = member(Role.DESIGNER)
    project = ProjectFactory(workspace=membership.workspace)
    return logged_in(user), project, fresh_sandbox


def card(client, job) -> str:
    """The job's card as its page polls it, as text (entities decoded)."""
    return html.unescape(client.get(reverse("job_status", args=[job.pk])).content.decode())


def submit(client, project, **changes):
    url = reverse("project", args=[project.workspace.slug, project.slug])
    client.post(url, {**FORM, **changes}, HTTP_HX_REQUEST="true")
    return Job.objects.filter(project=project).latest("created_at")


def ended(job, timeout=90):
    return wait_for(
        lambda: (j := Job.objects.get(pk=job.pk)).is_finished and j,
        timeout=timeout,
        what=f"job {job.pk} to end",
    )


def generations(sandbox):
    return sandbox.requests(path="generations")


def test_a_dropped_connection_is_recorded_as_a_possible_charge_and_sent_once_more(studio):
    client, project, sandbox = studio
    reconcile.balance_check(credentials_for(project.workspace))
    sandbox.set_faults("drop", count=1, path="generations")

    job = ended(submit(client, project))

    assert job.status == "done", job.error
    calls = list(ApiCall.objects.filter(job=job).order_by("sent_at"))
    assert [(c.state, c.resend) for c in calls] == [
        (CallState.INTERRUPTED, False),
        (CallState.ANSWERED, True),
    ]
    assert calls[0].possible_units == 40 and calls[1].credits == 40
    assert len(generations(sandbox)) == 2
    # The trail and the ledger both show the possible second charge.
    interrupted = AuditEvent.objects.get(verb="job.call_interrupted", target_id=str(job.pk))
    assert interrupted.data["possible_units"] == 40
    status = budget_status(workspace=project.workspace)
    assert (status.charged, status.possible, status.pending) == (40, 40, 0)
    assert ledger_verify(workspace=project.workspace) == []
    # The balance says the dropped call was not charged: the reconciliation agrees.
    reconcile.balance_check(credentials_for(project.workspace))
    account = ApiCall.objects.filter(job=job).first().account
    (period,) = reconcile.reconciliation(account=account, limit=1)
    assert (period.balance_change, period.recorded, period.possible) == (40, 40, 40)
    assert period.verdict == "agrees: the interrupted calls were not charged"


def test_a_server_error_is_retried_and_the_card_says_it_is_retrying(studio):
    client, project, sandbox = studio
    sandbox.set_faults("503", count=1, path="generations")

    job = submit(client, project)
    shown = wait_for(
        lambda: (
            "Retrying after an error of the Recraft API (attempt 2 of 6)"
            in (body := card(client, job))
            and body
        ),
        what="the card to say it retries",
    )
    assert sandbox.url not in shown
    job = ended(job)

    assert job.status == "done", job.error
    (failed, answered) = ApiCall.objects.filter(job=job).order_by("sent_at")
    assert failed.state == CallState.FAILED and failed.http_status == 503
    assert answered.state == CallState.ANSWERED
    assert budget_status(workspace=project.workspace).possible == 0


def test_an_output_whose_url_expired_fails_the_job_saying_so(studio):
    client, project, sandbox = studio
    sandbox.set_url_ttl(1)
    redis = redis_client()
    redis.set(HOLD.format("after_answer"), 1, ex=60)
    try:
        job = submit(client, project)
        wait_for(lambda: redis.exists(AT.format("after_answer")), what="the run to stop")
        time.sleep(2.5)  # the URL lives 1 s
    finally:
        redis.delete(HOLD.format("after_answer"))
    job = ended(job)

    assert job.status == "failed"
    assert "no longer had 1 of the 1 images" in job.error and "about 24 hours" in job.error
    assert "http" not in job.error  # no URL in what people read
    assert job.actual_cost == 40  # paid for, and said so on the trail
    assert AuditEvent.objects.get(verb="job.charged", target_id=str(job.pk)).actual_cost == 40


def test_a_failed_job_that_was_paid_for_is_retried_without_paying_again(studio):
    client, project, sandbox = studio
    job = ended(submit(client, project))
    assert job.status == "done"
    # As a job left when storing gave up: its answer kept, its images not stored.
    Asset.objects.filter(job=job).delete()
    Job.objects.filter(pk=job.pk).update(status="failed", error="Storage was away.")
    sent = len(generations(sandbox))

    page = client.get(reverse("project", args=[project.workspace.slug, project.slug]))
    assert "Retry storing (already paid for)" in page.content.decode()
    client.post(reverse("job_retry", args=[job.pk]), HTTP_HX_REQUEST="true")
    job = ended(job)

    assert job.status == "done" and job.error == ""
    assert Asset.objects.filter(job=job).count() == 1
    assert len(generations(sandbox)) == sent  # the API was not called again
    assert AuditEvent.objects.filter(verb="job.charged", target_id=str(job.pk)).count() == 1
    assert AuditEvent.objects.filter(verb="job.retried", target_id=str(job.pk)).count() == 1


def test_a_job_refused_for_lack_of_units_is_sent_again_when_retried(studio):
    client, project, sandbox = studio
    sandbox.set_credits(settings.SANDBOX_TOKEN, 10)
    job = ended(submit(client, project))
    assert job.status == "failed" and "run out of API units" in job.error
    assert budget_status(workspace=project.workspace).pending == 0
    sandbox.set_credits(settings.SANDBOX_TOKEN, 1000)

    client.post(reverse("job_retry", args=[job.pk]), HTTP_HX_REQUEST="true")
    job = ended(job)

    assert job.status == "done", job.error
    assert len(generations(sandbox)) == 2 and sandbox.credits() == 960
    status = budget_status(workspace=project.workspace)
    assert (status.charged, status.pending) == (40, 0)

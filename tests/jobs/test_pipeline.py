"""From a prompt to stored images, end to end, on real services.

The form is posted through Django's test client; the job runs in a separate Celery
worker process, which calls the sandbox over HTTP and writes to the S3 server.
"""

import hashlib

import pytest
from django.conf import settings
from django.urls import reverse

from recraft_studio.assets.models import Asset
from recraft_studio.audit.models import AuditEvent
from recraft_studio.jobs import pipeline
from recraft_studio.jobs.models import Job
from recraft_studio.workspaces.models import Role
from tests.factories import ProjectFactory
from tests.services import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

FORM = {
    "prompt": "two race cars on a track",
    "model": "recraftv3",
    "style": "digital_illustration",
    "size": "1365x1024",
    "n": "2",
}


@pytest.fixture
def studio(celery_worker, fresh_sandbox, member, logged_in):
    user, membership = member(Role.DESIGNER)
    project = ProjectFactory(workspace=membership.workspace)
    return logged_in(user), project, fresh_sandbox


def submit(client, project, **changes):
    url = reverse("project", args=[project.workspace.slug, project.slug])
    response = client.post(url, {**FORM, **changes}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return Job.objects.filter(project=project).latest("created_at")


def finished(job, timeout=60):
    return wait_for(
        lambda: (j := Job.objects.get(pk=job.pk)).is_finished and j,
        timeout=timeout,
        what=f"job {job.pk} to finish",
    )


def test_a_prompt_becomes_images_stored_in_the_bucket_and_served_by_the_app(studio, s3):
    client, project, sandbox = studio
    job = finished(submit(client, project))

    assert job.status == "done", job.error
    assert job.actual_cost == 80 and job.response["credits"] == 80
    assets = list(Asset.objects.filter(job=job).order_by("output_index"))
    assert [a.output_index for a in assets] == [0, 1]
    for asset in assets:
        assert (asset.width, asset.height) == (1365, 1024)
        assert asset.content_type == "image/png"
        stored = s3.get_object(Bucket=settings.S3_BUCKET, Key=asset.file_key)["Body"].read()
        assert hashlib.sha256(stored).hexdigest() == asset.sha256
        assert asset.file_key == f"originals/{asset.sha256[:2]}/{asset.sha256}.png"
        s3.head_object(Bucket=settings.S3_BUCKET, Key=asset.thumb_key)

        served = client.get(reverse("asset_file", args=[asset.id]))
        assert served.status_code == 200 and served["Content-Type"] == "image/png"
        assert b"".join(served.streaming_content) == stored
        api_url = job.response["images"][asset.output_index]["url"]
        assert api_url.startswith(sandbox.url) and api_url not in served.get("Location", "")

    gallery = client.get(reverse("project", args=[project.workspace.slug, project.slug]))
    html = gallery.content.decode()
    assert all(reverse("asset_thumb", args=[a.id]) in html for a in assets)
    assert sandbox.url not in html  # nothing in the page points at the API's URLs

    received = [r for r in sandbox.requests() if r["path"].endswith("/images/generations")]
    assert len(received) == 1 and received[0]["params"]["prompt"] == FORM["prompt"]
    events = {e.verb: e for e in AuditEvent.objects.filter(target_id=str(job.id))}
    assert events["job.submitted"].estimated_cost == 80
    assert events["job.charged"].actual_cost == 80
    assert events["job.completed"].data["charged"] == 80


def test_running_a_finished_job_again_calls_nothing_and_stores_nothing(studio):
    client, project, sandbox = studio
    job = finished(submit(client, project, n="1"))
    assert job.status == "done"
    calls = len(sandbox.requests())

    pipeline.job_run(job_id=job.pk)

    assert len(sandbox.requests()) == calls
    assert Asset.objects.filter(job=job).count() == 1


def test_an_answer_already_recorded_is_stored_without_calling_the_api_again(studio):
    client, project, sandbox = studio
    job = finished(submit(client, project, n="1"))
    Asset.objects.filter(job=job).delete()
    calls = [r for r in sandbox.requests() if "generations" in r["path"]]

    # As a worker that died after recording the answer leaves it: the scheduler hands
    # it out again, to store, and the API is not asked twice.
    Job.objects.filter(pk=job.pk).update(status="generated", finished_at=None)

    job = finished(job)
    assert job.status == "done"
    assert Asset.objects.filter(job=job).count() == 1
    assert [r for r in sandbox.requests() if "generations" in r["path"]] == calls


def test_a_server_error_is_retried_and_the_job_still_completes(studio):
    client, project, sandbox = studio
    sandbox.set_faults("503", count=1, path="generations")
    job = finished(submit(client, project, n="1"))
    assert job.status == "done", job.error
    assert job.attempts >= 2


def test_running_out_of_credits_fails_the_job_with_the_apis_reason(studio):
    client, project, sandbox = studio
    sandbox.set_credits(settings.SANDBOX_TOKEN, 10)
    job = finished(submit(client, project))
    assert job.status == "failed"
    assert job.error.startswith("The Recraft account has run out of API units")
    assert not Asset.objects.filter(job=job).exists()
    failed = AuditEvent.objects.get(verb="job.failed", target_id=str(job.id))
    assert "run out of API units" in failed.data["reason"]


def test_the_recorded_seed_makes_the_same_image_again_stored_once(studio, s3):
    client, project, _ = studio
    first = finished(submit(client, project, n="1"))
    seed = first.params["random_seed"]  # drawn by the studio, since the form left it empty
    again = finished(submit(client, project, n="1", random_seed=str(seed)))
    other = finished(submit(client, project, n="1"))

    a, b, c = (Asset.objects.get(job=j) for j in (first, again, other))
    assert a.sha256 == b.sha256 and a.file_key == b.file_key
    assert c.sha256 != a.sha256
    listed = s3.list_objects_v2(Bucket=settings.S3_BUCKET, Prefix=f"originals/{a.sha256[:2]}/")
    assert [o["Key"] for o in listed["Contents"]].count(a.file_key) == 1


def test_words_typed_on_the_form_reach_the_api_as_a_text_layout(studio):
    client, project, sandbox = studio
    job = finished(submit(client, project, n="1", text_layout="SALE 10 40 80 20"))
    assert job.status == "done", job.error
    sent = sandbox.requests(path="generations")[-1]["params"]["text_layout"]
    assert sent == [{"text": "SALE", "bbox": [[0.1, 0.4], [0.9, 0.4], [0.9, 0.6], [0.1, 0.6]]}]

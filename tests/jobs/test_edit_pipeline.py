"""A tool run end to end on real services: upload, form, worker, sandbox, bucket, lineage."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from recraft_studio.assets import files
from recraft_studio.assets.models import Asset
from recraft_studio.jobs.models import Job
from recraft_studio.recraft.catalog import Op
from recraft_studio.workspaces.models import Role
from tests.factories import ProjectFactory
from tests.images import mask, png
from tests.services import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def source(celery_worker, fresh_sandbox, member, logged_in):
    user, membership = member(Role.DESIGNER)
    project = ProjectFactory(workspace=membership.workspace)
    client = logged_in(user)
    url = reverse("asset_upload", args=[project.workspace.slug, project.slug])
    client.post(url, {"file": SimpleUploadedFile("photo.png", png(768, 512))})
    return client, Asset.objects.get(project=project), fresh_sandbox


def run(client, asset, op, data):
    response = client.post(
        reverse("asset_edit", args=[asset.pk, str(op)]), data, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    job = Job.objects.filter(source_asset=asset, operation=op).first()
    assert job is not None, response.content.decode()  # the form's errors, if any
    return wait_for(
        lambda: (j := Job.objects.get(pk=job.pk)).is_finished and j, what=f"the {op} job to finish"
    )


def test_inpainting_an_upload_stores_a_child_that_remembers_everything(source):
    client, upload, sandbox = source
    job = run(
        client,
        upload,
        Op.INPAINT,
        {
            "prompt": "a paper boat",
            "style": "digital_illustration",
            "n": "2",
            "mask": SimpleUploadedFile("mask.png", mask(768, 512)),
        },
    )
    assert job.status == "done", job.error
    children = list(Asset.objects.filter(job=job).order_by("output_index"))
    assert len(children) == 2
    for child in children:
        assert child.parent == upload and child.operation == Op.INPAINT
        assert child.prompt == "a paper boat" and child.model == "recraftv3"
        assert child.style == "digital_illustration" and child.created_by == upload.created_by
        assert child.cost == job.actual_cost // 2 and job.actual_cost == 80
    received = [r for r in sandbox.requests() if r["path"].endswith("/images/inpaint")]
    assert len(received) == 1
    assert {f["field"] for f in received[0]["files"]} == {"image", "mask"}
    page = client.get(reverse("asset", args=[children[0].pk])).content.decode()
    assert 'data-testid="parent-link"' in page and str(upload.pk) in page


def test_vectorizing_stores_an_svg_served_safely(source):
    client, upload, _ = source
    job = run(client, upload, Op.VECTORIZE, {})
    assert job.status == "done", job.error
    svg = Asset.objects.get(job=job)
    assert svg.content_type == "image/svg+xml" and svg.parent == upload and svg.cost == 10
    assert files.read(svg.file_key).lstrip().startswith((b"<svg", b"<?xml"))
    served = client.get(reverse("asset_file", args=[svg.pk]), {"download": "1"})
    assert "sandbox" in served["Content-Security-Policy"]
    assert (
        served["Content-Disposition"].startswith("attachment;")
        and ".svg" in served["Content-Disposition"]
    )


def test_variations_come_back_in_the_format_asked_with_their_seed(source):
    client, upload, sandbox = source
    job = run(
        client,
        upload,
        Op.VARIATE,
        {"size": "1024x1024", "n": "2", "random_seed": "7", "image_format": "webp"},
    )
    assert job.status == "done", job.error
    outputs = Asset.objects.filter(job=job)
    assert outputs.count() == 2
    assert {(a.content_type, a.width, a.height) for a in outputs} == {("image/webp", 1024, 1024)}
    received = [r for r in sandbox.requests() if r["path"].endswith("/images/variateImage")]
    assert received[0]["params"]["random_seed"] == 7

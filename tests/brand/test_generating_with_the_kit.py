"""A designer generates with a brand style and a palette: the API gets the id and colours.

The job runs in the Celery worker process, which calls the sandbox over HTTP.
"""

import pytest
from django.urls import reverse

from recraft_studio.assets.models import Asset
from recraft_studio.brand import services
from recraft_studio.brand.models import BrandStyle
from recraft_studio.jobs.models import Job
from recraft_studio.workspaces.models import Role
from tests.brand.factories import PaletteFactory
from tests.factories import ProjectFactory
from tests.images import png
from tests.services import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_job_with_a_brand_style_and_palette_sends_the_style_id_and_colours(
    celery_worker, fresh_sandbox, member, logged_in
):
    _, manager = member(Role.BRAND_MANAGER)
    workspace = manager.workspace
    style = services.brand_style_create(
        membership=manager, name="House", base_style="digital_illustration", references=[png()]
    )
    style = wait_for(
        lambda: (made := BrandStyle.objects.get(pk=style.pk)).style_id and made,
        what="the API to make the style",
    )
    palette = PaletteFactory(
        workspace=workspace, colors=[[200, 30, 40], [20, 40, 200]], background=[250, 250, 240]
    )
    designer, _ = member(Role.DESIGNER, workspace=workspace)
    project = ProjectFactory(workspace=workspace)

    response = logged_in(designer).post(
        reverse("project", args=[workspace.slug, project.slug]),
        {
            "prompt": "a lighthouse at dusk",
            "model": "recraftv3",
            "style": style.choice_value,
            "palette": str(palette.pk),
            "size": "1024x1024",
            "n": "1",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    job = Job.objects.get(project=project)
    job = wait_for(lambda: (j := Job.objects.get(pk=job.pk)).is_finished and j, what="the job")

    assert job.status == "done", job.error
    sent = fresh_sandbox.requests(path="/v1/images/generations")[-1]["params"]
    assert sent["style_id"] == str(style.style_id) and "style" not in sent
    assert sent["controls"]["colors"] == [{"rgb": [200, 30, 40]}, {"rgb": [20, 40, 200]}]
    assert sent["controls"]["background_color"] == {"rgb": [250, 250, 240]}
    asset = Asset.objects.get(job=job)
    assert asset.brand_style == style
    # The style's page shows what was made with it.
    page = logged_in(designer).get(reverse("brand_style", args=[workspace.slug, style.pk]))
    assert reverse("asset_thumb", args=[asset.id]) in page.content.decode()

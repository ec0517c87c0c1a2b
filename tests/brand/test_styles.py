"""Brand styles: created on the API (the sandbox, over HTTP), kept with their references.

Refused input never reaches the API; creating a style is a job like every other call
(the page follows it), and the API's refusals end that job with a reason the style's
page shows; renaming, archiving and deleting behave as a brand manager expects.
"""

import io

import pytest
from django.conf import settings
from django.urls import reverse

from recraft_studio.audit.models import AuditEvent
from recraft_studio.brand import services
from recraft_studio.brand.models import BrandStyle
from recraft_studio.recraft.client import RecraftClient
from recraft_studio.recraft.errors import RecraftBadRequest, RecraftNotFound
from recraft_studio.workspaces.models import Role
from tests.brand.factories import BrandStyleFactory, stored_asset
from tests.factories import ProjectFactory
from tests.images import noise_png, png
from tests.jobs.helpers import run_here
from tests.services import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def upload(data: bytes, name="ref.png"):
    f = io.BytesIO(data)
    f.name = name
    return f


def gif() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 64), (1, 2, 3)).save(out, "GIF")
    return out.getvalue()


@pytest.fixture
def manager(member, logged_in, celery_worker):
    user, membership = member(Role.BRAND_MANAGER)
    return logged_in(user), user, membership.workspace


def creation(style):
    """The style's creation job, once it has ended."""
    return wait_for(
        lambda: (job := style.jobs.get()).is_finished and job,
        timeout=60,
        what=f"the creation of style {style.pk} to end",
    )


def create_url(workspace):
    return reverse("brand_style_create", args=[workspace.slug])


def style_requests(sandbox):
    return [r for r in sandbox.requests() if r["path"].endswith("/styles")]


def api_client(sandbox):
    return RecraftClient(base_url=sandbox.base_url, token=settings.SANDBOX_TOKEN)


def test_two_references_become_a_style_on_the_api_kept_with_its_references_and_cost(
    manager, fresh_sandbox, s3
):
    client, user, workspace = manager
    refs = [png(color=(200, 40, 40)), png(color=(40, 40, 200), fmt="WEBP")]
    balance = fresh_sandbox.credits()
    response = client.post(
        create_url(workspace),
        {
            "name": "Bold poster",
            "base_style": "digital_illustration",
            "references": [upload(refs[0]), upload(refs[1], "b.webp")],
        },
    )

    style = BrandStyle.objects.get(workspace=workspace)
    assert response.status_code == 302
    assert response["Location"] == reverse("brand_style", args=[workspace.slug, style.pk])
    assert style.name == "Bold poster" and style.base_style == "digital_illustration"
    assert style.created_by == user
    assert creation(style).status == "done"
    style.refresh_from_db()
    # The style exists on the API under the id we kept, and the sandbox saw two files.
    with api_client(fresh_sandbox) as api:
        assert api.get_style(str(style.style_id))["style"] == "digital_illustration"
    sent = style_requests(fresh_sandbox)
    assert len(sent) == 1 and len(sent[0]["files"]) == 2
    # What the API charged (its `credits`) is what the style records.
    assert style.cost == balance - fresh_sandbox.credits() == 40
    # The references are in our bucket under content-addressed keys, in upload order.
    references = list(style.references.all())
    assert [r.content_type for r in references] == ["image/png", "image/webp"]
    for ref, data in zip(references, refs, strict=True):
        assert (
            ref.file_key == f"styles/{ref.sha256[:2]}/{ref.sha256}.{ref.file_key.rsplit('.', 1)[1]}"
        )
        stored = s3.get_object(Bucket=settings.S3_BUCKET, Key=ref.file_key)["Body"].read()
        assert stored == data and ref.size_bytes == len(data)
    # The API's charge is on the audit trail, with who created it.
    charged = AuditEvent.objects.get(verb="job.charged")
    assert charged.actor == user and charged.actual_cost == style.cost
    event = AuditEvent.objects.get(verb="brand_style.created")
    assert event.actor == user and event.data["charged"] == style.cost
    assert event.data["style_id"] == str(style.style_id) and event.data["references"] == 2
    # The page shows the strip of references, served by the studio.
    page = client.get(response["Location"]).content.decode()
    for ref in references:
        url = reverse("brand_style_reference", args=[workspace.slug, style.pk, ref.pk])
        assert url in page
        served = client.get(url)
        assert served.status_code == 200 and served["Content-Type"] == ref.content_type
    assert "40 units" in page


@pytest.mark.parametrize(
    "files, message",
    [
        ([], "Upload at least one reference image."),
        ([png()] * 6, "6 images were chosen; a style takes at most 5."),
        ([noise_png(1200, 1200), noise_png(700, 700)], "together they may be at most 5 MB"),
        ([png(), b"just some text"], "not an image the API can read"),
        ([gif()], "Reference image 1: GIF files are not accepted"),
    ],
)
def test_references_the_api_would_refuse_are_refused_before_anything_is_sent_or_stored(
    manager, fresh_sandbox, s3, files, message
):
    client, _, workspace = manager
    response = client.post(
        create_url(workspace),
        {"name": "Nope", "base_style": "icon", "references": [upload(f) for f in files]},
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["references"])
    assert message.split(";")[0] in response.content.decode()
    assert not BrandStyle.objects.exists() and not AuditEvent.objects.exists()
    assert style_requests(fresh_sandbox) == []
    listed = s3.list_objects_v2(Bucket=settings.S3_BUCKET, Prefix="styles/")
    stored = {o["Key"] for o in listed.get("Contents", [])}
    assert not any(k.endswith(".gif") for k in stored)


def test_a_base_style_that_cannot_carry_a_custom_style_is_refused(manager, fresh_sandbox):
    client, _, workspace = manager
    response = client.post(
        create_url(workspace),
        {"name": "Logo", "base_style": "logo_raster", "references": [upload(png())]},
    )
    assert "Select a valid choice" in response.context["form"].errors["base_style"][0]
    assert style_requests(fresh_sandbox) == []


def test_a_name_already_used_is_refused_before_the_api_is_paid(manager, fresh_sandbox):
    client, _, workspace = manager
    BrandStyleFactory(workspace=workspace, name="Poster")
    response = client.post(
        create_url(workspace),
        {"name": "poster", "base_style": "icon", "references": [upload(png())]},
    )
    assert "already has a style named 'poster'" in response.context["form"].errors["name"][0]
    assert style_requests(fresh_sandbox) == []


def test_an_account_without_units_ends_the_creation_with_the_apis_reason_on_the_page(
    manager, fresh_sandbox
):
    client, _, workspace = manager
    fresh_sandbox.set_credits(settings.SANDBOX_TOKEN, 5)
    response = client.post(
        create_url(workspace),
        {"name": "Try", "base_style": "icon", "references": [upload(png())]},
    )
    style = BrandStyle.objects.get(workspace=workspace)
    job = creation(style)
    assert job.status == "failed" and "run out of API units" in job.error
    page = client.get(response["Location"]).content.decode()
    assert "The API did not make this style" in page and "run out of API units" in page
    assert fresh_sandbox.credits() == 5  # nothing charged
    assert not AuditEvent.objects.filter(verb="brand_style.created").exists()


def test_an_api_outage_is_retried_and_the_style_is_made(manager, fresh_sandbox):
    client, _, workspace = manager
    fresh_sandbox.set_faults("503", count=1, path="styles")
    client.post(
        create_url(workspace),
        {"name": "Try", "base_style": "icon", "references": [upload(png())]},
    )
    style = BrandStyle.objects.get(workspace=workspace)
    assert creation(style).status == "done"
    style.refresh_from_db()
    assert style.style_id is not None and style.cost == 40


def test_a_style_being_made_is_not_offered_by_the_forms(manager, fresh_sandbox):
    from recraft_studio.jobs.forms import GenerateForm

    _, user, workspace = manager
    fresh_sandbox.set_faults("stall", count=1, path="styles", seconds=3)
    membership = workspace.memberships.get(user=user)
    style = services.brand_style_create(
        membership=membership, name="Soon", base_style="icon", references=[png()]
    )
    assert style.choice_value not in GenerateForm(workspace=workspace).brand_styles
    creation(style)
    assert style.choice_value in GenerateForm(workspace=workspace).brand_styles


@pytest.mark.django_db
def test_a_token_the_api_does_not_accept_is_reported_on_the_styles_page(
    member, logged_in, fresh_sandbox, settings
):
    # A deployment whose API (the sandbox here) does not know its token; the job runs
    # in this process, with these settings.
    settings.RECRAFT_SANDBOX = False
    settings.RECRAFT_API_BASE = fresh_sandbox.base_url
    settings.RECRAFT_API_TOKEN = "not-a-sandbox-token"
    user, membership = member(Role.BRAND_MANAGER)
    style = services.brand_style_create(
        membership=membership, name="Try", base_style="icon", references=[png()]
    )

    job = run_here(style.jobs.get())

    assert job.status == "failed" and "did not accept this workspace's API token" in job.error
    page = logged_in(user).get(reverse("brand_style", args=[membership.workspace.slug, style.pk]))
    assert "did not accept" in page.content.decode()


def test_an_api_bad_request_names_the_field_it_blames():
    error = services.describe_api_error(
        RecraftBadRequest("style is wrong", status=400, field="style"), doing="creating the style"
    )
    assert error.field == "base_style" and "refused the request: style is wrong" in error.message
    files_error = services.describe_api_error(
        RecraftBadRequest("too big", status=400, field="file2"), doing="creating the style"
    )
    assert files_error.field == "references"


# --- changing and removing -------------------------------------------------------------


@pytest.fixture
def live_style(manager, fresh_sandbox):
    """A style the sandbox really made."""
    _, user, workspace = manager
    membership = workspace.memberships.get(user=user)
    style = services.brand_style_create(
        membership=membership, name="Live", base_style="icon", references=[png()]
    )
    assert creation(style).status == "done"
    style.refresh_from_db()
    return style


def test_renaming_keeps_the_style_id_and_refuses_a_taken_name(manager, live_style):
    client, user, workspace = manager
    BrandStyleFactory(workspace=workspace, name="Taken")
    url = reverse("brand_style_rename", args=[workspace.slug, live_style.pk])

    refused = client.post(url, {"name": "taken"})
    assert refused.status_code == 200
    assert "already has a style named 'taken'" in refused.context["rename_form"].errors["name"][0]
    assert "already has a style named &#x27;taken&#x27;" in refused.content.decode()

    client.post(url, {"name": "Renamed"})
    live_style.refresh_from_db()
    assert live_style.name == "Renamed"
    event = AuditEvent.objects.get(verb="brand_style.renamed")
    assert event.data == {"from": "Live", "to": "Renamed"} and event.actor == user


def test_an_archived_style_leaves_the_forms_stays_with_its_images_and_can_come_back(
    manager, live_style
):
    from recraft_studio.jobs.forms import GenerateForm

    client, _, workspace = manager
    project = ProjectFactory(workspace=workspace)
    asset = stored_asset(project, png(), brand_style=live_style)

    client.post(reverse("brand_style_archive", args=[workspace.slug, live_style.pk]))
    live_style.refresh_from_db()
    assert live_style.is_archived
    assert live_style.choice_value not in GenerateForm(workspace=workspace).brand_styles
    page = client.get(reverse("brand_style", args=[workspace.slug, live_style.pk])).content.decode()
    assert reverse("asset_thumb", args=[asset.id]) in page and "Archived" in page
    kit = client.get(reverse("brand_kit", args=[workspace.slug])).content.decode()
    assert "Archived styles (1)" in kit

    client.post(reverse("brand_style_unarchive", args=[workspace.slug, live_style.pk]))
    live_style.refresh_from_db()
    assert not live_style.is_archived
    assert live_style.choice_value in GenerateForm(workspace=workspace).brand_styles
    verbs = list(
        AuditEvent.objects.filter(verb__startswith="brand_style.").values_list("verb", flat=True)
    )
    assert "brand_style.archived" in verbs and "brand_style.unarchived" in verbs


def test_deleting_a_style_deletes_it_on_the_api_too(manager, live_style, fresh_sandbox):
    client, user, workspace = manager
    response = client.post(reverse("brand_style_delete", args=[workspace.slug, live_style.pk]))
    assert response.status_code == 302
    assert not BrandStyle.objects.exists()
    with api_client(fresh_sandbox) as api, pytest.raises(RecraftNotFound):
        api.get_style(str(live_style.style_id))
    assert AuditEvent.objects.get(verb="brand_style.deleted").actor == user


def test_a_style_the_api_no_longer_has_is_deleted_here_all_the_same(
    manager, live_style, fresh_sandbox
):
    client, _, workspace = manager
    with api_client(fresh_sandbox) as api:
        api.delete_style(str(live_style.style_id))
    response = client.post(reverse("brand_style_delete", args=[workspace.slug, live_style.pk]))
    assert response.status_code == 302
    assert not BrandStyle.objects.exists()


def test_when_the_api_is_down_a_style_is_not_deleted_and_the_page_says_why(
    manager, live_style, fresh_sandbox
):
    client, _, workspace = manager
    fresh_sandbox.set_faults("503", count=5, path=f"/v1/styles/{live_style.style_id}")
    response = client.post(
        reverse("brand_style_delete", args=[workspace.slug, live_style.pk]), follow=True
    )
    assert response.status_code == 200
    assert BrandStyle.objects.filter(pk=live_style.pk).exists()
    assert "was not deleted" in response.content.decode()
    assert not AuditEvent.objects.filter(verb="brand_style.deleted").exists()


# --- roles -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.DESIGNER, Role.VIEWER])
def test_designers_and_viewers_cannot_create_rename_archive_or_delete_styles(
    member, logged_in, fresh_sandbox, role
):
    user, membership = member(role)
    workspace = membership.workspace
    style = BrandStyleFactory(workspace=workspace, name="Kept")
    client = logged_in(user)
    create = {"name": "Mine", "base_style": "icon", "references": [upload(png())]}

    assert client.get(create_url(workspace)).status_code == 403
    assert client.post(create_url(workspace), create).status_code == 403
    for name in ("brand_style_rename", "brand_style_archive", "brand_style_delete"):
        assert (
            client.post(reverse(name, args=[workspace.slug, style.pk]), {"name": "X"}).status_code
            == 403
        )
    style.refresh_from_db()
    assert style.name == "Kept" and not style.is_archived
    assert BrandStyle.objects.count() == 1 and style_requests(fresh_sandbox) == []
    # ...but they see the kit and the style, and can look at its references.
    assert client.get(reverse("brand_kit", args=[workspace.slug])).status_code == 200
    page = client.get(reverse("brand_style", args=[workspace.slug, style.pk])).content.decode()
    assert "Kept" in page and "Rename" not in page and "delete-style" not in page


def test_the_create_style_service_itself_refuses_a_designer(designer):
    from django.core.exceptions import PermissionDenied

    _, membership = designer
    with pytest.raises(PermissionDenied):
        services.brand_style_create(
            membership=membership, name="X", base_style="icon", references=[png()]
        )


def test_an_unknown_style_id_in_the_url_is_not_found(manager):
    client, _, workspace = manager
    assert client.get(reverse("brand_style", args=[workspace.slug, 999999])).status_code == 404

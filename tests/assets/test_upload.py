"""Uploading an image: it becomes the root of a lineage, or the page says what to fix."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from recraft_studio.assets import files
from recraft_studio.assets.models import Asset
from recraft_studio.audit.models import AuditEvent
from recraft_studio.recraft import catalog
from recraft_studio.workspaces.models import Role
from tests.factories import ProjectFactory
from tests.images import noise_png, png


def url(project):
    return reverse("asset_upload", args=[project.workspace.slug, project.slug])


def image_file(data, name="photo.png"):
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def encoded(fmt, size=(400, 300)):
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 60)).save(out, fmt)
    return out.getvalue()


def test_an_upload_becomes_an_asset_with_no_parent_and_opens_its_page(studio):
    client, user, project = studio
    data = png(800, 600)
    response = client.post(url(project), {"file": image_file(data)})
    asset = Asset.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("asset", args=[asset.pk])
    assert asset.operation == "upload" and asset.parent is None and asset.job is None
    assert asset.project == project and asset.created_by == user and asset.cost == 0
    assert (asset.width, asset.height, asset.content_type) == (800, 600, "image/png")
    assert files.read(asset.file_key) == data
    assert AuditEvent.objects.get(verb="asset.uploaded").target_id == str(asset.pk)
    page = client.get(response["Location"]).content.decode()
    assert "Uploaded: the start of this image" in page


def test_the_project_page_has_an_upload_form(studio):
    client, _, project = studio
    body = client.get(
        reverse("project", args=[project.workspace.slug, project.slug])
    ).content.decode()
    assert f'action="{url(project)}"' in body and 'type="file" name="file"' in body


def test_an_oversized_upload_is_explained_and_scaled_down_on_request(studio):
    client, _, project = studio
    response = client.post(url(project), {"file": image_file(noise_png(1400, 1400))})
    assert response.status_code == 200
    body = response.content.decode()
    assert "The file is 5.6 MB; the limit is 5 MB." in body
    assert 'data-testid="apply-fix"' in body and "Scale down to fit" in body
    assert "scale it down until the file is under 5 MB" in body
    assert not Asset.objects.exists()

    token = response.context["pending"]
    fixed = client.post(url(project), {"pending": token})
    asset = Asset.objects.get()
    assert fixed.status_code == 302
    assert asset.size_bytes <= 5 * catalog.MB and asset.width < 1400 and asset.width == asset.height


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_another_format_is_refused_and_converted_to_png_on_request(studio, fmt):
    client, _, project = studio
    response = client.post(url(project), {"file": image_file(encoded(fmt), f"a.{fmt.lower()}")})
    body = response.content.decode()
    assert f"{fmt} files are not accepted; upload a PNG, JPG or WEBP image." in body
    assert "Convert to PNG" in body and not Asset.objects.exists()

    client.post(url(project), {"pending": response.context["pending"]})
    asset = Asset.objects.get()
    assert asset.content_type == "image/png" and (asset.width, asset.height) == (400, 300)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"hello, not an image", "not an image the API can read"),
        (b"", "The submitted file is empty."),
        (png(20, 20), "its shorter side must be at least 32 px"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" width="300" height="300"/>', "not an image"),
    ],
)
def test_an_unusable_file_is_refused_on_the_form_with_no_fix(studio, data, message):
    client, _, project = studio
    response = client.post(url(project), {"file": image_file(data)})
    assert response.status_code == 200
    assert message in response.context["form"].errors["file"][0]
    assert response.context["pending"] == "" and not Asset.objects.exists()


def test_posting_no_file_asks_for_one(studio):
    client, _, project = studio
    response = client.post(url(project), {})
    assert response.context["form"].errors["file"] == ["Choose an image to upload."]


def test_a_forged_or_foreign_pending_upload_is_refused(studio, member):
    client, user, project = studio
    response = client.post(url(project), {"file": image_file(encoded("GIF"), "a.gif")})
    token = response.context["pending"]
    other_project = ProjectFactory(workspace=project.workspace)
    refused = client.post(url(other_project), {"pending": token})
    assert "belongs elsewhere" in refused.content.decode()
    forged = client.post(url(project), {"pending": token[:-2] + "xx"})
    assert "expired" in forged.content.decode()
    assert not Asset.objects.exists()


def test_a_viewer_cannot_upload(member, logged_in):
    user, membership = member(Role.VIEWER)
    project = ProjectFactory(workspace=membership.workspace)
    client = logged_in(user)
    assert client.get(url(project)).status_code == 403
    assert client.post(url(project), {"file": image_file(png())}).status_code == 403
    assert not Asset.objects.exists()


def test_uploading_into_another_workspace_is_not_found(studio, member):
    client, _, _ = studio
    _, other = member(Role.OWNER)
    foreign = ProjectFactory(workspace=other.workspace)
    assert client.post(url(foreign), {"file": image_file(png())}).status_code == 404
    assert not Asset.objects.exists()

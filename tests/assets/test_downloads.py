"""Downloads as asked: format, size, name; capped so a download cannot exhaust the server."""

import io

import pytest
from django.urls import reverse
from PIL import Image

from recraft_studio.assets import renditions
from recraft_studio.assets.renditions import RenditionRefused, Request
from recraft_studio.workspaces.models import Role
from tests.assets.conftest import finished_job, store_asset
from tests.factories import ProjectFactory
from tests.images import png

SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" viewBox="0 0 200 100">'
    b'<rect width="100" height="100" fill="#ff0000"/></svg>'
)


def download(client, asset, **params):
    return client.get(reverse("asset_download", args=[asset.pk]), params)


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def generated(studio):
    client, user, project = studio
    project.name = "Launch"
    project.save()
    job = finished_job(project=project, user=user, params={"prompt": "A red panda mascot"})
    asset = store_asset(
        project=project, user=user, job=job, operation="generate", prompt="A red panda mascot"
    )
    return client, asset


def test_a_download_is_named_from_the_project_and_the_prompt(generated):
    client, asset = generated
    response = download(client, asset, format="png", scale="1")
    assert response["Content-Disposition"] == 'attachment; filename="launch-red-panda-mascot-1.png"'


def test_2x_as_jpg_is_a_jpeg_twice_the_size_with_transparency_on_white(studio):
    client, user, project = studio
    asset = store_asset(project=project, data=png(300, 200, color=(0, 0, 0, 0), mode="RGBA"))
    response = download(client, asset, format="jpg", scale="2")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    image = Image.open(io.BytesIO(body(response)))
    assert image.format == "JPEG" and image.size == (600, 400)
    assert image.getpixel((2, 2)) == (255, 255, 255)
    assert response["Content-Disposition"].endswith('.jpg"')


def test_a_chosen_width_keeps_the_shape_and_is_made_once(studio):
    client, _, project = studio
    asset = store_asset(project=project, data=png(400, 300))
    first = download(client, asset, format="webp", scale="width", width="200")
    image = Image.open(io.BytesIO(body(first)))
    assert image.format == "WEBP" and image.size == (200, 150)
    from recraft_studio.assets import files

    key = files.rendition_key(asset.sha256, width=200, extension="webp")
    assert files.exists(key)
    again = download(client, asset, format="webp", scale="width", width="200")
    assert body(again) == files.read(key)


def test_a_vector_downloads_as_svg_or_as_png_at_a_width(studio):
    client, _, project = studio
    svg = store_asset(project=project, data=SVG, operation="vectorize")
    as_svg = download(client, svg, format="svg", scale="2")
    assert as_svg["Content-Type"] == "image/svg+xml" and body(as_svg) == SVG
    as_png = download(client, svg, format="png", scale="width", width="400")
    image = Image.open(io.BytesIO(body(as_png)))
    assert image.size == (400, 200)
    assert image.getpixel((100, 100))[:3] == (255, 0, 0)  # the red square, drawn
    assert image.getpixel((300, 100))[3] == 0  # transparent where nothing is drawn


def test_a_width_past_the_cap_is_refused_with_the_largest_on_offer(studio):
    client, _, project = studio
    asset = store_asset(project=project, data=png(400, 400))
    response = client.get(
        reverse("asset_download", args=[asset.pk]),
        {"format": "png", "scale": "width", "width": "50000"},
        follow=True,
    )
    page = response.content.decode()
    assert "50000 px wide is too large to download here; choose 4096 px or less." in page
    assert response.redirect_chain[-1][0].endswith(f"/assets/{asset.pk}/#download")


def test_a_download_of_another_workspaces_image_is_not_found(studio, member):
    client, _, _ = studio
    _, other = member(Role.OWNER)
    foreign = store_asset(project=ProjectFactory(workspace=other.workspace))
    assert download(client, foreign, format="png", scale="1").status_code == 404


def test_the_cap_is_checked_before_anything_is_decoded():
    with pytest.raises(RenditionRefused, match="choose 2048 px or less"):
        renditions.target_size(1024, 2048, want=4096)
    assert renditions.target_size(1024, 2048, want=2048) == (2048, 4096)
    assert renditions.max_width(4096, 4096) == 4096


def test_an_svg_cannot_make_the_renderer_read_a_file_of_this_machine(tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(png(10, 10, color=(0, 255, 0)))
    hostile = (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="20" height="20"><image width="20" height="20" xlink:href="{secret}"/>'
        f'<image width="20" height="20" href="file://{secret}"/></svg>'
    ).encode()
    cleaned = renditions.svg_self_contained(hostile)
    assert str(secret).encode() not in cleaned
    out = renditions.render(
        hostile, content_type="image/svg+xml", size=(20, 20), want=Request("png", 20)
    )
    assert Image.open(io.BytesIO(out)).convert("RGBA").getpixel((10, 10))[3] == 0


def test_file_names_are_short_ascii_and_skip_little_words():
    name = renditions.download_name(
        project="Été launch", prompt="A red panda mascot, waving!", number=3, extension="webp"
    )
    assert name == "ete-launch-red-panda-mascot-waving-3.webp"
    assert renditions.download_name(project="", prompt="", number=1, extension="png") == (
        "image-1.png"
    )

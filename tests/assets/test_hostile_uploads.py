"""Uploads bounded and decoded before they are kept: bombs, truncated files, sideways
photos, and offers to fix an upload that work once."""

import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from recraft_studio.assets import files, images
from recraft_studio.assets.models import Asset
from tests.images import png

pytestmark = pytest.mark.django_db


def url(project):
    return reverse("asset_upload", args=[project.workspace.slug, project.slug])


def image_file(data, name="photo.png"):
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def stored_keys(s3) -> set[str]:
    keys = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=settings.S3_BUCKET):
        keys |= {item["Key"] for item in page.get("Contents", [])}
    return keys


def jpeg(width=800, height=600, **save) -> bytes:
    img = Image.new("RGB", (width, height), (200, 30, 60))
    img.paste((20, 200, 60), (0, 0, width // 2, height // 3))  # a corner to tell turns apart
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90, **save)
    return out.getvalue()


def bomb_png(side=10_000) -> bytes:
    """A PNG of side × side pixels that is only a few hundred KB: one colour, one bit."""
    out = io.BytesIO()
    Image.new("1", (side, side), 0).save(out, "PNG", optimize=True)
    return out.getvalue()


def truncated(data: bytes) -> bytes:
    return data[: len(data) * 2 // 3]


@pytest.mark.parametrize(
    "data",
    [truncated(png(800, 600)), truncated(jpeg()), png(800, 600)[:-40]],
    ids=["png", "jpeg", "png-without-its-end"],
)
def test_a_truncated_upload_is_a_field_error_and_nothing_is_stored(studio, s3, data):
    client, _, project = studio
    before = stored_keys(s3)

    response = client.post(url(project), {"file": image_file(data)})

    assert response.status_code == 200
    assert "damaged or incomplete" in response.context["form"].errors["file"][0]
    assert response.context["pending"] == ""
    assert not Asset.objects.exists()
    assert stored_keys(s3) == before


def test_a_small_file_declaring_a_huge_image_is_refused_from_its_header(studio, s3):
    client, _, project = studio
    data = bomb_png()
    assert len(data) < 200_000
    before = stored_keys(s3)

    response = client.post(url(project), {"file": image_file(data)})

    error = response.context["form"].errors["file"][0]
    assert "10000 × 10000" in error or "10,000" in error
    body = response.content.decode()
    assert 'data-testid="apply-fix"' not in body and "Scale down" not in body
    assert response.context["pending"] == ""
    assert stored_keys(s3) == before


def test_the_decoder_never_sees_pixels_past_the_guard():
    with pytest.raises(images.FieldError, match="the studio reads images up to 24 MP"):
        images.decode(bomb_png(6000))
    assert images.DECODE_MAX_PIXELS == 24 * 1024 * 1024


def test_a_photo_is_stored_and_thumbnailed_upright(studio):
    client, _, project = studio
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view": a phone held upright
    data = jpeg(800, 600, exif=exif.tobytes())

    response = client.post(url(project), {"file": image_file(data, "portrait.jpg")})

    assert response.status_code == 302
    asset = Asset.objects.get()
    assert (asset.width, asset.height) == (600, 800)
    with Image.open(io.BytesIO(files.read(asset.file_key))) as stored:
        assert stored.size == (600, 800)
        assert stored.getexif().get(0x0112) in (None, 1)
        # The green corner (top left as taken) is now at the top right.
        assert stored.convert("RGB").getpixel((590, 10))[1] > 150
    with Image.open(io.BytesIO(files.read(asset.thumb_key))) as thumb:
        assert thumb.width < thumb.height


def test_an_offer_to_fix_an_upload_works_once(studio, s3):
    client, _, project = studio
    big = png(5000, 4000)  # 19 MP: over the API's 16 MP, under the studio's guard
    response = client.post(url(project), {"file": image_file(big)})
    token = response.context["pending"]
    assert token and "Scale down to fit" in response.content.decode()
    pending = {k for k in stored_keys(s3) if k.startswith("pending/")}
    assert pending

    first = client.post(url(project), {"pending": token})
    again = client.post(url(project), {"pending": token})

    assert first.status_code == 302 and Asset.objects.count() == 1
    assert again.status_code == 200
    assert "already applied once" in again.context["form"].errors["file"][0]
    assert Asset.objects.count() == 1
    assert not pending & stored_keys(s3)  # the kept file went with its offer

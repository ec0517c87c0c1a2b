"""Brand-style references are checked like every other upload, before the API is
paid, and pages show them through thumbnails, never the originals."""

import io

import pytest
from django.conf import settings
from django.urls import reverse
from PIL import Image

from recraft_studio.brand import services
from recraft_studio.brand.models import BrandStyle
from recraft_studio.workspaces.models import Role
from tests.brand.factories import BrandStyleReferenceFactory
from tests.images import png

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def upload(data: bytes, name="ref.png"):
    f = io.BytesIO(data)
    f.name = name
    return f


def flat_png(width, height) -> bytes:
    out = io.BytesIO()
    Image.new("1", (width, height), 1).save(out, "PNG", optimize=True)
    return out.getvalue()


def stored_keys(s3) -> set[str]:
    keys = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=settings.S3_BUCKET):
        keys |= {item["Key"] for item in page.get("Contents", [])}
    return keys


@pytest.fixture
def manager(member, logged_in):
    user, membership = member(Role.BRAND_MANAGER)
    return logged_in(user), user, membership.workspace


def create(client, workspace, *refs):
    return client.post(
        reverse("brand_style_create", args=[workspace.slug]),
        {"name": "Poster", "base_style": "icon", "references": [upload(r) for r in refs]},
    )


@pytest.mark.parametrize(
    ("refs", "message"),
    [
        ([png(), flat_png(9000, 9000)], "Reference image 2: The image is 9000 × 9000"),
        ([png()[:-200]], "Reference image 1: This image is damaged or incomplete"),
        ([png(800, 600)[:900]], "Reference image 1: This image is damaged or incomplete"),
        ([png(5000, 200)], "Reference image 1: The image is 5000 × 200; its longer side"),
    ],
    ids=["81-megapixels", "cut-end", "cut-middle", "too-long-a-side"],
)
def test_a_reference_any_other_upload_would_refuse_is_refused_before_the_api(
    manager, fresh_sandbox, s3, refs, message
):
    client, _, workspace = manager
    before = stored_keys(s3)

    response = create(client, workspace, *refs)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["references"])
    assert fresh_sandbox.requests() == []  # nothing sent, nothing charged
    assert not BrandStyle.objects.exists()
    assert stored_keys(s3) == before


def test_a_sideways_reference_is_turned_upright_before_it_is_sent(manager, fresh_sandbox):
    client, _, workspace = manager
    exif = Image.Exif()
    exif[0x0112] = 8
    out = io.BytesIO()
    Image.new("RGB", (600, 400), (10, 120, 200)).save(out, "JPEG", exif=exif.tobytes())

    assert create(client, workspace, out.getvalue()).status_code == 302

    reference = BrandStyle.objects.get().references.get()
    assert (reference.width, reference.height) == (400, 600)


def test_pages_show_references_through_small_thumbnails(manager, fresh_sandbox):
    client, _, workspace = manager
    response = create(client, workspace, png(1600, 1200))
    style = BrandStyle.objects.get()
    reference = style.references.get()
    thumb_url = reverse(
        "brand_style_reference_thumb", args=[workspace.slug, style.pk, reference.pk]
    )
    original_url = reverse("brand_style_reference", args=[workspace.slug, style.pk, reference.pk])

    for page in (
        client.get(response["Location"]),
        client.get(reverse("brand_kit", args=[workspace.slug])),
    ):
        body = page.content.decode()
        assert f'<img src="{thumb_url}"' in body
        assert f'<img src="{original_url}"' not in body
    thumb = client.get(thumb_url)
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/webp"
    with Image.open(io.BytesIO(b"".join(thumb.streaming_content))) as img:
        assert max(img.size) <= 512


def test_a_reference_kept_before_thumbnails_gets_one_on_first_view(manager, s3):
    client, _, workspace = manager
    from recraft_studio.brand import files

    data = png(900, 700)
    info = files.inspect_image(data, limits=files.REFERENCE_LIMITS)
    key, digest = files.store_reference(data, info)
    reference = BrandStyleReferenceFactory(
        style__workspace=workspace, file_key=key, sha256=digest, thumb_key=""
    )
    url = reverse(
        "brand_style_reference_thumb", args=[workspace.slug, reference.style.pk, reference.pk]
    )
    assert client.get(url).status_code == 200
    reference.refresh_from_db()
    assert reference.thumb_key.startswith("thumbs/")
    assert services.reference_thumbnail(reference) == reference.thumb_key

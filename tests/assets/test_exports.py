"""Hand-off: exports as zips of originals with provenance manifests, links that expire."""

import csv
import io
import json
import tracemalloc
import zipfile
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from recraft_studio.assets import files, services
from recraft_studio.assets.models import Asset, Export, ExportStatus
from recraft_studio.assets.views import export_link_token
from recraft_studio.audit.models import AuditEvent
from recraft_studio.workspaces.models import Role
from tests.assets.conftest import finished_job, store_asset
from tests.brand.factories import BrandStyleFactory, PaletteFactory
from tests.factories import ProjectFactory
from tests.images import noise_png, png

pytestmark = pytest.mark.django_db

SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
    b'<rect width="64" height="64" fill="#c33"/></svg>'
)


@pytest.fixture
def team(member):
    dana, dana_m = member(Role.DESIGNER, username="dana")
    workspace = dana_m.workspace
    _, bo_m = member(Role.BRAND_MANAGER, workspace=workspace, username="bo")
    _, vi_m = member(Role.VIEWER, workspace=workspace, username="vi")
    project = ProjectFactory(workspace=workspace, name="Spring launch")
    return {"dana": dana_m, "bo": bo_m, "vi": vi_m, "project": project, "workspace": workspace}


def read_zip(export) -> zipfile.ZipFile:
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE, export.error
    return zipfile.ZipFile(io.BytesIO(files.read(export.file_key)))


@pytest.fixture
def made_images(team):
    """An upload, a generation made from it with a brand style and palette, and an SVG."""
    dana = team["dana"].user
    palette = PaletteFactory(workspace=team["workspace"], name="Sunrise", colors=[[200, 30, 40]])
    style = BrandStyleFactory(workspace=team["workspace"], name="House ink")
    root = store_asset(project=team["project"], user=dana, data=png(300, 200), prompt="")
    job = finished_job(
        project=team["project"],
        user=dana,
        params={
            "prompt": '=HYPERLINK("http://evil") a lighthouse',
            "model": "recraftv3",
            "random_seed": 1234,
            "size": "1024x1024",
            "controls": {"colors": [{"rgb": [200, 30, 40]}]},
        },
        source=root,
        brand_style=style,
        actual_cost=80,
    )
    child = store_asset(
        project=team["project"],
        user=dana,
        data=png(256, 256, mode="RGBA", color=(0, 0, 0, 0)),
        operation="image_to_image",
        parent=root,
        job=job,
        prompt=job.params["prompt"],
        model="recraftv3",
        brand_style=style,
        cost=80,
    )
    svg = store_asset(project=team["project"], user=dana, data=SVG, prompt="a red square")
    services.assets_transition(membership=team["bo"], assets=[child], action="approve")
    return {"root": root, "child": child, "svg": svg, "palette": palette, "style": style}


def test_a_collection_exports_its_originals_in_order_with_their_provenance(team, made_images):
    root, child, svg = made_images["root"], made_images["child"], made_images["svg"]
    collection = services.collection_create(membership=team["dana"], name="Launch set")
    services.collection_add(
        membership=team["dana"], collection=collection, assets=[svg, child, root]
    )

    export = services.export_request(
        membership=team["vi"], kind="collection", collection=collection
    )
    services.export_build(export_id=export.pk)

    archive = read_zip(export)
    names = archive.namelist()
    assert names[:3] == [
        f"0001-a-red-square-{str(svg.pk)[:8]}.svg",
        f"0002-hyperlinkhttpevil-a-lighthouse-{str(child.pk)[:8]}.png",
        f"0003-upload-{str(root.pk)[:8]}.png",
    ]
    assert names[3:] == ["manifest.csv", "manifest.json"]
    assert archive.read(names[1]) == files.read(child.file_key)  # the original, byte for byte

    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["export"]["requested_by"] == "vi"
    row = manifest["assets"][1]
    assert row["id"] == str(child.pk) and row["file"] == names[1]
    assert row["prompt"].endswith("a lighthouse") and row["seed"] == 1234
    assert row["model"] == "recraftv3" and row["brand_style"] == "House ink"
    assert row["palette"] == "Sunrise" and row["colors"] == ["#c81e28"]
    assert row["parent_chain"] == [str(root.pk)] and row["parent_id"] == str(root.pk)
    assert row["author"] == "dana" and row["approved_by"] == "bo" and row["approved_at"]
    assert row["state"] == "approved" and row["cost_units"] == 80 and row["cost_usd"] == 0.08
    assert row["parameters"]["size"] == "1024x1024" and row["job_id"]

    rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    assert [r["id"] for r in rows] == [str(svg.pk), str(child.pk), str(root.pk)]
    # A prompt that looks like a formula stays text in a spreadsheet.
    assert rows[1]["prompt"].startswith("'=HYPERLINK")
    assert json.loads(rows[1]["parent_chain"]) == [str(root.pk)]

    assert list(
        AuditEvent.objects.filter(target_id=str(export.pk))
        .order_by("id")
        .values_list("verb", flat=True)
    ) == [
        "export.created",
        "export.completed",
    ]


def test_images_leave_in_the_chosen_format_and_svg_stays_svg(team, made_images):
    picked = [made_images["child"], made_images["svg"]]
    export = services.export_request(
        membership=team["dana"], kind="selection", assets=picked, fmt="jpg"
    )
    services.export_build(export_id=export.pk)
    archive = read_zip(export)
    jpg = next(n for n in archive.namelist() if n.endswith(".jpg"))
    image = Image.open(io.BytesIO(archive.read(jpg)))
    assert image.format == "JPEG" and image.size == (256, 256)
    # Transparent pixels become white (a page's background), not black.
    assert image.getpixel((2, 2)) == (255, 255, 255)
    assert any(n.endswith(".svg") for n in archive.namelist())
    manifest = json.loads(archive.read("manifest.json"))
    assert {r["exported_format"] for r in manifest["assets"]} == {"jpg", "svg"}


def test_building_an_export_twice_changes_nothing(team, made_images):
    export = services.export_request(
        membership=team["dana"], kind="project", project=team["project"]
    )
    services.export_build(export_id=export.pk)
    export.refresh_from_db()
    finished = export.finished_at
    services.export_build(export_id=export.pk)
    export.refresh_from_db()
    assert export.finished_at == finished
    assert AuditEvent.objects.filter(verb="export.completed").count() == 1


def test_a_project_exports_only_its_approved_images_when_asked(team, made_images, logged_in):
    client = logged_in(team["dana"].user)
    response = client.post(
        reverse("exports", args=[team["workspace"].slug]),
        {
            "kind": "project",
            "project": team["project"].pk,
            "format": "original",
            "approved_only": "on",
        },
    )
    export = Export.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/exports/{export.pk}/")
    assert export.asset_ids == [str(made_images["child"].pk)]
    assert export.name == "Spring launch (approved)"


def test_nothing_to_export_is_said_plainly(team, logged_in):
    client = logged_in(team["dana"].user)
    response = client.post(
        reverse("exports", args=[team["workspace"].slug]),
        {"kind": "project", "project": team["project"].pk, "format": "png", "approved_only": "on"},
        follow=True,
    )
    assert "Nothing exported: There is no approved image to export." in response.content.decode()
    assert not Export.objects.exists()


def test_an_export_over_the_limit_is_refused_before_any_work(team, settings, made_images):
    settings.EXPORT_MAX_ASSETS = 2
    from recraft_studio.recraft.validation import FieldError

    with pytest.raises(FieldError, match="up to 2 images"):
        services.export_request(membership=team["dana"], kind="project", project=team["project"])
    assert not Export.objects.exists()


def test_the_link_works_without_an_account_is_recorded_and_expires(team, made_images):
    export = services.export_request(
        membership=team["dana"], kind="selection", assets=[made_images["child"]]
    )
    services.export_build(export_id=export.pk)
    link = reverse("export_download", args=[export_link_token(export)])
    anonymous = Client()

    response = anonymous.get(link)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert zipfile.ZipFile(io.BytesIO(body)).namelist()[-1] == "manifest.json"
    event = AuditEvent.objects.get(verb="export.downloaded")
    assert event.actor is None and event.target_id == str(export.pk)

    assert anonymous.get(link[:-3] + "xyz/").status_code == 404  # a forged link

    Export.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert anonymous.get(link).status_code == 410
    assert services.exports_sweep() == 1
    export.refresh_from_db()
    assert export.status == ExportStatus.EXPIRED and not default_storage.exists(
        f"exports/{export.workspace_id}/{export.pk}.zip"
    )
    assert services.exports_sweep() == 0


def test_the_export_page_shows_progress_then_the_link(team, made_images, logged_in):
    export = services.export_request(
        membership=team["dana"], kind="selection", assets=[made_images["root"]]
    )
    client = logged_in(team["vi"].user)
    url = reverse("export", args=[team["workspace"].slug, export.pk])
    waiting = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET=f"export-{export.pk}")
    assert (
        waiting.status_code == 200 and 'data-testid="export-progress"' in waiting.content.decode()
    )
    services.export_build(export_id=export.pk)
    done = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET=f"export-{export.pk}")
    assert done.status_code == 286  # htmx stops polling
    assert (
        "/exports/" in done.content.decode()
        and 'data-testid="export-download"' in done.content.decode()
    )


def test_a_missing_original_fails_the_export_with_a_reason(team, made_images):
    from recraft_studio.assets.tasks import export_build_task

    lost = store_asset(project=team["project"], user=team["dana"].user, data=png(123, 45))
    default_storage.delete(lost.file_key)
    export = services.export_request(membership=team["dana"], kind="selection", assets=[lost])
    export_build_task.apply(args=[str(export.pk)])
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
    assert "is missing from the storage" in export.error


def test_an_export_streams_its_images_instead_of_holding_them_in_memory(team):
    """Forty 1 MB images: building holds one image and one 5 MB upload part, never all 40."""
    project = team["project"]
    picked = []
    for i in range(40):
        data = noise_png(600, 600)  # ~1.08 MB, incompressible
        facts = files.inspect(data)
        key = files.store_original(data, facts)
        picked.append(
            Asset.objects.create(
                workspace=project.workspace,
                project=project,
                created_by=team["dana"].user,
                operation="upload",
                prompt=f"noise {i}",
                file_key=key,
                thumb_key=key,
                content_type=facts.content_type,
                width=600,
                height=600,
                size_bytes=facts.size_bytes,
                sha256=facts.sha256,
            )
        )
        del data
    total = sum(a.size_bytes for a in picked)
    export = services.export_request(membership=team["dana"], kind="selection", assets=picked)

    tracemalloc.start()
    try:
        services.export_build(export_id=export.pk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    export.refresh_from_db()
    assert export.status == ExportStatus.DONE and export.size_bytes > total
    assert peak < total / 3, f"peak {peak / 1e6:.1f} MB for {total / 1e6:.1f} MB of images"


def test_an_approved_image_downloads_with_a_provenance_sidecar(team, made_images, logged_in):
    client = logged_in(team["vi"].user)
    child = made_images["child"]
    response = client.get(reverse("asset_handoff", args=[child.pk]))
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    image, sidecar = archive.namelist()
    assert image.endswith(".png") and sidecar == image.rsplit(".", 1)[0] + ".json"
    provenance = json.loads(archive.read(sidecar))
    assert provenance["approved_by"] == "bo" and provenance["seed"] == 1234
    event = AuditEvent.objects.get(verb="asset.downloaded")
    assert event.data["with_provenance"] is True and event.actor_name == "vi"
    # A draft has no hand-off: it is not approved for use.
    assert client.get(reverse("asset_handoff", args=[made_images["root"].pk])).status_code == 404


def test_a_download_is_recorded_but_showing_an_image_is_not(team, made_images, logged_in):
    client = logged_in(team["vi"].user)
    url = reverse("asset_file", args=[made_images["root"].pk])
    client.get(url)
    assert not AuditEvent.objects.filter(verb="asset.downloaded").exists()
    client.get(url, {"download": "1"})
    assert AuditEvent.objects.get(verb="asset.downloaded").actor_name == "vi"

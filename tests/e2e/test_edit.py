"""A person edits images in the browser: paints a mask, inpaints, vectorizes, uploads."""

import io
import zlib

import pytest
from PIL import Image

from recraft_studio.assets import files
from recraft_studio.assets.models import Asset
from recraft_studio.jobs.models import Job
from recraft_studio.recraft.catalog import Op
from recraft_studio.workspaces.models import Role
from tests.assets.conftest import store_asset
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, ProjectFactory
from tests.images import noise_png, png

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def designer_page(page, live_server, member):
    user, membership = member(Role.DESIGNER, username="dana")
    project = ProjectFactory(workspace=membership.workspace, name="Spring launch")
    log_in(page, live_server, "dana", PASSWORD)
    return page, project


def wait_for_painting(page):
    page.wait_for_function(
        "() => document.querySelector('.mask-status').textContent.startsWith('Painted')"
    )


def upload_through_the_page(page, live_server, project, data, name="photo.png"):
    page.goto(f"{live_server.url}/w/{project.workspace.slug}/p/{project.slug}/")
    page.set_input_files(
        "#upload-file", files=[{"name": name, "mimeType": "image/png", "buffer": data}]
    )
    page.get_by_test_id("upload").click()
    page.wait_for_load_state()


def test_paint_a_mask_inpaint_and_see_the_new_image_with_its_parent(
    designer_page, live_server, celery_worker, fresh_sandbox
):
    page, project = designer_page
    upload_through_the_page(page, live_server, project, png(800, 600))
    page.wait_for_url("**/assets/*/")
    source = Asset.objects.get(project=project)
    page.get_by_test_id("tool-inpaint").click()

    canvas = page.get_by_test_id("mask-canvas")
    canvas.wait_for()
    box = canvas.bounding_box()
    # A stroke across the middle of the picture, drawn with the mouse.
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(
            box["x"] + box["width"] * (0.3 + 0.02 * step), box["y"] + box["height"] * 0.5, steps=2
        )
    page.mouse.up()
    wait_for_painting(page)

    page.fill("textarea[name=prompt]", "a paper boat")
    page.get_by_test_id("run-tool").click()
    page.locator("#tool-jobs .job[data-status=done]").wait_for(timeout=60_000)
    tile = page.get_by_test_id("result-tile").first
    tile.wait_for()

    job = Job.objects.get(source_asset=source, operation=Op.INPAINT)
    sent = Image.open(io.BytesIO(files.read(job.inputs["mask"])))
    assert sent.mode == "L" and sent.size == (800, 600)
    assert {v for v, n in enumerate(sent.histogram()) if n} == {0, 255}
    assert sent.getpixel((400, 300)) == 255  # on the stroke
    assert sent.getpixel((20, 20)) == 0 and sent.getpixel((400, 40)) == 0  # away from it

    tile.click()
    page.wait_for_url("**/assets/*/")
    result = Asset.objects.get(job=job)
    assert page.url.endswith(f"/assets/{result.pk}/")
    assert "a paper boat" in page.inner_text("aside")
    page.get_by_test_id("parent-link").click()
    page.wait_for_url(f"**/assets/{source.pk}/")
    assert result.parent == source


def test_the_mask_painter_undoes_clears_and_inverts(designer_page, live_server):
    page, project = designer_page
    asset = store_asset(project=project, data=png(400, 300))
    page.goto(f"{live_server.url}/assets/{asset.pk}/edit/erase_region/")
    canvas = page.get_by_test_id("mask-canvas")
    canvas.wait_for()
    box = canvas.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    wait_for_painting(page)
    painted = page.evaluate("document.getElementById('id_mask').files.length")
    assert painted == 1
    page.get_by_test_id("mask-invert").click()
    page.wait_for_function(
        "() => /Painted (9\\d|100)/.test(document.querySelector('.mask-status').textContent)"
    )
    page.get_by_test_id("mask-undo").click()
    page.get_by_test_id("mask-clear").click()
    page.get_by_text("Nothing painted yet.").wait_for()
    assert page.evaluate("document.getElementById('id_mask').files.length") == 0
    # Submitting with nothing painted is refused on the form; nothing is queued.
    page.get_by_test_id("run-tool").click()
    page.locator("#field-mask .field-error").wait_for()
    assert not Job.objects.exists()


def test_vectorize_and_see_the_svg_which_never_runs_script(
    designer_page, live_server, celery_worker, fresh_sandbox
):
    page, project = designer_page
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    upload_through_the_page(page, live_server, project, png(600, 600))
    page.wait_for_url("**/assets/*/")
    page.get_by_test_id("tool-vectorize").click()
    page.get_by_test_id("run-tool").click()
    page.locator("#tool-jobs .job[data-status=done]").wait_for(timeout=60_000)
    page.get_by_test_id("result-tile").first.click()
    page.wait_for_url("**/assets/*/")
    image = page.get_by_test_id("asset-image")
    page.wait_for_function(
        "() => { const i = document.querySelector('[data-testid=asset-image]');"
        " return i.complete && i.naturalWidth > 0; }"
    )
    assert image.get_attribute("src").endswith("/file")
    assert page.get_by_test_id("download-original").inner_text() == "Original SVG"
    formats = page.get_by_test_id("download-form").locator("select[name=format] option")
    assert formats.all_inner_texts() == ["SVG", "PNG", "JPG", "WEBP"]
    svg = Asset.objects.get(operation=Op.VECTORIZE)
    assert svg.content_type == "image/svg+xml"

    # An SVG carrying script, shown on its page and opened directly: nothing runs.
    hostile = store_asset(
        project=project,
        operation=Op.VECTORIZE,
        data=(
            b'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200" onload="alert(1)">'
            b'<script>alert(2)</script><rect width="200" height="200"/></svg>'
        ),
    )
    page.goto(f"{live_server.url}/assets/{hostile.pk}/")
    page.wait_for_function("() => document.querySelector('[data-testid=asset-image]').complete")
    page.goto(f"{live_server.url}/assets/{hostile.pk}/file")
    page.wait_for_timeout(500)
    assert dialogs == []


def test_an_oversized_upload_gets_the_message_on_the_form_and_the_fix(designer_page, live_server):
    page, project = designer_page
    upload_through_the_page(page, live_server, project, noise_png(1400, 1400))
    error = page.locator("#field-file .field-error")
    error.wait_for()
    assert "The file is 5.6 MB; the limit is 5 MB." in error.inner_text()
    assert page.title().startswith("Upload")  # the form, not an error page
    assert not Asset.objects.exists()

    page.get_by_test_id("apply-fix").click()
    page.wait_for_url("**/assets/*/")
    asset = Asset.objects.get()
    assert asset.size_bytes <= 5 * 1024 * 1024 and asset.operation == "upload"


def test_an_image_over_a_tools_limits_is_explained_and_sent_scaled(designer_page, live_server):
    page, project = designer_page
    big = store_asset(project=project, data=png(2400, 2000))
    page.goto(f"{live_server.url}/assets/{big.pk}/edit/crisp_upscale/")
    limits = page.get_by_test_id("limits")
    assert "the limit is 4 MP" in limits.inner_text()
    page.get_by_test_id("run-tool").click()
    page.locator("#field-fit .field-error").wait_for()
    assert not Job.objects.exists()
    page.check("input[name=fit]")
    page.get_by_test_id("run-tool").click()
    page.locator("#tool-jobs .job").wait_for()
    job = Job.objects.get()
    assert Image.open(io.BytesIO(files.read(job.inputs["file"]))).size == (2243, 1869)


def test_a_painted_mask_survives_a_form_error_and_a_hasty_submit(
    designer_page, live_server, celery_worker, fresh_sandbox
):
    page, project = designer_page
    asset = store_asset(project=project, data=png(500, 400))
    page.goto(f"{live_server.url}/assets/{asset.pk}/edit/inpaint/")
    page.get_by_test_id("mask-canvas").wait_for()
    # Paint and submit in the same breath: the submit waits for the mask's export.
    page.evaluate(
        """() => {
        const c = document.querySelector('[data-testid=mask-canvas]');
        const r = c.getBoundingClientRect();
        const at = (type, x) => c.dispatchEvent(new PointerEvent(type, {
            bubbles: true, pointerId: 1, button: 0,
            clientX: r.left + r.width * x, clientY: r.top + r.height / 2}));
        at('pointerdown', 0.4); at('pointermove', 0.6); at('pointerup', 0.6);
        document.getElementById('tool-form').requestSubmit();
    }"""
    )
    # No prompt: the form comes back with the error, and the painted mask is still there.
    page.locator("#field-prompt .field-error").wait_for()
    assert page.evaluate("document.getElementById('id_mask').files.length") == 1
    assert "Paint the area" not in page.inner_text("#tool-form")
    page.fill("textarea[name=prompt]", "a kite")
    page.get_by_test_id("run-tool").click()
    page.locator("#tool-jobs .job").first.wait_for()
    job = Job.objects.get(operation=Op.INPAINT)
    sent = Image.open(io.BytesIO(files.read(job.inputs["mask"])))
    assert sent.size == (500, 400) and sent.getpixel((250, 200)) == 255


def test_without_compression_streams_the_mask_is_still_a_valid_grayscale_png(
    designer_page, live_server
):
    page, project = designer_page
    asset = store_asset(project=project, data=png(300, 260))
    page.add_init_script("delete window.CompressionStream;")  # as in older browsers
    page.goto(f"{live_server.url}/assets/{asset.pk}/edit/erase_region/")
    canvas = page.get_by_test_id("mask-canvas")
    canvas.wait_for()
    box = canvas.bounding_box()
    page.mouse.click(box["x"] + 150, box["y"] + 130)
    wait_for_painting(page)
    data = page.evaluate(
        "async () => Array.from(new Uint8Array("
        "await document.getElementById('id_mask').files[0].arrayBuffer()))"
    )
    png_bytes = bytes(data)
    offset = 8
    while offset < len(png_bytes):  # every chunk's CRC32 is right
        length = int.from_bytes(png_bytes[offset : offset + 4], "big")
        body = png_bytes[offset + 4 : offset + 8 + length]
        crc = int.from_bytes(png_bytes[offset + 8 + length : offset + 12 + length], "big")
        assert zlib.crc32(body) == crc, body[:4]
        offset += 12 + length
    sent = Image.open(io.BytesIO(png_bytes))
    assert sent.mode == "L" and sent.size == (300, 260)
    assert sent.getpixel((150, 130)) == 255 and sent.getpixel((5, 5)) == 0
    assert len(data) > 300 * 260  # stored, not deflated

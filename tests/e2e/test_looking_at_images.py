"""Following a job to its images, looking at them, comparing an edit, downloading; desktop
and phone."""

import io

import pytest
from PIL import Image

from recraft_studio.assets import files
from recraft_studio.jobs.models import Job
from recraft_studio.recraft.catalog import Op
from recraft_studio.workspaces.models import Role
from tests.assets.conftest import finished_job, store_asset
from tests.e2e.conftest import log_in, no_sideways_scroll, shoot, touch
from tests.factories import PASSWORD, ProjectFactory
from tests.images import mask, png

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def launch(member):
    user, membership = member(Role.DESIGNER, username="dana")
    return user, ProjectFactory(workspace=membership.workspace, name="Launch")


def generated(user, project, count=3):
    """A generation of `count` images, as the worker leaves it."""
    job = finished_job(
        project=project, user=user, params={"prompt": "A red panda mascot", "n": count}
    )
    Job.objects.filter(pk=job.pk).update(n_outputs=count)
    colours = [(200, 60, 40), (40, 160, 90), (60, 80, 200), (220, 180, 30)]
    return [
        store_asset(
            project=project,
            user=user,
            job=job,
            operation="generate",
            prompt="A red panda mascot",
            output_index=i,
            data=png(320, 320, color=colours[i % 4]),
        )
        for i in range(count)
    ]


@pytest.mark.integration
def test_a_job_card_shows_its_outputs_as_they_land_and_the_lightbox_walks_them(
    page, live_server, celery_worker, fresh_sandbox, launch
):
    user, project = launch
    log_in(page, live_server, "dana", PASSWORD)
    page.goto(f"{live_server.url}/w/{project.workspace.slug}/p/{project.slug}/")
    page.fill("#generate-form textarea[name=prompt]", "a red panda mascot waving")
    page.fill("#generate-form input[name=n]", "3")
    page.get_by_test_id("generate").click()
    page.locator(".job[data-status=done]").wait_for(timeout=60_000)
    outputs = page.locator(".job").first.get_by_test_id("job-output")
    assert outputs.count() == 3
    shoot(page, "job-card-1280", full_page=False)

    outputs.first.click()
    lightbox = page.get_by_test_id("lightbox")
    assert lightbox.is_visible()
    assert page.get_by_test_id("lightbox-counter").inner_text() == "1 of 3"
    page.keyboard.press("ArrowRight")
    assert page.get_by_test_id("lightbox-counter").inner_text() == "2 of 3"
    page.wait_for_function(
        "() => document.querySelector('[data-testid=lightbox-image]').naturalWidth > 0"
    )
    shoot(page, "lightbox-1280", full_page=False)
    page.keyboard.press("Escape")
    assert not lightbox.is_visible()

    outputs.nth(1).click()
    page.keyboard.press("Enter")
    page.wait_for_url("**/assets/*/")
    job = Job.objects.get()
    second = job.assets.get(output_index=1)
    assert page.url.endswith(f"/assets/{second.pk}/")

    page.goto(f"{live_server.url}/w/{project.workspace.slug}/p/{project.slug}/")
    page.get_by_test_id("all-jobs").click()
    history = page.get_by_test_id("job-history")
    assert history.get_by_test_id("job-output").count() == 3


def test_an_images_page_has_neighbours_keys_a_before_after_slider_and_the_mask_used(
    page, live_server, launch
):
    user, project = launch
    source = store_asset(project=project, user=user, data=png(400, 300), operation="upload")
    used = mask(400, 300, box=(100, 80, 300, 220))
    mask_key = files.store_input(used, files.inspect(used))
    job = finished_job(
        project=project,
        user=user,
        operation=Op.INPAINT,
        params={"prompt": "a paper boat"},
        source=source,
        inputs={"mask": mask_key},
    )
    result = store_asset(
        project=project,
        user=user,
        job=job,
        parent=source,
        operation=Op.INPAINT,
        prompt="a paper boat",
        data=png(400, 300, color=(250, 250, 250, 0), mode="RGBA"),
    )
    log_in(page, live_server, "dana", PASSWORD)
    page.goto(f"{live_server.url}/assets/{result.pk}/")

    compare = page.get_by_test_id("compare")
    assert (
        compare.get_by_test_id("compare-before")
        .get_attribute("src")
        .endswith(f"/assets/{source.pk}/file")
    )
    page.get_by_test_id("compare-range").fill("20")
    split = page.evaluate(
        "() => getComputedStyle(document.querySelector('.compare-frame'))"
        ".getPropertyValue('--split')"
    )
    assert split.strip() == "20%"
    # Transparency shows on a checkerboard, not on white.
    assert "conic-gradient" in page.evaluate(
        "() => getComputedStyle(document.querySelector('.compare-frame')).backgroundImage"
    )
    page.wait_for_function(
        "() => document.querySelector('[data-testid=mask-image]').naturalWidth === 400"
    )
    shoot(page, "image-page-1280")

    # → goes to the older image (the source); ← comes back; a letter opens a tool.
    page.evaluate("() => document.activeElement.blur()")  # the slider keeps its own arrows
    page.keyboard.press("ArrowRight")
    page.wait_for_url(f"**/assets/{source.pk}/")
    page.keyboard.press("ArrowLeft")
    page.wait_for_url(f"**/assets/{result.pk}/")
    page.keyboard.press("r")
    page.wait_for_url(f"**/assets/{result.pk}/edit/remove_background/")


def test_downloads_come_in_the_format_and_size_asked_and_named_for_the_project(
    page, live_server, launch
):
    user, project = launch
    asset = generated(user, project, count=1)[0]
    log_in(page, live_server, "dana", PASSWORD)
    page.goto(f"{live_server.url}/assets/{asset.pk}/")
    form = page.get_by_test_id("download-form")
    form.locator("select[name=format]").select_option("jpg")
    form.locator("input[name=scale][value='2']").check()
    with page.expect_download() as info:
        page.get_by_test_id("download").click()
    download = info.value
    assert download.suggested_filename == "launch-red-panda-mascot-1.jpg"
    image = Image.open(download.path())
    assert image.format == "JPEG" and image.size == (640, 640)

    form.locator("input[name=scale][value=width]").check()
    form.locator("input[name=width]").fill("99999")
    page.get_by_test_id("download").click()
    page.locator(".messages").wait_for()
    assert page.url.endswith(f"/assets/{asset.pk}/#download")
    assert "99999 px wide is too large to download here; choose 4096 px or less." in (
        page.inner_text(".messages")
    )


def test_on_a_phone_the_gallery_reflows_and_the_lightbox_swipes_and_opens_tools(
    phone, live_server, launch
):
    page = phone
    user, project = launch
    generated(user, project, count=4)
    log_in(page, live_server, "dana", PASSWORD)
    page.goto(f"{live_server.url}/w/{project.workspace.slug}/gallery/")
    assert no_sideways_scroll(page)
    tiles = page.get_by_test_id("asset-tile")
    tops = [tiles.nth(i).bounding_box()["y"] for i in range(3)]
    assert tops[0] == tops[1] == tops[2]  # three to a row on a phone
    shoot(page, "gallery-390")

    tiles.first.tap()
    assert page.get_by_test_id("lightbox-counter").inner_text() == "1 of 4"
    page.evaluate(
        """() => {
        const fig = document.querySelector('.lightbox-figure');
        const at = (x) => ({touches: [{clientX: x}], changedTouches: [{clientX: x}]});
        fig.dispatchEvent(Object.assign(new Event('touchstart'), at(300)));
        fig.dispatchEvent(Object.assign(new Event('touchend'), at(120)));
    }"""
    )
    assert page.get_by_test_id("lightbox-counter").inner_text() == "2 of 4"
    assert no_sideways_scroll(page)
    shoot(page, "lightbox-390", full_page=False)
    page.get_by_test_id("lightbox-tool-remove_background").tap()
    page.wait_for_url("**/edit/remove_background/")


def test_the_mask_painter_zooms_pans_and_selects_by_rectangle_and_lasso(page, live_server, launch):
    user, project = launch
    asset = store_asset(project=project, user=user, data=png(400, 300))
    log_in(page, live_server, "dana", PASSWORD)
    page.goto(f"{live_server.url}/assets/{asset.pk}/edit/erase_region/")
    canvas = page.get_by_test_id("mask-canvas")
    canvas.wait_for()

    def at(x, y):
        box = canvas.bounding_box()
        return box["x"] + box["width"] * x, box["y"] + box["height"] * y

    def exported():
        data = page.evaluate(
            "async () => Array.from(new Uint8Array("
            "await document.getElementById('id_mask').files[0].arrayBuffer()))"
        )
        return Image.open(io.BytesIO(bytes(data)))

    page.get_by_test_id("mask-rect").click()
    page.mouse.move(*at(0.25, 0.25))
    page.mouse.down()
    page.mouse.move(*at(0.75, 0.75), steps=5)
    page.mouse.up()
    page.wait_for_function(
        "() => document.querySelector('.mask-status').textContent.startsWith('Painted 2')"
    )
    sent = exported()
    assert sent.getpixel((200, 150)) == 255 and sent.getpixel((20, 20)) == 0
    assert sent.getpixel((110, 80)) == 255 and sent.getpixel((90, 60)) == 0

    # A lasso with Erase on cuts a hole in the rectangle.
    page.get_by_test_id("mask-lasso").click()
    page.get_by_test_id("mask-eraser").click()
    page.mouse.move(*at(0.45, 0.45))
    page.mouse.down()
    for x, y in ((0.55, 0.45), (0.55, 0.55), (0.45, 0.55), (0.45, 0.46)):
        page.mouse.move(*at(x, y), steps=3)
    page.mouse.up()
    page.wait_for_function(
        "() => { const f = document.getElementById('id_mask').files[0]; return f && f.size; }"
    )
    page.wait_for_timeout(200)
    sent = exported()
    assert sent.getpixel((200, 150)) == 0 and sent.getpixel((120, 90)) == 255

    # Zoom in, pan with the hand, fit again.
    page.get_by_test_id("mask-zoom-in").click()
    assert page.get_by_test_id("mask-zoom").inner_text() == "150%"
    page.get_by_test_id("mask-hand").click()
    before = canvas.bounding_box()
    page.mouse.move(*at(0.5, 0.5))
    page.mouse.down()
    page.mouse.move(
        before["x"] + before["width"] * 0.5 + 60, before["y"] + before["height"] * 0.5 + 40, steps=4
    )
    page.mouse.up()
    moved = canvas.bounding_box()
    assert moved["x"] > before["x"] and moved["y"] > before["y"]
    shoot(page, "mask-painter-1280", full_page=False)
    page.get_by_test_id("mask-zoom-fit").click()
    assert page.get_by_test_id("mask-zoom").inner_text() == "100%"


def test_on_a_phone_the_mask_painter_paints_with_a_finger_and_pinches_to_zoom(
    phone, live_server, launch
):
    page = phone
    user, project = launch
    asset = store_asset(project=project, user=user, data=png(600, 400))
    log_in(page, live_server, "dana", PASSWORD)
    page.goto(f"{live_server.url}/assets/{asset.pk}/edit/inpaint/")
    page.get_by_test_id("mask-canvas").wait_for()
    assert no_sideways_scroll(page)
    canvas = "[data-testid=mask-canvas]"
    touch(page, canvas, [[(0.3, 0.5), (0.4, 0.5), (0.5, 0.5), (0.6, 0.5)]])
    page.wait_for_function(
        "() => document.querySelector('.mask-status').textContent.startsWith('Painted')"
    )
    painted = page.inner_text(".mask-status")
    # Two fingers moving apart zoom in and paint nothing.
    touch(
        page,
        canvas,
        [[(0.45, 0.5), (0.35, 0.5), (0.2, 0.5)], [(0.55, 0.5), (0.65, 0.5), (0.8, 0.5)]],
    )
    zoom = int(page.inner_text("[data-testid=mask-zoom]").rstrip("%"))
    assert zoom > 200
    assert page.inner_text(".mask-status") == painted
    assert no_sideways_scroll(page)
    shoot(page, "mask-painter-390", full_page=False)

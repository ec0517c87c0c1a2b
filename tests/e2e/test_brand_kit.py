"""A brand manager builds the kit, a designer generates with it, a viewer only looks."""

import pytest

from recraft_studio.brand.models import BrandStyle, Palette
from recraft_studio.jobs.models import Job
from recraft_studio.workspaces.models import Role
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, ProjectFactory
from tests.images import png

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def log_out(page):
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")


def test_a_brand_kit_made_by_a_manager_is_used_by_a_designer_and_only_seen_by_a_viewer(
    page, live_server, celery_worker, fresh_sandbox, member, tmp_path
):
    _, manager = member(Role.BRAND_MANAGER, username="bree")
    workspace = manager.workspace
    member(Role.DESIGNER, workspace=workspace, username="dana")
    member(Role.VIEWER, workspace=workspace, username="vince")
    project = ProjectFactory(workspace=workspace, name="Autumn launch")
    refs = [tmp_path / "warm.png", tmp_path / "cool.png"]
    refs[0].write_bytes(png(color=(220, 120, 40)))
    refs[1].write_bytes(png(color=(40, 90, 160)))

    # The brand manager finds the brand kit from the workspace page and makes a style.
    log_in(page, live_server, "bree", PASSWORD)
    page.goto(f"{live_server.url}/w/{workspace.slug}/")
    page.get_by_test_id("tab-brand").click()
    page.get_by_test_id("new-style").click()
    page.fill("input[name=name]", "House look")
    page.select_option("select[name=base_style]", "digital_illustration")
    page.set_input_files("input[name=references]", [str(p) for p in refs])
    page.get_by_test_id("create-style").click()
    page.get_by_test_id("style-name").wait_for()
    assert page.get_by_test_id("style-name").inner_text() == "House look"
    # The API makes the style as a job; the page follows it, then shows the style's id.
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=style-status]')"
        " && !document.querySelector('[data-testid=style-id]').innerText.includes('being made')",
        timeout=60_000,
    )
    style = BrandStyle.objects.get(workspace=workspace)
    assert page.get_by_test_id("style-id").inner_text() == str(style.style_id)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=reference-strip] img')]"
        ".filter(img => img.complete && img.naturalWidth > 0).length === 2"
    )

    # ...and a palette: one colour typed, one picked, one added with htmx, a background.
    page.goto(f"{live_server.url}/w/{workspace.slug}/brand/")
    page.get_by_test_id("new-palette").click()
    page.fill("#palette-form input[name=name]", "Autumn")
    rows = page.locator("#palette-form li.color-row")
    rows.nth(0).locator("input[name=color]").fill("#c81e28")
    rows.nth(1).locator("input[type=color]").fill("#1428c8")
    assert rows.nth(1).locator("input[name=color]").input_value() == "#1428c8"  # kept in step
    page.get_by_test_id("add-color").click()
    page.locator("#palette-form li.color-row").nth(3).wait_for()
    page.locator("#palette-form li.color-row").nth(3).locator("input[name=color]").fill(
        "20, 200, 40"
    )
    page.fill("#palette-form input[name=background]", "#fafaf0")
    page.get_by_test_id("save-palette").click()
    page.wait_for_url("**/brand/#palette-*")
    palette = Palette.objects.get(workspace=workspace)
    assert palette.colors == [[200, 30, 40], [20, 40, 200], [20, 200, 40]]
    assert palette.background == [250, 250, 240]
    assert page.get_by_test_id("palette").count() == 1
    log_out(page)

    # The designer picks both on the project page and generates.
    log_in(page, live_server, "dana", PASSWORD)
    page.goto(f"{live_server.url}/w/{workspace.slug}/p/{project.slug}/")
    page.fill("textarea[name=prompt]", "a lighthouse at dusk")
    page.select_option("select[name=style]", f"brand:{style.pk}")
    page.get_by_test_id("colours").locator("summary").click()
    page.select_option("select[name=palette]", str(palette.pk))
    page.get_by_test_id("generate").click()
    page.locator(".job[data-status=done]").wait_for(timeout=60_000)

    sent = fresh_sandbox.requests(path="/v1/images/generations")
    assert len(sent) == 1
    params = sent[0]["params"]
    assert params["style_id"] == str(style.style_id) and "style" not in params
    assert params["controls"]["colors"] == [
        {"rgb": [200, 30, 40]},
        {"rgb": [20, 40, 200]},
        {"rgb": [20, 200, 40]},
    ]
    assert params["controls"]["background_color"] == {"rgb": [250, 250, 240]}
    log_out(page)

    # The viewer sees the project and the kit, no generate button, and cannot post anyway.
    log_in(page, live_server, "vince", PASSWORD)
    project_url = f"{live_server.url}/w/{workspace.slug}/p/{project.slug}/"
    page.goto(project_url)
    assert page.get_by_test_id("generate").count() == 0
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        project_url,
        form={
            "prompt": "sneaky",
            "model": "recraftv3",
            "style": f"brand:{style.pk}",
            "size": "1024x1024",
            "n": "1",
            "csrfmiddlewaretoken": csrf,
        },
        headers={"X-CSRFToken": csrf, "Referer": project_url},
    )
    assert response.status == 403
    # Refused for the role (the studio's 403 page says why), not for the form.
    assert "Your role in this workspace cannot generate images." in response.text()
    assert Job.objects.filter(project=project).count() == 1
    page.goto(f"{live_server.url}/w/{workspace.slug}/brand/")
    assert page.get_by_test_id("new-style").count() == 0
    assert page.get_by_test_id("brand-style").count() == 1

"""A person logs in, types a prompt, and watches the images appear."""

import pytest

from recraft_studio.assets.models import Asset
from recraft_studio.workspaces.models import Role
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_log_in_submit_a_prompt_and_see_the_images_appear(
    page, live_server, celery_worker, fresh_sandbox, member
):
    user, membership = member(Role.DESIGNER, username="dana")
    project = ProjectFactory(workspace=membership.workspace, name="Spring launch")
    log_in(page, live_server, "dana", PASSWORD)
    page.goto(f"{live_server.url}/w/{project.workspace.slug}/p/{project.slug}/")
    assert page.get_by_test_id("sandbox-badge").is_visible()

    page.fill("textarea[name=prompt]", "a red panda mascot waving")
    page.select_option("select[name=style]", "digital_illustration")
    page.fill("input[name=n]", "2")
    page.get_by_test_id("generate").click()

    page.locator(".job[data-status=done]").wait_for(timeout=60_000)
    tiles = page.get_by_test_id("asset-tile")
    tiles.nth(1).wait_for()
    assert tiles.count() == 2
    # The thumbnails really load (a decoded image has a width), from the studio itself.
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=asset-tile] img')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )
    for img in page.locator("[data-testid=asset-tile] img").all():
        assert img.get_attribute("src").startswith("/assets/")
    assert Asset.objects.filter(project=project).count() == 2


def test_a_prompt_over_1000_bytes_is_refused_on_the_form(page, live_server, member):
    user, membership = member(Role.DESIGNER, username="erin")
    project = ProjectFactory(workspace=membership.workspace)
    log_in(page, live_server, "erin", PASSWORD)
    page.goto(f"{live_server.url}/w/{project.workspace.slug}/p/{project.slug}/")
    page.fill("textarea[name=prompt]", "ü" * 600)
    page.get_by_test_id("generate").click()
    error = page.locator("#field-prompt .field-error")
    error.wait_for()
    assert "1200 bytes" in error.inner_text()
    assert page.locator(".job").count() == 0

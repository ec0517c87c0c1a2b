"""Errors in the form's words, the studio's 403 and 404 pages, workspace tabs, and projects
renamed and archived."""

import pytest

from recraft_studio.audit.models import AuditEvent
from recraft_studio.jobs.models import Job
from recraft_studio.workspaces.models import Project, Role
from tests.assets.conftest import store_asset
from tests.e2e.conftest import log_in, no_sideways_scroll, shoot
from tests.factories import PASSWORD, ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

API_WORDS = ("text_layout", "recraftv2", "recraftv3", "n must", "style_id", "controls")


def test_errors_name_the_forms_labels_and_say_how_to_fix_them(page, live_server, member):
    _, membership = member(Role.DESIGNER, username="dana")
    workspace = membership.workspace
    project = ProjectFactory(workspace=workspace, name="Launch")
    log_in(page, live_server, "dana", PASSWORD)
    page.goto(f"{live_server.url}/w/{workspace.slug}/p/{project.slug}/")
    form = page.locator("#generate-form")
    form.locator("textarea[name=prompt]").fill("a sale poster")
    form.locator("select[name=model]").select_option("recraftv2")
    form.get_by_test_id("words").locator("summary").click()
    form.locator("textarea[name=text_layout]").fill("SALE 10 10 30 10")
    form.locator("input[name=n]").fill("9")
    page.get_by_test_id("generate").click()
    page.locator("#field-n .field-error").wait_for()
    errors = page.locator("#generate-form .field-error").all_inner_texts()
    assert "Images: choose a whole number from 1 to 6." in errors
    assert (
        "Words in the image work with Recraft V3 only: switch Model to Recraft V3, "
        "or remove the words."
    ) in errors
    assert not any(word in " ".join(errors) for word in API_WORDS)
    shoot(page, "errors-1280")

    # Refused by job submission (the monthly budget): said on the form, nothing queued.
    workspace.monthly_budget = 10
    workspace.save()
    page.locator("#generate-form select[name=model]").select_option("recraftv3")
    page.locator("#generate-form input[name=n]").fill("1")
    page.locator("#generate-form textarea[name=text_layout]").fill("")
    page.get_by_test_id("generate").click()
    page.locator("#generate-form .errors").wait_for()
    assert "An owner can raise the budget" in page.inner_text("#generate-form .errors")
    assert not Job.objects.exists()


def test_forbidden_and_missing_pages_are_the_studios_with_a_way_back(page, live_server, member):
    _, owner = member(Role.OWNER, username="olive")
    workspace = owner.workspace
    member(Role.VIEWER, workspace=workspace, username="vince")
    project = ProjectFactory(workspace=workspace, name="Launch")
    log_in(page, live_server, "vince", PASSWORD)
    page.goto(f"{live_server.url}/w/{workspace.slug}/p/{project.slug}/")
    tabs = page.get_by_test_id("workspace-tabs")
    assert tabs.get_by_test_id("tab-projects").get_attribute("aria-current") == "page"
    assert tabs.get_by_test_id("tab-audit").count() == 0  # owners only

    # A viewer who follows a link to a tool gets the studio's 403, with a way back.
    asset = store_asset(project=project)
    page.goto(f"{live_server.url}/assets/{asset.pk}/")
    page.evaluate(
        "url => { const a = document.createElement('a'); a.href = url; a.id = 'go';"
        " a.textContent = 'Inpaint'; document.body.append(a); }",
        f"/assets/{asset.pk}/edit/inpaint/",
    )
    page.click("#go")
    page.get_by_test_id("error-page").wait_for()
    assert "You can’t do that here" in page.inner_text("h1")
    assert "cannot edit images" in page.inner_text("[data-testid=error-reason]")
    shoot(page, "forbidden-1280")
    page.get_by_test_id("error-back").click()
    page.wait_for_url(f"**/assets/{asset.pk}/")

    page.goto(f"{live_server.url}/w/{workspace.slug}/p/no-such-project/")
    assert page.get_by_test_id("error-page").is_visible()
    assert "This page isn’t here" in page.inner_text("h1")
    shoot(page, "not-found-1280")
    page.get_by_test_id("error-home").click()
    page.wait_for_url(f"**/w/{workspace.slug}/")


def test_an_owner_renames_and_archives_a_project_on_a_phone(phone, live_server, member):
    page = phone
    _, owner = member(Role.OWNER, username="olive")
    workspace = owner.workspace
    project = ProjectFactory(workspace=workspace, name="Spring", slug="spring")
    log_in(page, live_server, "olive", PASSWORD)
    page.goto(f"{live_server.url}/w/{workspace.slug}/p/spring/settings/")
    assert no_sideways_scroll(page)
    page.fill("input[name=name]", "Spring 2026")
    page.get_by_test_id("rename").click()
    page.wait_for_load_state()
    assert "The project is now called Spring 2026." in page.inner_text(".messages")
    page.locator("[data-testid=archive-project] summary").tap()
    page.get_by_test_id("archive").tap()
    page.wait_for_url(f"**/w/{workspace.slug}/")
    assert page.locator(".cards").count() == 0  # no active project is listed
    archived = page.get_by_test_id("archived-projects")
    archived.locator("summary").tap()
    archived.get_by_role("link", name="Spring 2026").tap()
    page.wait_for_url("**/p/spring/")
    assert page.get_by_test_id("archived-notice").is_visible()
    assert no_sideways_scroll(page)
    shoot(page, "archived-project-390")
    project = Project.objects.get(pk=project.pk)
    assert project.name == "Spring 2026" and project.is_archived
    verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert {"project.renamed", "project.archived"} <= verbs

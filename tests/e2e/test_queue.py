"""The queue explained, in the browser: why a job waits and for how long, the queue
panel by person, and an owner pausing and resuming a project."""

import pytest

from recraft_studio.jobs.accounts import account_of, credentials_for, rate_limiter, redis_client
from recraft_studio.workspaces.models import Role
from tests.e2e.conftest import ARTIFACTS, log_in
from tests.factories import PASSWORD, ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def occupy_the_window(workspace, n: int) -> str:
    """As if the team's account had just sent `n` images: the window has no room."""
    account = account_of(credentials_for(workspace))
    window = rate_limiter()._keys(account)[0]
    now = float(redis_client().time()[0])
    redis_client().zadd(window, {f"earlier-{i}": now + 45 for i in range(n)})
    return account


def test_a_waiting_card_says_why_and_the_queue_panel_shows_each_persons_share(
    page, live_server, celery_worker, fresh_sandbox, member
):
    owner, owner_m = member(Role.OWNER, username="olga")
    workspace = owner_m.workspace
    member(Role.DESIGNER, workspace=workspace, username="dana")
    project = ProjectFactory(workspace=workspace, name="Launch", slug="launch")
    project_url = f"{live_server.url}/w/{workspace.slug}/p/{project.slug}/"
    queue_url = f"{live_server.url}/w/{workspace.slug}/queue/"

    # The owner pauses the project from the queue panel.
    log_in(page, live_server, "olga", PASSWORD)
    page.goto(queue_url)
    page.get_by_test_id("pause-launch").click()
    page.get_by_test_id("resume-launch").wait_for()
    page.context.clear_cookies()

    # A designer asks for an image: the card says the project is paused.
    log_in(page, live_server, "dana", PASSWORD)
    page.goto(project_url)
    page.fill("textarea[name=prompt]", "a red panda mascot waving")
    page.select_option("select[name=style]", "digital_illustration")
    page.get_by_test_id("generate").click()
    reason = page.get_by_test_id("job-reason")
    reason.wait_for()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=job-reason]').innerText.includes('paused')"
    )
    assert "an owner paused this project's queue" in reason.inner_text()

    # The team's minute is used up: once resumed, the card says its place and the wait.
    occupy_the_window(workspace, 100)
    page.context.clear_cookies()
    log_in(page, live_server, "olga", PASSWORD)
    page.goto(queue_url)
    people = page.get_by_test_id("queue-people")
    assert "dana" in people.inner_text() and "1 job (1 image)" in people.inner_text()
    page.get_by_test_id("resume-launch").click()
    page.get_by_test_id("pause-launch").wait_for()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.job-reason')]"
        ".some(e => e.innerText.includes('in line for your team'))"
    )
    text = page.locator(".job-reason").first.inner_text()
    assert text.startswith("1st in line for your team's 100 images/min, about")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "queue-panel-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / "queue-panel-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    # When the window frees, the job runs to its end and the card stops waiting.
    rate_limiter().clear(account_of(credentials_for(workspace)))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(project_url)
    page.locator(".job[data-status=done]").wait_for(timeout=60_000)

"""In the browser: pick images in the gallery, gather them in a collection, approve them,
hand them off as a zip; and an owner reads the spend page and sets a project budget."""

import io
import json
import zipfile
from pathlib import Path

import pytest

from recraft_studio.assets.models import AssetState, Collection
from recraft_studio.audit.ledger import ledger_charge
from recraft_studio.audit.services import audit_record
from recraft_studio.workspaces.models import Role
from tests.assets.conftest import store_asset
from tests.e2e.conftest import ARTIFACTS, log_in
from tests.factories import PASSWORD, ProjectFactory
from tests.images import png

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def shoot(page, name, width):
    """A screenshot at a width, for a person to look at (test-artifacts/)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": width, "height": 1000})
    page.screenshot(path=str(Path(ARTIFACTS) / f"{name}-{width}.png"), full_page=True)


def test_multi_select_into_a_collection_approve_and_export(
    page, live_server, celery_worker, member
):
    user, manager = member(Role.BRAND_MANAGER, username="bree")
    project = ProjectFactory(workspace=manager.workspace, name="Spring launch")
    colours = [(200, 40, 40), (40, 160, 60), (40, 60, 200), (220, 180, 30), (120, 40, 160)]
    assets = [
        store_asset(project=project, user=user, data=png(320, 240, c), prompt=f"poster {i}")
        for i, c in enumerate(colours)
    ]
    newest_first = list(reversed(assets))
    log_in(page, live_server, "bree", PASSWORD)
    page.goto(f"{live_server.url}/w/{manager.workspace.slug}/gallery/")
    page.get_by_test_id("asset-tile").first.wait_for()
    shoot(page, "gallery", 1280)

    # Click the first tile's box, shift-click the third: three images are picked.
    boxes = page.locator("input[data-select-asset]")
    boxes.nth(0).check(force=True)
    boxes.nth(2).click(modifiers=["Shift"], force=True)
    assert page.get_by_test_id("selected-count").inner_text() == "3 images selected"
    # Once something is picked, a click on a tile picks it instead of opening it.
    page.get_by_test_id("asset-tile").nth(4).click()
    assert page.get_by_test_id("selected-count").inner_text() == "4 images selected"
    assert page.url.endswith("/gallery/")

    page.get_by_test_id("bulk-new-collection").fill("Spring hand-off")
    page.get_by_test_id("bulk-collect").click()
    page.get_by_test_id("bulk-result").wait_for()
    assert "Added 4 images to “Spring hand-off”" in page.get_by_test_id("bulk-result").inner_text()
    collection = Collection.objects.get(name="Spring hand-off")
    picked = [newest_first[i] for i in (0, 1, 2, 4)]
    assert [i.asset_id for i in collection.items.order_by("position")] == [a.pk for a in picked]

    # In the collection: select all on the page, approve.
    page.get_by_test_id("tab-collections").click()
    page.get_by_test_id("collection-link").click()
    page.get_by_test_id("collection-item").first.wait_for()
    page.get_by_test_id("select-all").click()
    assert page.get_by_test_id("selected-count").inner_text() == "4 images selected"
    page.get_by_test_id("bulk-approve").click()
    page.get_by_test_id("bulk-result").wait_for()
    page.locator("[data-testid=collection-item] [data-testid=state-badge]").nth(3).wait_for()
    assert page.locator("[data-testid=state-badge]").all_inner_texts() == ["Approved"] * 4
    for asset in picked:
        asset.refresh_from_db()
        assert asset.state == AssetState.APPROVED and asset.approved_by == user
    shoot(page, "collection", 1280)
    shoot(page, "collection", 390)
    page.set_viewport_size({"width": 1280, "height": 1000})

    # Export the approved set; the page follows the worker to the link.
    page.get_by_test_id("export-approved-only").check()
    page.get_by_test_id("export-button").click()
    card = page.locator("[data-testid=export-card][data-status=done]")
    card.wait_for(timeout=60_000)
    shoot(page, "export", 1280)
    link = page.get_by_test_id("export-link").input_value()
    response = page.request.get(link)
    assert response.status == 200
    archive = zipfile.ZipFile(io.BytesIO(response.body()))
    manifest = json.loads(archive.read("manifest.json"))
    assert [row["id"] for row in manifest["assets"]] == [str(a.pk) for a in picked]
    assert {row["approved_by"] for row in manifest["assets"]} == {"bree"}


def test_an_owner_reads_the_spend_page_and_sets_a_project_budget(page, live_server, member):
    owner, membership = member(Role.OWNER, username="olga")
    workspace = membership.workspace
    workspace.monthly_budget = 2000
    workspace.save()
    launch = ProjectFactory(workspace=workspace, name="Launch")
    autumn = ProjectFactory(workspace=workspace, name="Autumn")
    for project, units, operation in [(launch, 900, "generate"), (autumn, 760, "vectorize")]:
        event = audit_record(
            workspace=workspace,
            project=project,
            actor=owner,
            verb="job.charged",
            actual_cost=units,
            data={"operation": operation, "images": 1},
        )
        ledger_charge(event=event, user_id=owner.pk, operation=operation, charged=units, images=1)

    log_in(page, live_server, "olga", PASSWORD)
    page.goto(f"{live_server.url}/w/{workspace.slug}/")
    assert (
        "83 % of the monthly budget of the workspace is used"
        in page.get_by_test_id("budget-warning").inner_text()
    )
    page.get_by_test_id("tab-spend").click()
    page.get_by_test_id("spend-summary").wait_for()
    assert page.get_by_test_id("spend-charged").inner_text() == "1,660 units"
    for kind in ("cumulative", "days", "people", "tools", "projects"):
        chart = page.get_by_test_id(f"chart-{kind}")
        chart.scroll_into_view_if_needed()
        page.wait_for_function(
            "(img) => img.complete && img.naturalWidth > 0", arg=chart.element_handle()
        )
    assert "Vectorize" in page.get_by_test_id("table-tools").inner_text()
    shoot(page, "spend", 1280)
    shoot(page, "spend", 390)
    page.set_viewport_size({"width": 1280, "height": 1000})

    row = page.get_by_test_id("project-budget-row").filter(has_text="Launch")
    row.get_by_test_id("project-budget-input").fill("1000")
    with page.expect_navigation():
        row.get_by_test_id("project-budget-save").click()
    launch.refresh_from_db()
    assert launch.monthly_budget == 1000
    assert "Launch's monthly budget is now 1,000 API units." in page.content()
    row = page.get_by_test_id("project-budget-row").filter(has_text="Launch")
    assert "(90 %)" in row.inner_text()

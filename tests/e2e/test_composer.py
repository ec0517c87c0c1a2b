"""A designer composes a request: model, style and substyle in step, pictures, price, colours,
and words placed by hand on a canvas; on a desktop and on a phone."""

import pytest

from recraft_studio.jobs.models import Job
from recraft_studio.workspaces.models import Role
from tests.brand.factories import PaletteFactory
from tests.e2e.conftest import log_in, no_sideways_scroll, shoot, touch
from tests.factories import PASSWORD, ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def project(member):
    _, membership = member(Role.DESIGNER, username="dana")
    PaletteFactory(
        workspace=membership.workspace,
        name="Spring",
        colors=[[230, 57, 70], [29, 53, 87]],
        background=[241, 250, 238],
    )
    return ProjectFactory(workspace=membership.workspace, name="Launch")


def open_project(page, live_server, project):
    log_in(page, live_server, "dana", PASSWORD)
    page.goto(f"{live_server.url}/w/{project.workspace.slug}/p/{project.slug}/")
    page.locator("[data-testid=style-browse]").wait_for()


def lines(page) -> list[tuple[str, list[float]]]:
    """The words field as (word, [left, top, width, height]) per line."""
    text = page.input_value("#generate-form textarea[name=text_layout]")
    return [(line.split()[0], [float(v) for v in line.split()[1:]]) for line in text.splitlines()]


def cost(page) -> str:
    return page.get_by_test_id("cost").locator("[data-cost-text]").inner_text()


def test_model_style_and_substyle_follow_each_other_and_the_price_follows_them(
    page, live_server, project
):
    open_project(page, live_server, project)
    assert cost(page) == "Costs 40 API units ($0.04): 1 image × 40."
    page.fill("#generate-form textarea[name=prompt]", "a red panda mascot waving")
    page.select_option("#generate-form select[name=style]", "digital_illustration")
    page.select_option("#generate-form select[name=substyle]", "noir")

    # Recraft V2 has no Noir: the substyle is cleared and the page says so.
    page.select_option("#generate-form select[name=model]", "recraftv2")
    assert page.input_value("#generate-form select[name=substyle]") == ""
    assert "Noir is not a substyle of Digital illustration on Recraft V2" in page.inner_text(
        "[data-testid=composer-note]"
    )
    styles = page.eval_on_selector_all(
        "#generate-form select[name=style] option", "options => options.map(o => o.value)"
    )
    assert "any" not in styles and "icon" in styles
    page.fill("#generate-form input[name=n]", "3")
    assert cost(page) == "Costs 66 API units ($0.07): 3 images × 22."
    page.select_option("#generate-form select[name=style]", "icon")
    assert cost(page) == "Costs 132 API units ($0.13): 3 images × 44."
    page.fill("#generate-form input[name=n]", "9")
    assert cost(page) == "44 API units an image ($0.04); choose 1 to 6 images."

    # Back on V3, Icon is not offered: the style changes and the page says so.
    page.select_option("#generate-form select[name=model]", "recraftv3")
    assert page.input_value("#generate-form select[name=style]") == "any"
    assert "Icon is not offered by Recraft V3" in page.inner_text("[data-testid=composer-note]")
    page.fill("#generate-form input[name=n]", "2")

    # The picture picker: a picture per style and per substyle.
    page.get_by_test_id("style-browse").click()
    picker = page.get_by_test_id("style-picker")
    picker.get_by_test_id("style-card-vector_illustration").click()
    assert page.input_value("#generate-form select[name=style]") == "vector_illustration"
    card = picker.get_by_test_id("substyle-card-line_art")
    assert (
        card.locator("img")
        .get_attribute("src")
        .endswith("img/styles/vector_illustration/line_art.webp")
    )
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=style-picker] img')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )
    shoot(page, "composer-picker-1280", full_page=False)
    card.click()
    page.keyboard.press("Escape")
    assert not picker.is_visible()
    assert page.input_value("#generate-form select[name=substyle]") == "line_art"
    assert cost(page) == "Costs 160 API units ($0.16): 2 images × 80."

    # A palette fills the colours, which can be changed for this run only.
    page.get_by_test_id("colours").locator("summary").click()
    page.select_option("#generate-form select[name=palette]", label="Spring")
    assert page.input_value("#generate-form input[name=colors]") == "#e63946 #1d3557"
    assert page.input_value("#generate-form input[name=background_color]") == "#f1faee"
    page.get_by_test_id("colour-add").click()
    page.fill("#generate-form input[name=colors]", "#e63946 #1d3557 #ffb703")
    page.dispatch_event("#generate-form input[name=colors]", "change")
    assert page.get_by_test_id("colour-swatches").locator("input[type=color]").count() == 3
    shoot(page, "composer-1280")

    page.get_by_test_id("generate").click()
    page.locator(".job").first.wait_for()
    job = Job.objects.get()
    assert job.params["model"] == "recraftv3" and job.params["style"] == "vector_illustration"
    assert job.params["substyle"] == "line_art" and job.estimated_cost == 160
    assert job.params["controls"] == {
        "colors": [{"rgb": [230, 57, 70]}, {"rgb": [29, 53, 87]}, {"rgb": [255, 183, 3]}],
        "background_color": {"rgb": [241, 250, 238]},
    }


def test_words_are_placed_by_drawing_boxes_and_checked_as_they_are_typed(
    page, live_server, project
):
    open_project(page, live_server, project)
    page.fill("#generate-form textarea[name=prompt]", "a sale poster")
    page.get_by_test_id("words").locator("summary").click()
    stage = page.get_by_test_id("text-layout-stage")
    stage.scroll_into_view_if_needed()
    total = 1.3  # the canvas shows a 15% margin around the image on each side

    def at(x, y):  # image-relative → page coordinates, wherever the page has scrolled to
        box = stage.bounding_box()
        return (
            box["x"] + box["width"] * (x + 0.15) / total,
            box["y"] + box["height"] * (y + 0.15) / total,
        )

    page.mouse.move(*at(0.2, 0.4))
    page.mouse.down()
    page.mouse.move(*at(0.6, 0.6), steps=6)
    page.mouse.up()
    page.keyboard.type("SALÉ")
    warnings = page.get_by_test_id("text-layout-warnings")
    assert "“É” cannot be drawn" in warnings.inner_text()
    page.keyboard.press("Backspace")
    page.keyboard.type("E")
    assert "cannot be drawn" not in warnings.inner_text()
    assert lines(page) == [("SALE", pytest.approx([20, 40, 40, 20], abs=1))]

    # A second word, drawn past the edge; then dragged wholly off the image.
    page.mouse.move(*at(0.9, 0.05))
    page.mouse.down()
    page.mouse.move(*at(1.1, 0.15), steps=4)
    page.mouse.up()
    page.keyboard.type("NOW")
    assert "“NOW” is mostly outside the image" in warnings.inner_text()
    word = page.get_by_test_id("text-layout-box").nth(1)
    start = word.bounding_box()
    page.mouse.move(start["x"] + 3, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + 60, start["y"] + start["height"] / 2 - 40, steps=5)
    page.mouse.up()
    assert "“NOW” is entirely outside the image: it will not be visible." in warnings.inner_text()
    # The first box grows from its corner.
    handle = page.get_by_test_id("text-layout-box").first.locator(".tl-se").bounding_box()
    page.mouse.move(handle["x"] + 5, handle["y"] + 5)
    page.mouse.down()
    page.mouse.move(*at(0.7, 0.7), steps=4)
    page.mouse.up()
    assert lines(page)[0] == ("SALE", pytest.approx([20, 40, 50, 30], abs=1))
    shoot(page, "words-1280")

    # The boxes go past the edge as the docs allow: the API is sent what was drawn.
    page.get_by_test_id("text-layout-box").nth(1).focus()
    page.keyboard.press("Delete")
    assert [word for word, _ in lines(page)] == ["SALE"]
    page.get_by_test_id("generate").click()
    page.locator(".job").first.wait_for()
    layout = Job.objects.get().params["text_layout"]
    assert [item["text"] for item in layout] == ["SALE"]
    corners = [c for point in layout[0]["bbox"] for c in point]
    assert corners == pytest.approx([0.2, 0.4, 0.7, 0.4, 0.7, 0.7, 0.2, 0.7], abs=0.01)


def test_on_a_phone_the_form_stacks_and_words_are_placed_by_touch(phone, live_server, project):
    page = phone
    open_project(page, live_server, project)
    assert no_sideways_scroll(page)
    model = page.locator("#field-model").bounding_box()
    size = page.locator("#field-size").bounding_box()
    assert size["y"] >= model["y"] + model["height"]  # stacked, not side by side
    page.get_by_test_id("style-browse").click()
    picker = page.get_by_test_id("style-picker").bounding_box()
    assert picker["width"] >= 380  # the picker takes the whole screen
    shoot(page, "composer-picker-390", full_page=False)
    page.get_by_test_id("style-done").click()

    page.get_by_test_id("words").locator("summary").click()
    touch(page, "[data-testid=text-layout-stage]", [[(0.3, 0.3), (0.5, 0.4), (0.7, 0.5)]])
    page.get_by_test_id("text-layout-word").first.fill("HELLO")
    text = page.input_value("#generate-form textarea[name=text_layout]")
    assert text.startswith("HELLO ") and len(text.split()) == 5
    assert no_sideways_scroll(page)
    shoot(page, "composer-390")

"""Palettes: made, edited and deleted by brand managers, from typed, picked or sampled colours."""

import io

import pytest
from django.urls import reverse
from PIL import Image, ImageDraw

from recraft_studio.audit.models import AuditEvent
from recraft_studio.brand.forms import row_value
from recraft_studio.brand.models import Palette
from recraft_studio.workspaces.models import Role
from tests.brand.factories import PaletteFactory, stored_asset
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(member):
    user, membership = member(Role.BRAND_MANAGER)
    return user, membership, membership.workspace


def new_url(workspace):
    return reverse("palette_create", args=[workspace.slug])


def rows(*triples):
    """POST data for colour rows given as (text, pick, orig) triples."""
    return {
        "color": [t for t, _, _ in triples],
        "color_pick": [p for _, p, _ in triples],
        "color_orig": [o for _, _, o in triples],
    }


# --- what a row means -------------------------------------------------------------------


def test_typed_text_wins_over_the_picker_when_both_changed():
    assert row_value("#112233", "#aabbcc", "#000000") == "#112233"


def test_the_picker_counts_when_only_it_changed_which_is_how_it_works_without_javascript():
    assert row_value("", "#00ff00", "") == "#00ff00"
    assert row_value("#ff0000", "#00ff00", "#ff0000") == "#00ff00"


def test_an_untouched_empty_row_stays_empty():
    assert row_value("", "#808080", "") == ""


# --- creating ----------------------------------------------------------------------------


def test_a_brand_manager_saves_a_palette_from_typed_and_picked_colours(manager, logged_in):
    user, _, workspace = manager
    data = {
        "name": "Spring",
        **rows(("#FF0000", "#808080", ""), ("", "#00ff00", ""), ("10, 20, 30", "#808080", "")),
        "background": "#ffffff",
        "background_pick": "#808080",
        "background_orig": "",
    }
    response = logged_in(user).post(new_url(workspace), data)

    palette = Palette.objects.get(workspace=workspace)
    assert response.status_code == 302
    assert (
        response["Location"]
        == reverse("brand_kit", args=[workspace.slug]) + f"#palette-{palette.pk}"
    )
    assert palette.name == "Spring"
    assert palette.colors == [[255, 0, 0], [0, 255, 0], [10, 20, 30]]
    assert palette.background == [255, 255, 255]
    assert palette.to_controls() == {
        "colors": [{"rgb": [255, 0, 0]}, {"rgb": [0, 255, 0]}, {"rgb": [10, 20, 30]}],
        "background_color": {"rgb": [255, 255, 255]},
    }
    event = AuditEvent.objects.get(verb="palette.created")
    assert event.actor == user and event.target_id == str(palette.pk)
    assert event.data["colors"] == ["#ff0000", "#00ff00", "#0a141e"]


def test_a_colour_that_is_not_one_is_reported_on_its_row_and_nothing_is_saved(manager, logged_in):
    user, _, workspace = manager
    data = {"name": "Bad", **rows(("#ff0000", "", ""), ("blurple", "", "")), "background": ""}
    response = logged_in(user).post(new_url(workspace), data)

    assert response.status_code == 200
    assert not Palette.objects.exists() and not AuditEvent.objects.exists()
    errors = response.context["form"].errors["colors"]
    assert errors == [
        "Colour 2: 'blurple' is not a colour; use #RRGGBB or red, green, blue (0–255)."
    ]
    body = response.content.decode()
    assert 'value="blurple"' in body  # what was typed is kept for correcting
    assert "Colour 2: &#x27;blurple&#x27; is not a colour" in body


@pytest.mark.parametrize(
    "data, field, message",
    [
        (
            {"name": "Empty", "color": ["", ""], "background": ""},
            "colors",
            "Add at least one colour.",
        ),
        ({"name": "", "color": ["#ff0000"]}, "name", "Name is required: fill it in."),
        ({"name": "BG", "color": ["#ff0000"], "background": "#12"}, "background", "Background:"),
        ({"name": "Big", "color": ["#010101"] * 13}, "colors", "at most 12 colours"),
    ],
)
def test_bad_palettes_are_refused_on_the_right_field(manager, logged_in, data, field, message):
    user, _, workspace = manager
    response = logged_in(user).post(new_url(workspace), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Palette.objects.exists()


def test_a_name_is_used_once_per_workspace_whatever_its_case(manager, logged_in):
    user, _, workspace = manager
    PaletteFactory(workspace=workspace, name="Spring")
    response = logged_in(user).post(new_url(workspace), {"name": "spring", "color": ["#ff0000"]})
    assert "already has a palette named 'spring'" in response.context["form"].errors["name"][0]
    assert Palette.objects.count() == 1


def test_another_workspace_may_use_the_same_name(manager, member, logged_in):
    user, _, workspace = manager
    _, other = member(Role.OWNER)
    PaletteFactory(workspace=other.workspace, name="Spring")
    logged_in(user).post(new_url(workspace), {"name": "Spring", "color": ["#ff0000"]})
    assert Palette.objects.filter(workspace=workspace, name="Spring").exists()


def test_adding_a_colour_row_saves_nothing_and_htmx_gets_only_the_form(manager, logged_in):
    user, _, workspace = manager
    data = {"name": "Draft", **rows(("#ff0000", "#ff0000", "#ff0000")), "op": "add"}
    response = logged_in(user).post(
        new_url(workspace), data, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="palette-form"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<form id="palette-form"')
    assert body.count('name="color"') == 2
    assert 'value="Draft"' in body and "field-error" not in body
    assert not Palette.objects.exists()


def test_removing_a_row_drops_that_colour_only(manager, logged_in):
    user, _, workspace = manager
    data = {
        "name": "Draft",
        **rows(("#ff0000", "", "#ff0000"), ("#00ff00", "", "#00ff00")),
        "op": "remove:0",
    }
    response = logged_in(user).post(new_url(workspace), data)
    assert [row.text for row in response.context["form"].rows] == ["#00ff00"]
    assert not Palette.objects.exists()


# --- editing and deleting -----------------------------------------------------------------


def test_editing_a_palette_changes_it_and_audits_before_and_after(manager, logged_in):
    user, _, workspace = manager
    palette = PaletteFactory(workspace=workspace, name="Old", colors=[[1, 2, 3]])
    url = reverse("palette", args=[workspace.slug, palette.pk])
    page = logged_in(user).get(url).content.decode()
    assert 'value="#010203"' in page and 'type="color"' in page

    logged_in(user).post(url, {"name": "New", **rows(("#010203", "#ffffff", "#010203"))})

    palette.refresh_from_db()
    assert palette.name == "New" and palette.colors == [[255, 255, 255]]
    event = AuditEvent.objects.get(verb="palette.updated")
    assert event.data["before"]["colors"] == ["#010203"]
    assert event.data["after"] == {"name": "New", "colors": ["#ffffff"], "background": ""}


def test_deleting_a_palette_removes_it_and_any_project_default_on_it(manager, logged_in):
    user, _, workspace = manager
    palette = PaletteFactory(workspace=workspace)
    project = ProjectFactory(workspace=workspace, default_palette=palette)
    response = logged_in(user).post(reverse("palette_delete", args=[workspace.slug, palette.pk]))
    assert response.status_code == 302
    assert not Palette.objects.exists()
    project.refresh_from_db()
    assert project.default_palette is None
    assert AuditEvent.objects.get(verb="palette.deleted").actor == user


# --- roles ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.DESIGNER, Role.VIEWER])
def test_designers_and_viewers_cannot_create_edit_delete_or_extract_palettes(
    member, logged_in, role
):
    user, membership = member(role)
    workspace = membership.workspace
    palette = PaletteFactory(workspace=workspace, name="Kept", colors=[[1, 2, 3]])
    client = logged_in(user)
    data = {"name": "Changed", "color": ["#ffffff"]}

    assert client.get(new_url(workspace)).status_code == 403
    assert client.post(new_url(workspace), data).status_code == 403
    assert (
        client.post(reverse("palette", args=[workspace.slug, palette.pk]), data).status_code == 403
    )
    delete = reverse("palette_delete", args=[workspace.slug, palette.pk])
    assert client.post(delete).status_code == 403
    extract = reverse("palette_extract", args=[workspace.slug])
    assert client.post(extract, {"count": "5"}).status_code == 403

    palette.refresh_from_db()
    assert palette.name == "Kept" and Palette.objects.count() == 1
    assert not AuditEvent.objects.exists()


def test_a_designer_sees_a_palette_without_an_editor(designer, logged_in):
    user, membership = designer
    palette = PaletteFactory(workspace=membership.workspace, colors=[[1, 2, 3]])
    body = logged_in(user).get(reverse("palette", args=[membership.workspace.slug, palette.pk]))
    html = body.content.decode()
    assert body.status_code == 200 and "#010203" in html
    assert 'id="palette-form"' not in html and "Save palette" not in html


# --- extracting ------------------------------------------------------------------------------


def _two_colour_png():
    img = Image.new("RGB", (300, 300), (250, 200, 0))
    ImageDraw.Draw(img).rectangle((0, 0, 299, 99), fill=(0, 60, 120))
    out = io.BytesIO()
    img.save(out, "PNG")
    out.name = "brand.png"
    out.seek(0)
    return out


def test_colours_taken_from_an_upload_fill_a_new_palette_to_adjust_and_save(manager, logged_in):
    user, _, workspace = manager
    response = logged_in(user).post(
        reverse("palette_extract", args=[workspace.slug]),
        {"image": _two_colour_png(), "count": "5"},
    )
    assert response.status_code == 200
    assert [row.text for row in response.context["form"].rows] == ["#fac800", "#003c78"]
    assert "Took 2 colours from brand.png" in response.content.decode()
    assert not Palette.objects.exists()  # nothing is saved until the person saves it


def test_colours_can_be_taken_from_an_image_of_the_workspace(manager, logged_in):
    user, _, workspace = manager
    project = ProjectFactory(workspace=workspace)
    asset = stored_asset(project, _two_colour_png().getvalue())
    client = logged_in(user)
    page = client.get(new_url(workspace)).content.decode()
    assert f'value="{asset.id}"' in page  # offered as a pick

    response = client.post(
        reverse("palette_extract", args=[workspace.slug]), {"asset": str(asset.id), "count": "3"}
    )
    hexes = [row.text for row in response.context["form"].rows]
    assert len(hexes) == 2 and hexes[0].startswith("#f")


def test_an_image_of_another_workspace_cannot_be_sampled(manager, member, logged_in):
    user, _, workspace = manager
    _, other = member(Role.OWNER)
    foreign = stored_asset(ProjectFactory(workspace=other.workspace), _two_colour_png().getvalue())
    response = logged_in(user).post(
        reverse("palette_extract", args=[workspace.slug]), {"asset": str(foreign.id), "count": "5"}
    )
    assert response.status_code == 200
    assert response.context["extract_form"].errors["asset"] == ["Pick one of the images shown."]
    assert "#fac800" not in response.content.decode()


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"count": "5"}, "__all__", "Upload an image, or pick one of this workspace"),
        ({"count": "5", "image": "text"}, "image", "whose colours can be read"),
        ({"count": "50", "image": "png"}, "count", "Select a valid choice"),
    ],
)
def test_bad_extraction_requests_get_an_error_on_the_form(manager, logged_in, data, field, message):
    user, _, workspace = manager
    if data.get("image") == "text":
        data["image"] = io.BytesIO(b"hello, not an image")
        data["image"].name = "notes.png"
    elif data.get("image") == "png":
        data["image"] = _two_colour_png()
    response = logged_in(user).post(reverse("palette_extract", args=[workspace.slug]), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["extract_form"].errors[field])

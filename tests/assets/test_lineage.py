"""Where an image came from, what was made from it, and files served safely."""

import pytest
from django.urls import reverse

from recraft_studio.assets import selectors
from recraft_studio.recraft.catalog import Op
from recraft_studio.workspaces.models import Role
from tests.assets.conftest import finished_job, store_asset
from tests.factories import ProjectFactory
from tests.images import png

HOSTILE_SVG = (
    b'<?xml version="1.0"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="320" height="200" onload="alert(1)">'
    b"<script>alert(document.cookie)</script>"
    b'<rect width="320" height="200" fill="#5b3df5" onload="alert(2)"/></svg>'
)


@pytest.fixture
def family(studio):
    """upload → inpaint → vectorize, and upload → two variations → one upscaled."""
    client, user, project = studio
    root = store_asset(project=project, user=user, data=png(600, 600))
    inpaint_job = finished_job(
        project=project,
        user=user,
        operation=Op.INPAINT,
        source=root,
        params={
            "prompt": "a hat",
            "model": "recraftv3",
            "style": "digital_illustration",
            "n": 1,
            "controls": {"colors": [{"rgb": [10, 20, 30]}]},
        },
    )
    inpainted = store_asset(
        project=project,
        user=user,
        operation=Op.INPAINT,
        parent=root,
        job=inpaint_job,
        prompt="a hat",
        model="recraftv3",
        style="digital_illustration",
        cost=40,
        data=png(600, 600, color=(9, 9, 9)),
    )
    vector_job = finished_job(
        project=project, user=user, operation=Op.VECTORIZE, source=inpainted, actual_cost=10
    )
    vectorized = store_asset(
        project=project,
        user=user,
        operation=Op.VECTORIZE,
        parent=inpainted,
        job=vector_job,
        cost=10,
        data=HOSTILE_SVG,
    )
    variate_job = finished_job(
        project=project,
        user=user,
        operation=Op.VARIATE,
        source=root,
        params={"size": "1024x1024", "n": 2, "random_seed": 1234, "image_format": "webp"},
        actual_cost=80,
    )
    variations = [
        store_asset(
            project=project,
            user=user,
            operation=Op.VARIATE,
            parent=root,
            job=variate_job,
            cost=40,
            output_index=i,
            data=png(1024, 1024, color=(i, 50, 50), fmt="WEBP"),
        )
        for i in range(2)
    ]
    upscaled = store_asset(
        project=project,
        user=user,
        operation=Op.CRISP_UPSCALE,
        parent=variations[0],
        cost=4,
        data=png(800, 800, color=(1, 1, 1)),
    )
    return (
        client,
        user,
        {
            "root": root,
            "inpainted": inpainted,
            "vectorized": vectorized,
            "variations": variations,
            "upscaled": upscaled,
        },
    )


def test_the_chain_back_to_the_source_starts_at_the_root(family):
    _, _, a = family
    assert selectors.asset_ancestors(a["vectorized"]) == [a["root"], a["inpainted"]]
    assert selectors.asset_ancestors(a["root"]) == []


def test_everything_made_from_an_image_is_listed_as_a_tree(family):
    _, _, a = family
    tree = [(d.asset, d.depth) for d in selectors.asset_descendants(a["root"])]
    assert sorted(tree, key=lambda t: str(t[0].pk)) == sorted(
        [
            (a["inpainted"], 1),
            (a["vectorized"], 2),
            (a["variations"][0], 1),
            (a["variations"][1], 1),
            (a["upscaled"], 2),
        ],
        key=lambda t: str(t[0].pk),
    )
    # Each child comes right after its parent.
    order = [d.asset for d in selectors.asset_descendants(a["root"])]
    assert order.index(a["vectorized"]) == order.index(a["inpainted"]) + 1
    assert order.index(a["upscaled"]) == order.index(a["variations"][0]) + 1


def test_the_asset_page_shows_how_it_was_made_and_its_history(family):
    client, user, a = family
    body = client.get(reverse("asset", args=[a["inpainted"].pk])).content.decode()
    for fact in (
        "Inpaint",
        "a hat",
        "recraftv3",
        "Digital illustration",
        "#0a141e",
        "40 units",
        user.username,
    ):
        assert fact in body
    assert 'data-testid="parent-link"' in body and reverse("asset", args=[a["root"].pk]) in body
    ancestry = body.split('data-testid="ancestry"')[1].split("</ol>")[0]
    assert ancestry.index(str(a["root"].pk)) < ancestry.index(str(a["inpainted"].pk))
    descendants = body.split('data-testid="descendants"')[1].split("</ul>")[0]
    assert str(a["vectorized"].pk) in descendants and str(a["root"].pk) not in descendants


def test_a_variation_shows_its_seed_size_and_format(family):
    client, _, a = family
    body = client.get(reverse("asset", args=[a["variations"][0].pk])).content.decode()
    params = body.split('data-testid="parameters"')[1].split("</dl>")[0]
    assert "<dt>Seed</dt>" in params and "1234" in params
    assert "1024x1024" in params and "webp" in params and "80 units" in params
    assert "seed 1234" in body  # also on the chain's entry


def test_an_uploads_page_offers_tools_but_no_remix(family):
    client, _, a = family
    body = client.get(reverse("asset", args=[a["root"].pk])).content.decode()
    assert "Uploaded: the start of this image" in body
    assert 'data-testid="remix"' not in body and 'data-testid="tool-inpaint"' in body


def test_a_tool_result_offers_remix(family):
    client, _, a = family
    body = client.get(reverse("asset", args=[a["inpainted"].pk])).content.decode()
    assert reverse("asset_remix", args=[a["inpainted"].pk]) in body


def test_the_made_from_this_section_refreshes_on_its_own(family):
    client, _, a = family
    response = client.get(
        reverse("asset", args=[a["root"].pk]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="made-from-this",
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="made-from-this"')
    assert str(a["upscaled"].pk) in body


# --- SVG safety and downloads -------------------------------------------------------------------


def test_an_svg_with_script_is_served_under_a_sandbox_policy(family):
    client, _, a = family
    svg = a["vectorized"]
    for name in ("asset_file", "asset_thumb"):
        response = client.get(reverse(name, args=[svg.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/svg+xml"
        policy = response["Content-Security-Policy"]
        assert "sandbox" in policy and "default-src 'none'" in policy and "script-src" not in policy
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == HOSTILE_SVG


def test_an_svg_downloads_as_an_svg_attachment(family):
    client, _, a = family
    svg = a["vectorized"]
    response = client.get(reverse("asset_file", args=[svg.pk]), {"download": "1"})
    assert response["Content-Disposition"] == f'attachment; filename="{svg.download_name}"'
    assert svg.download_name.endswith(".svg")
    assert "sandbox" in response["Content-Security-Policy"]


def test_the_page_of_an_svg_shows_it_through_an_img_only(family):
    client, _, a = family
    svg = a["vectorized"]
    body = client.get(reverse("asset", args=[svg.pk])).content.decode()
    assert f'<img src="{reverse("asset_file", args=[svg.pk])}"' in body
    assert "alert(" not in body and "<object" not in body and "<embed" not in body
    assert "<iframe" not in body and "Original SVG" in body


def test_a_raster_downloads_exactly_as_produced(family):
    client, _, a = family
    webp = a["variations"][0]
    response = client.get(reverse("asset_file", args=[webp.pk]), {"download": "1"})
    assert response["Content-Type"] == "image/webp"
    assert response["Content-Disposition"] == f'attachment; filename="{webp.download_name}"'
    assert webp.download_name.endswith(".webp")
    from recraft_studio.assets import files

    assert b"".join(response.streaming_content) == files.read(webp.file_key)
    # Rasters cannot run script: no SVG sandbox, just the site-wide policy.
    assert "sandbox" not in response.get("Content-Security-Policy", "")


def test_another_workspace_cannot_see_the_lineage_or_files(family, member, logged_in):
    _, _, a = family
    stranger, _ = member(Role.OWNER)
    client = logged_in(stranger)
    for name in ("asset", "asset_file", "asset_thumb", "asset_remix"):
        assert client.get(reverse(name, args=[a["inpainted"].pk])).status_code == 404


def test_lineage_never_crosses_workspaces(studio, member):
    _, user, project = studio
    _, other = member(Role.OWNER)
    foreign = store_asset(project=ProjectFactory(workspace=other.workspace))
    # A row pointing across workspaces (which services never make) is not followed.
    mine = store_asset(
        project=project,
        user=user,
        parent=foreign,
        operation=Op.VECTORIZE,
        data=png(300, 300, color=(5, 5, 5)),
    )
    assert selectors.asset_ancestors(mine) == []
    assert selectors.asset_descendants(foreign) == []

"""The workspace and project galleries: filters, search, keyset pages, and their cost."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from recraft_studio.assets.models import Asset
from recraft_studio.brand.models import BrandStyle
from recraft_studio.workspaces.models import Role
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def make_assets(project, count, *, user=None, start=START, **fields):
    """Gallery rows without files (the gallery reads none), one hour apart, newest last."""
    assets = Asset.objects.bulk_create(
        Asset(
            workspace=project.workspace,
            project=project,
            created_by=user,
            operation=fields.get("operation", "generate"),
            prompt=fields.get("prompt", f"picture {i}"),
            style=fields.get("style", "realistic_image"),
            brand_style=fields.get("brand_style"),
            file_key=f"originals/xx/{uuid.uuid4().hex}.png",
            thumb_key=f"thumbs/xx/{uuid.uuid4().hex}.webp",
            content_type="image/png",
            width=1024,
            height=1024,
            size_bytes=1000,
            sha256=uuid.uuid4().hex * 2,
        )
        for i in range(count)
    )
    for i, asset in enumerate(assets):
        asset.created_at = start + timedelta(hours=i)
    Asset.objects.bulk_update(assets, ["created_at"])
    return assets


def tile_ids(response) -> list[str]:
    return re.findall(
        r'href="/assets/([0-9a-f-]{36})/" data-testid="asset-tile"', response.content.decode()
    )


def ids(assets) -> list[str]:
    return [str(a.pk) for a in sorted(assets, key=lambda a: a.created_at, reverse=True)]


@pytest.fixture
def gallery(member, logged_in):
    owner, membership = member(Role.OWNER, username="olga")
    workspace = membership.workspace
    other_user = MembershipFactory(workspace=workspace, user=UserFactory(username="pat")).user
    launch = ProjectFactory(workspace=workspace, name="Launch")
    autumn = ProjectFactory(workspace=workspace, name="Autumn")
    brand = BrandStyle.objects.create(
        workspace=workspace,
        name="House ink",
        base_style="digital_illustration",
        style_id="6b1f4d2e-0c7a-4e59-8d3b-2a9f1c7e5b40",
    )
    rows = {
        "launch": make_assets(launch, 3, user=owner, prompt="A red panda waving"),
        "vector": make_assets(
            autumn,
            2,
            user=other_user,
            style="vector_illustration",
            prompt="Falling leaves",
            start=START + timedelta(days=3),
        ),
        "brand": make_assets(
            autumn,
            2,
            user=other_user,
            style="digital_illustration",
            brand_style=brand,
            prompt="Pumpkin",
            start=START + timedelta(days=6),
        ),
        "vectorized": make_assets(
            launch,
            1,
            user=owner,
            operation="vectorize",
            prompt="",
            style="",
            start=START + timedelta(days=9),
        ),
    }
    url = reverse("workspace_gallery", args=[workspace.slug])
    return (
        logged_in(owner),
        url,
        rows,
        {"launch": launch, "autumn": autumn, "brand": brand, "owner": owner, "other": other_user},
    )


def test_the_workspace_gallery_shows_every_project_newest_first(gallery):
    client, url, rows, _ = gallery
    response = client.get(url)
    assert response.status_code == 200
    assert tile_ids(response) == ids(sum(rows.values(), []))
    assert "Launch" in response.content.decode() and "Autumn" in response.content.decode()


@pytest.mark.parametrize(
    "query, expected",
    [
        (lambda o: {"project": o["autumn"].pk}, ["vector", "brand"]),
        (lambda o: {"operation": "vectorize"}, ["vectorized"]),
        (lambda o: {"style": "vector_illustration"}, ["vector"]),
        # A base style means "made in that style", not with a brand style built on it.
        (lambda o: {"style": "digital_illustration"}, []),
        (lambda o: {"style": f"brand:{o['brand'].pk}"}, ["brand"]),
        (lambda o: {"author": o["other"].pk}, ["vector", "brand"]),
        (lambda o: {"q": "PANDA"}, ["launch"]),
        (lambda o: {"q": "  leaves "}, ["vector"]),
        (lambda o: {"date_from": "2025-03-04", "date_to": "2025-03-07"}, ["vector", "brand"]),
        (lambda o: {"date_from": "2025-03-10"}, ["vectorized"]),
        (lambda o: {"project": o["launch"].pk, "author": o["other"].pk}, []),
    ],
)
def test_each_filter_narrows_the_gallery(gallery, query, expected):
    client, url, rows, objects = gallery
    response = client.get(url, query(objects))
    assert tile_ids(response) == ids(sum((rows[k] for k in expected), []))
    if not expected:
        assert "No image matches these filters." in response.content.decode()


def test_a_filter_value_that_is_not_offered_is_reported_and_left_out(gallery):
    client, url, rows, _ = gallery
    response = client.get(url, {"project": "999999", "author": "abc", "q": "panda"})
    body = response.content.decode()
    assert "Select a valid choice" in body
    assert tile_ids(response) == ids(rows["launch"])  # the valid filter still applies


def test_an_end_date_before_the_start_date_is_reported(gallery):
    client, url, rows, _ = gallery
    response = client.get(url, {"date_from": "2025-03-10", "date_to": "2025-03-01"})
    assert "The end date is before the start date." in response.content.decode()
    assert tile_ids(response) == ids(sum(rows.values(), []))  # neither date applies


def test_pages_follow_each_other_without_gaps_and_keep_the_filters(gallery):
    client, url, rows, objects = gallery
    more = make_assets(
        objects["launch"],
        40,
        user=objects["owner"],
        prompt="Panda again",
        start=START + timedelta(days=20),
    )
    wanted = ids(rows["launch"] + more)
    first = client.get(url, {"q": "panda"})
    assert tile_ids(first) == wanted[:24]
    link = re.search(r'hx-get="([^"]+)"\s+hx-target="#gallery-more"', first.content.decode()).group(
        1
    )
    assert "q=panda" in link and "cursor=" in link
    second = client.get(
        link.replace("&amp;", "&"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="gallery-more"
    )
    assert tile_ids(second) == wanted[24:]
    assert 'id="gallery-more"' not in second.content.decode()  # the last page
    assert not second.content.decode().lstrip().startswith("<!doctype")


def test_a_filter_change_renders_only_the_results(gallery):
    client, url, rows, _ = gallery
    response = client.get(
        url, {"operation": "vectorize"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="gallery-results"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="gallery-results"')
    assert tile_ids(response) == ids(rows["vectorized"])


def test_a_broken_cursor_starts_from_the_first_page(gallery):
    client, url, rows, _ = gallery
    assert tile_ids(client.get(url, {"cursor": "%%%not-base64"})) == ids(sum(rows.values(), []))


def test_the_project_gallery_shows_only_that_project(gallery):
    client, _, rows, objects = gallery
    project = objects["autumn"]
    url = reverse("project_gallery", args=[project.workspace.slug, project.slug])
    response = client.get(url)
    assert tile_ids(response) == ids(rows["vector"] + rows["brand"])
    assert 'name="project"' not in response.content.decode()
    assert tile_ids(client.get(url, {"author": objects["owner"].pk})) == []


def test_the_project_page_embeds_its_gallery_with_filters(gallery):
    client, _, rows, objects = gallery
    project = objects["launch"]
    response = client.get(reverse("project", args=[project.workspace.slug, project.slug]))
    body = response.content.decode()
    assert 'id="gallery-filters"' in body and 'id="gallery-results"' in body
    assert reverse("project_gallery", args=[project.workspace.slug, project.slug]) in body
    assert tile_ids(response) == ids(rows["launch"] + rows["vectorized"])


def test_another_workspaces_images_never_appear_and_its_gallery_is_not_found(gallery, member):
    client, url, rows, _ = gallery
    _, stranger = member(Role.OWNER)
    foreign = make_assets(ProjectFactory(workspace=stranger.workspace), 3, prompt="A red panda")
    assert not set(tile_ids(client.get(url, {"q": "panda"}))) & set(ids(foreign))
    assert (
        client.get(reverse("workspace_gallery", args=[stranger.workspace.slug])).status_code == 404
    )


def test_thumbnails_load_lazily(gallery):
    client, url, _, _ = gallery
    body = client.get(url).content.decode()
    assert body.count('loading="lazy"') >= 8


# --- cost at scale ------------------------------------------------------------------------------

#: session, user, membership, projects, brand styles, members, tags, collections, the page.
GALLERY_QUERIES = 9


def test_a_gallery_page_costs_a_fixed_number_of_queries_whatever_the_size_page_or_filter(
    gallery, django_assert_num_queries
):
    client, url, rows, objects = gallery
    with django_assert_num_queries(GALLERY_QUERIES):
        small = client.get(url)
    assert len(tile_ids(small)) == 8

    # Twenty times the images, more projects and members: still the same queries.
    for i in range(5):
        project = ProjectFactory(workspace=objects["launch"].workspace)
        member = MembershipFactory(workspace=project.workspace).user
        make_assets(project, 30, user=member, start=START + timedelta(days=30 + i))
    with django_assert_num_queries(GALLERY_QUERIES):
        first = client.get(url)
    assert len(tile_ids(first)) == 24
    cursor = re.search(r"cursor=([\w-]+)", first.content.decode()).group(1)
    with django_assert_num_queries(GALLERY_QUERIES):
        deep = client.get(
            url, {"cursor": cursor}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="gallery-more"
        )
    assert len(tile_ids(deep)) == 24 and not set(tile_ids(deep)) & set(tile_ids(first))
    with django_assert_num_queries(GALLERY_QUERIES):
        filtered = client.get(
            url,
            {
                "project": objects["autumn"].pk,
                "style": "vector_illustration",
                "author": objects["other"].pk,
                "date_from": "2025-03-01",
            },
        )
    assert tile_ids(filtered) == ids(rows["vector"])
    with django_assert_num_queries(GALLERY_QUERIES):
        searched = client.get(
            url, {"q": "pumpkin"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="gallery-results"
        )
    assert tile_ids(searched) == ids(rows["brand"])


def test_a_project_gallery_page_costs_one_more_query_for_the_project(
    gallery, django_assert_num_queries
):
    client, _, _, objects = gallery
    project = objects["launch"]
    url = reverse("project_gallery", args=[project.workspace.slug, project.slug])
    with django_assert_num_queries(GALLERY_QUERIES + 1):
        client.get(url)
    make_assets(project, 50)
    with django_assert_num_queries(GALLERY_QUERIES + 1):
        client.get(url, {"operation": "generate", "q": "picture"})

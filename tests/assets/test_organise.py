"""Favourites, tags, collections and multi-select actions, and the gallery's filters for each."""

import pytest
from django.urls import reverse

from recraft_studio.assets import services
from recraft_studio.assets.models import Asset, AssetTag, Collection, CollectionItem, Tag
from recraft_studio.audit.models import AuditEvent
from recraft_studio.workspaces.models import Role
from tests.assets.test_gallery import make_assets
from tests.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(member):
    dana, dana_m = member(Role.DESIGNER, username="dana")
    workspace = dana_m.workspace
    lee, lee_m = member(Role.DESIGNER, workspace=workspace, username="lee")
    bo, bo_m = member(Role.BRAND_MANAGER, workspace=workspace, username="bo")
    vi, vi_m = member(Role.VIEWER, workspace=workspace, username="vi")
    launch = ProjectFactory(workspace=workspace, name="Launch", slug="launch")
    autumn = ProjectFactory(workspace=workspace, name="Autumn", slug="autumn")
    assets = make_assets(launch, 6, user=dana)
    return {
        "dana": dana_m,
        "lee": lee_m,
        "bo": bo_m,
        "vi": vi_m,
        "launch": launch,
        "autumn": autumn,
        "workspace": workspace,
        "assets": assets,
    }


def gallery(client, team, **params):
    url = reverse("workspace_gallery", args=[team["workspace"].slug])
    return client.get(url, params)


def shown(response) -> list:
    return [a.pk for a in response.context["page"].items]


def bulk(client, team, action, assets, **fields):
    url = reverse("library_bulk", args=[team["workspace"].slug])
    return client.post(url, {"action": action, "asset": [a.pk for a in assets], **fields})


# --- favourites --------------------------------------------------------------------------------


def test_favourites_are_per_person_and_filter_the_gallery(team, logged_in):
    star, plain = team["assets"][0], team["assets"][1]
    dana = logged_in(team["dana"].user)
    response = dana.post(reverse("asset_favourite", args=[star.pk]), {"on": "1"})
    assert response.status_code == 302

    assert shown(gallery(dana, team, favourites="on")) == [star.pk]
    page = gallery(dana, team)
    marked = {a.pk for a in page.context["page"].items if a.is_favourite}
    assert marked == {star.pk} and plain.pk not in marked

    lee = logged_in(team["lee"].user)
    assert shown(gallery(lee, team, favourites="on")) == []
    # Starring twice keeps one star; unstarring takes it away.
    dana = logged_in(team["dana"].user)
    dana.post(reverse("asset_favourite", args=[star.pk]), {"on": "1"})
    dana.post(reverse("asset_favourite", args=[star.pk]), {"on": "0"})
    assert shown(gallery(dana, team, favourites="on")) == []


def test_viewers_keep_favourites_too(team, logged_in):
    asset = team["assets"][0]
    client = logged_in(team["vi"].user)
    response = client.post(
        reverse("asset_favourite", args=[asset.pk]),
        {"on": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and 'aria-pressed="true"' in response.content.decode()


# --- tags --------------------------------------------------------------------------------------


def test_tags_are_shared_by_the_workspace_whatever_their_case(team, logged_in):
    a, b = team["assets"][:2]
    client = logged_in(team["dana"].user)
    client.post(reverse("asset_tags", args=[a.pk]), {"tags": "Launch, hero"})
    client = logged_in(team["lee"].user)
    client.post(reverse("asset_tags", args=[b.pk]), {"tags": "launch"})

    assert sorted(Tag.objects.values_list("name", flat=True), key=str.lower) == ["hero", "Launch"]
    launch = Tag.objects.get(name="Launch")
    assert set(AssetTag.objects.filter(tag=launch).values_list("asset_id", flat=True)) == {
        a.pk,
        b.pk,
    }
    assert set(shown(gallery(client, team, tag=launch.pk))) == {a.pk, b.pk}


def test_a_bad_tag_is_refused_on_the_field_with_its_label(team, logged_in):
    a = team["assets"][0]
    response = logged_in(team["dana"].user).post(
        reverse("asset_tags", args=[a.pk]), {"tags": "ok, =cmd()"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Add tags: “=cmd()”: a tag starts with a letter or digit" in html
    assert not Tag.objects.exists()  # nothing half-done: not even "ok"


def test_tags_are_suggested_from_the_prompt_and_the_project(team, logged_in):
    a, b, c = team["assets"][:3]
    services.assets_tag(membership=team["dana"], assets=[a, b], names=["hero"])
    services.assets_tag(membership=team["dana"], assets=[a], names=["panda"])
    Asset.objects.filter(pk=c.pk).update(prompt="A panda on a bike")
    c.refresh_from_db()

    from recraft_studio.assets.selectors import tag_suggestions

    assert [t.name for t in tag_suggestions(asset=c)] == ["panda", "hero"]
    page = logged_in(team["dana"].user).get(reverse("asset", args=[c.pk])).content.decode()
    assert "+ panda" in page and '<option value="hero">' in page


def test_taking_a_tag_off(team, logged_in):
    a = team["assets"][0]
    services.assets_tag(membership=team["dana"], assets=[a], names=["hero"])
    tag = Tag.objects.get()
    logged_in(team["dana"].user).post(reverse("asset_tags", args=[a.pk]), {"remove": tag.pk})
    assert not a.tags.exists()
    assert AuditEvent.objects.filter(verb="asset.untagged").count() == 1


def test_viewers_cannot_tag(team, logged_in):
    a = team["assets"][0]
    response = logged_in(team["vi"].user).post(reverse("asset_tags", args=[a.pk]), {"tags": "x"})
    assert response.status_code == 403 and not Tag.objects.exists()


# --- multi-select actions ------------------------------------------------------------------------


def test_bulk_tag_collect_and_move(team, logged_in):
    picked = team["assets"][:3]
    client = logged_in(team["dana"].user)

    bulk(client, team, "tag", picked, tags="spring, social")
    assert AssetTag.objects.count() == 6
    bulk(client, team, "collect", picked, new_collection="Launch set")
    launch_set = Collection.objects.get(name="Launch set")
    assert launch_set.items.count() == 3
    bulk(client, team, "collect", picked[:1] + team["assets"][3:4], collection=launch_set.pk)
    assert launch_set.items.count() == 4  # the one already there is not added twice
    response = bulk(client, team, "move", picked, move_to=team["autumn"].pk)
    assert response.status_code == 302

    assert set(Asset.objects.filter(project=team["autumn"]).values_list("pk", flat=True)) == {
        a.pk for a in picked
    }
    moved = AuditEvent.objects.filter(verb="asset.moved")
    assert moved.count() == 3
    assert {(e.data["from"], e.data["to"]) for e in moved} == {("Launch", "Autumn")}


def test_a_bulk_action_answers_htmx_with_a_result_and_reloads_the_gallery(team, logged_in):
    response = logged_in(team["dana"].user).post(
        reverse("library_bulk", args=[team["workspace"].slug]),
        {"action": "tag", "asset": [a.pk for a in team["assets"][:2]], "tags": "hero"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Tagged 2 images with hero." in response.content.decode()
    assert "assets-changed" in response["HX-Trigger"]


def test_a_bulk_action_without_its_field_says_which_field(team, logged_in):
    response = logged_in(team["dana"].user).post(
        reverse("library_bulk", args=[team["workspace"].slug]),
        {"action": "move", "asset": [team["assets"][0].pk]},
        HTTP_HX_REQUEST="true",
    )
    assert "Project: Choose the project to move the images to." in response.content.decode()
    assert "assets-changed" not in response.get("HX-Trigger", "")


def test_bulk_delete_asks_first_then_keeps_what_the_rules_keep(team, logged_in):
    mine = team["assets"][:2]
    theirs = make_assets(team["launch"], 1, user=team["lee"].user)[0]
    services.collection_add(
        membership=team["dana"],
        collection=services.collection_create(membership=team["dana"], name="Set"),
        assets=mine[:1],
    )
    client = logged_in(team["dana"].user)

    asking = bulk(client, team, "delete", [*mine, theirs])
    assert "Delete anyway" in asking.content.decode()
    assert not Asset.objects.filter(deleted_at__isnull=False).exists()

    bulk(client, team, "delete", [*mine, theirs], confirm="1")
    assert set(Asset.objects.filter(deleted_at__isnull=False).values_list("pk", flat=True)) == {
        a.pk for a in mine
    }


def test_a_bulk_action_never_touches_another_workspaces_images(team, logged_in):
    outsider = MembershipFactory(role=Role.OWNER)
    foreign_project = ProjectFactory(workspace=outsider.workspace)
    foreign = make_assets(foreign_project, 2)
    client = logged_in(outsider.user)
    url = reverse("library_bulk", args=[outsider.workspace.slug])
    for action, extra in [
        ("tag", {"tags": "mine"}),
        ("delete", {"confirm": "1"}),
        ("approve", {}),
        ("collect", {"new_collection": "Stolen"}),
    ]:
        client.post(url, {"action": action, "asset": [a.pk for a in team["assets"]], **extra})
    assert not AssetTag.objects.filter(asset__in=team["assets"]).exists()
    assert not Asset.objects.filter(workspace=team["workspace"], deleted_at__isnull=False).exists()
    assert not Asset.objects.filter(workspace=team["workspace"]).exclude(state="draft").exists()
    assert not CollectionItem.objects.filter(asset__in=team["assets"]).exists()
    assert all(a.deleted_at is None for a in foreign)


def test_viewers_may_only_download_in_bulk(team, logged_in):
    client = logged_in(team["vi"].user)
    for action, extra in [("tag", {"tags": "x"}), ("delete", {"confirm": "1"})]:
        response = bulk(client, team, action, team["assets"][:1], **extra)
        assert response.status_code == 403
    assert bulk(client, team, "download", team["assets"][:1]).status_code == 302


# --- collections --------------------------------------------------------------------------------


@pytest.fixture
def launch_set(team):
    collection = services.collection_create(membership=team["dana"], name="Launch set")
    services.collection_add(membership=team["dana"], collection=collection, assets=team["assets"])
    return collection


def order(collection) -> list:
    return list(
        CollectionItem.objects.filter(collection=collection)
        .order_by("position", "id")
        .values_list("asset_id", flat=True)
    )


def test_a_collection_keeps_its_order_and_can_be_rearranged(team, launch_set, logged_in):
    a = team["assets"]
    assert order(launch_set) == [x.pk for x in a]
    client = logged_in(team["lee"].user)  # shared: anyone who makes images may arrange it
    items = {i.asset_id: i for i in launch_set.items.all()}

    def move(asset, **data):
        url = reverse(
            "collection_item", args=[team["workspace"].slug, launch_set.pk, items[asset.pk].pk]
        )
        assert client.post(url, data).status_code == 302

    move(a[3], action="top")
    assert order(launch_set) == [a[3].pk, a[0].pk, a[1].pk, a[2].pk, a[4].pk, a[5].pk]
    move(a[0], action="down")
    assert order(launch_set) == [a[3].pk, a[1].pk, a[0].pk, a[2].pk, a[4].pk, a[5].pk]
    move(a[5], action="up")
    assert order(launch_set) == [a[3].pk, a[1].pk, a[0].pk, a[2].pk, a[5].pk, a[4].pk]
    move(a[4], action="before", before=items[a[1].pk].pk)
    assert order(launch_set) == [a[3].pk, a[4].pk, a[1].pk, a[0].pk, a[2].pk, a[5].pk]
    move(a[3], action="bottom")
    assert order(launch_set)[-1] == a[3].pk

    page = client.get(reverse("collection", args=[team["workspace"].slug, launch_set.pk]))
    assert [i.asset_id for i in page.context["page"].items] == order(launch_set)


def test_moving_keeps_working_when_the_gaps_run_out(team, launch_set):
    a = team["assets"]
    items = {i.asset_id: i for i in launch_set.items.all()}
    for _ in range(15):  # halving a 1,024 gap runs out after ten moves
        services.collection_move(
            membership=team["dana"], item=items[a[5].pk], before=items[a[1].pk]
        )
        services.collection_move(
            membership=team["dana"], item=items[a[4].pk], before=items[a[5].pk]
        )
    assert order(launch_set)[:4] == [a[0].pk, a[4].pk, a[5].pk, a[1].pk]


def test_a_collection_has_a_cover_and_the_list_shows_it(team, launch_set, logged_in):
    item = launch_set.items.get(asset=team["assets"][2])
    client = logged_in(team["dana"].user)
    client.post(
        reverse("collection_item", args=[team["workspace"].slug, launch_set.pk, item.pk]),
        {"action": "cover"},
    )
    launch_set.refresh_from_db()
    assert launch_set.cover_id == team["assets"][2].pk
    page = client.get(reverse("collections", args=[team["workspace"].slug]))
    assert reverse("asset_thumb", args=[team["assets"][2].pk]) in page.content.decode()
    (listed,) = page.context["collections"]
    assert listed.size == 6


def test_a_collection_name_is_unique_in_the_workspace(team, launch_set, logged_in):
    response = logged_in(team["lee"].user).post(
        reverse("collections", args=[team["workspace"].slug]), {"name": "launch SET"}
    )
    assert response.status_code == 200
    assert "There is already a collection called “launch SET”." in response.content.decode()
    assert Collection.objects.count() == 1


def test_the_gallery_filters_by_collection_and_the_collection_hides_trashed_images(
    team, launch_set, logged_in
):
    extra = make_assets(team["launch"], 2, user=team["dana"].user)
    client = logged_in(team["dana"].user)
    assert set(shown(gallery(client, team, collection=launch_set.pk))) == {
        a.pk for a in team["assets"]
    }
    services.assets_delete(membership=team["dana"], assets=team["assets"][:1], confirmed=True)
    page = client.get(reverse("collection", args=[team["workspace"].slug, launch_set.pk]))
    assert team["assets"][0].pk not in [i.asset_id for i in page.context["page"].items]
    assert extra[0].pk not in shown(gallery(client, team, collection=launch_set.pk))


def test_only_its_maker_or_a_brand_manager_deletes_a_collection(team, launch_set, logged_in):
    url = reverse("collection_delete", args=[team["workspace"].slug, launch_set.pk])
    assert logged_in(team["lee"].user).post(url).status_code == 403
    assert logged_in(team["bo"].user).post(url).status_code == 302
    assert not Collection.objects.exists()
    assert Asset.objects.filter(pk__in=[a.pk for a in team["assets"]]).count() == 6


def test_a_collection_page_costs_the_same_queries_however_long(
    team, launch_set, logged_in, django_assert_num_queries
):
    client = logged_in(team["dana"].user)
    url = reverse("collection", args=[team["workspace"].slug, launch_set.pk])
    client.get(url)
    # session, user, membership, the collection, projects, brand styles, members, tags,
    # collections (the bulk bar's choices), the page
    with django_assert_num_queries(10):
        client.get(url)
    more = make_assets(team["autumn"], 40, user=team["lee"].user)
    services.collection_add(membership=team["dana"], collection=launch_set, assets=more)
    with django_assert_num_queries(10):
        first = client.get(url)
    assert len(first.context["page"].items) == 24
    with django_assert_num_queries(10):
        client.get(url, {"cursor": first.context["page"].next_cursor})


def test_the_gallery_costs_the_same_queries_with_the_library_filters(
    team, launch_set, logged_in, django_assert_num_queries
):
    services.assets_tag(membership=team["dana"], assets=team["assets"][:2], names=["hero"])
    services.favourite_set(membership=team["dana"], asset=team["assets"][0], on=True)
    client = logged_in(team["dana"].user)
    tag = Tag.objects.get()
    client.get(reverse("workspace_gallery", args=[team["workspace"].slug]))
    with django_assert_num_queries(9):
        response = gallery(
            client,
            team,
            tag=tag.pk,
            collection=launch_set.pk,
            favourites="on",
            state="draft",
        )
    assert shown(response) == [team["assets"][0].pk]


def test_one_or_two_letters_find_the_words_that_start_with_them(team, logged_in):
    robot, brown, other = team["assets"][:3]
    Asset.objects.filter(pk=robot.pk).update(prompt="A robot waving")
    Asset.objects.filter(pk=brown.pk).update(prompt="Brown bear")
    Asset.objects.filter(pk=other.pk).update(prompt="Rocket launch")
    client = logged_in(team["dana"].user)
    assert set(shown(gallery(client, team, q="ro"))) == {robot.pk, other.pk}
    assert shown(gallery(client, team, q="b")) == [brown.pk]
    # From three letters on, anywhere in the prompt.
    assert shown(gallery(client, team, q="row")) == [brown.pk]

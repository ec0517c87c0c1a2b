"""Delete, the trash, restore, and the purge that frees storage without losing shared bytes."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from recraft_studio.assets import files, services
from recraft_studio.assets.models import (
    Asset,
    AssetState,
    Collection,
    CollectionItem,
    StorageRelease,
)
from recraft_studio.audit.models import AuditEvent
from recraft_studio.brand.models import BrandStyleReference
from recraft_studio.jobs.models import Job
from recraft_studio.workspaces.models import Role
from tests.assets.conftest import store_asset
from tests.brand.factories import BrandStyleFactory
from tests.factories import ProjectFactory
from tests.images import png

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(member):
    """A designer (dana), another designer (lee), a brand manager (bo), a viewer (vi)."""
    dana, dana_m = member(Role.DESIGNER, username="dana")
    workspace = dana_m.workspace
    lee, lee_m = member(Role.DESIGNER, workspace=workspace, username="lee")
    bo, bo_m = member(Role.BRAND_MANAGER, workspace=workspace, username="bo")
    vi, vi_m = member(Role.VIEWER, workspace=workspace, username="vi")
    project = ProjectFactory(workspace=workspace, name="Launch")
    return {
        "dana": dana_m,
        "lee": lee_m,
        "bo": bo_m,
        "vi": vi_m,
        "project": project,
        "workspace": workspace,
    }


def delete_url(asset):
    return reverse("asset_delete", args=[asset.pk])


def gallery_ids(client, workspace) -> set[str]:
    response = client.get(reverse("workspace_gallery", args=[workspace.slug]))
    return {str(a.pk) for a in response.context["page"].items}


def test_a_designer_deletes_their_own_image_and_it_leaves_the_gallery(team, logged_in):
    asset = store_asset(project=team["project"], user=team["dana"].user, prompt="a red kite")
    client = logged_in(team["dana"].user)
    assert gallery_ids(client, team["workspace"]) == {str(asset.pk)}

    response = client.post(delete_url(asset))

    assert response.status_code == 302
    asset.refresh_from_db()
    assert asset.deleted_at is not None and asset.deleted_by == team["dana"].user
    assert gallery_ids(client, team["workspace"]) == set()
    trash = client.get(reverse("trash", args=[team["workspace"].slug]))
    assert [a.pk for a in trash.context["page"].items] == [asset.pk]
    event = AuditEvent.objects.get(verb="asset.deleted")
    assert event.target_id == str(asset.pk) and event.actor_name == "dana"
    assert event.data["prompt"] == "a red kite"
    # The file is still in storage, and the page still opens, saying where it is.
    assert default_storage.exists(asset.file_key)
    page = client.get(reverse("asset", args=[asset.pk])).content.decode()
    assert "In the trash" in page and 'data-testid="restore"' in page


def test_a_designer_cannot_delete_someone_elses_image(team, logged_in):
    asset = store_asset(project=team["project"], user=team["lee"].user)
    response = logged_in(team["dana"].user).post(delete_url(asset))
    assert response.status_code == 403
    asset.refresh_from_db()
    assert asset.deleted_at is None
    assert not AuditEvent.objects.filter(verb="asset.deleted").exists()


def test_a_viewer_cannot_delete_and_has_no_trash(team, logged_in):
    asset = store_asset(project=team["project"], user=team["dana"].user)
    client = logged_in(team["vi"].user)
    assert client.post(delete_url(asset)).status_code == 403
    assert client.get(reverse("trash", args=[team["workspace"].slug])).status_code == 403
    asset.refresh_from_db()
    assert asset.deleted_at is None


def test_a_brand_manager_deletes_anyones_image(team, logged_in):
    asset = store_asset(project=team["project"], user=team["dana"].user)
    assert logged_in(team["bo"].user).post(delete_url(asset)).status_code == 302
    asset.refresh_from_db()
    assert asset.deleted_by == team["bo"].user


def test_an_image_others_were_made_from_asks_first(team, logged_in):
    source = store_asset(project=team["project"], user=team["dana"].user)
    store_asset(project=team["project"], user=team["dana"].user, parent=source, data=png(300, 300))
    client = logged_in(team["dana"].user)

    asking = client.post(delete_url(source))

    assert asking.status_code == 200
    assert "1 image was made from it" in asking.content.decode()
    source.refresh_from_db()
    assert source.deleted_at is None
    client.post(delete_url(source), {"confirm": "1"})
    source.refresh_from_db()
    assert source.deleted_at is not None


def test_an_image_in_a_collection_asks_first_and_names_the_collection(team, logged_in):
    asset = store_asset(project=team["project"], user=team["dana"].user)
    launch = Collection.objects.create(workspace=team["workspace"], name="Launch set")
    CollectionItem.objects.create(collection=launch, asset=asset, position=1024)
    asking = logged_in(team["dana"].user).post(delete_url(asset))
    assert "it is in the collection “Launch set”" in asking.content.decode()
    asset.refresh_from_db()
    assert asset.deleted_at is None


def test_an_approved_image_cannot_be_deleted_until_it_is_retired(team, logged_in):
    asset = store_asset(project=team["project"], user=team["dana"].user)
    services.assets_transition(membership=team["bo"], assets=[asset], action="approve")
    client = logged_in(team["bo"].user)

    client.post(delete_url(asset), {"confirm": "1"})
    asset.refresh_from_db()
    assert asset.deleted_at is None
    assert "retire it before deleting it" in str(list(client.get("/").wsgi_request._messages))

    services.assets_transition(membership=team["bo"], assets=[asset], action="retire")
    client.post(delete_url(asset))
    asset.refresh_from_db()
    assert asset.deleted_at is not None and asset.state == AssetState.RETIRED


def test_restoring_brings_an_image_back_where_it_was(team, logged_in):
    asset = store_asset(project=team["project"], user=team["dana"].user)
    client = logged_in(team["dana"].user)
    client.post(delete_url(asset))

    client.post(reverse("asset_restore", args=[asset.pk]))

    asset.refresh_from_db()
    assert asset.deleted_at is None and asset.deleted_by is None
    assert gallery_ids(client, team["workspace"]) == {str(asset.pk)}
    assert AuditEvent.objects.filter(verb="asset.restored", target_id=str(asset.pk)).exists()


def test_a_trashed_image_can_no_longer_be_edited(team, logged_in):
    asset = store_asset(project=team["project"], user=team["dana"].user)
    client = logged_in(team["dana"].user)
    client.post(delete_url(asset))
    response = client.get(reverse("asset_edit", args=[asset.pk, "vectorize"]))
    assert response.status_code == 404


def test_deleting_twice_records_one_event(team):
    asset = store_asset(project=team["project"], user=team["dana"].user)
    services.assets_delete(membership=team["dana"], assets=[asset])
    again = services.assets_delete(membership=team["dana"], assets=[asset])
    assert again.deleted == []
    assert AuditEvent.objects.filter(verb="asset.deleted").count() == 1


# --- the purge --------------------------------------------------------------------------------


def purge_and_sweep() -> int:
    """The hourly purge, then the sweep two hours on (past the grace for released keys)."""
    purged = services.trash_purge_expired()
    services.storage_sweep(now=timezone.now() + timedelta(hours=2))
    return purged


def trash_it(membership, asset, *, days_ago):
    services.assets_delete(membership=membership, assets=[asset], confirmed=True)
    Asset.objects.filter(pk=asset.pk).update(deleted_at=timezone.now() - timedelta(days=days_ago))


def test_the_downloads_made_from_a_purged_image_go_with_it(team):
    from recraft_studio.assets import files

    asset = store_asset(project=team["project"], user=team["dana"].user, data=png(220, 220))
    made = [
        files.store_rendition(files.rendition_key(asset.sha256, width=w, extension=e), b"x")
        for w, e in ((110, "webp"), (440, "jpg"))
    ]
    other = store_asset(project=team["project"], user=team["dana"].user, data=png(230, 230))
    kept = files.store_rendition(
        files.rendition_key(other.sha256, width=115, extension="png"), b"y"
    )
    trash_it(team["dana"], asset, days_ago=31)

    assert purge_and_sweep() == 1
    assert [key for key in made if default_storage.exists(key)] == []
    assert default_storage.exists(kept)


def test_the_purge_deletes_rows_and_bytes_after_thirty_days_only(team):
    old = store_asset(project=team["project"], user=team["dana"].user, data=png(200, 200))
    recent = store_asset(project=team["project"], user=team["dana"].user, data=png(210, 210))
    trash_it(team["dana"], old, days_ago=31)
    trash_it(team["dana"], recent, days_ago=29)

    assert services.trash_purge_expired() == 1
    assert not Asset.objects.filter(pk=old.pk).exists()
    # The bytes wait out the grace, for a writer about to name them again.
    assert default_storage.exists(old.file_key)
    services.storage_sweep(now=timezone.now() + timedelta(minutes=30))
    assert default_storage.exists(old.file_key)
    assert services.storage_sweep(now=timezone.now() + timedelta(hours=2)) == 2

    assert not default_storage.exists(old.file_key)
    assert not default_storage.exists(old.thumb_key)
    assert Asset.objects.filter(pk=recent.pk).exists()
    assert default_storage.exists(recent.file_key)
    event = AuditEvent.objects.get(verb="asset.purged")
    assert event.target_id == str(old.pk) and event.actor is None
    # A second run finds nothing more to do.
    assert purge_and_sweep() == 0
    assert not StorageRelease.objects.exists()


def test_the_purge_keeps_bytes_that_another_image_shares(team):
    data = png(220, 220)
    gone = store_asset(project=team["project"], user=team["dana"].user, data=data)
    twin = store_asset(project=team["project"], user=team["lee"].user, data=data)
    assert gone.file_key == twin.file_key
    trash_it(team["dana"], gone, days_ago=40)

    purge_and_sweep()

    assert not Asset.objects.filter(pk=gone.pk).exists()
    assert default_storage.exists(twin.file_key) and default_storage.exists(twin.thumb_key)
    assert files.read(twin.file_key) == data


def test_the_purge_keeps_bytes_that_a_twin_in_the_trash_still_needs(team):
    data = png(230, 230)
    old = store_asset(project=team["project"], user=team["dana"].user, data=data)
    recent = store_asset(project=team["project"], user=team["dana"].user, data=data)
    trash_it(team["dana"], old, days_ago=40)
    trash_it(team["dana"], recent, days_ago=1)

    purge_and_sweep()

    assert default_storage.exists(recent.file_key)  # it may still be restored


def test_the_purge_keeps_bytes_that_a_job_input_names(team):
    data = png(240, 240)
    asset = store_asset(project=team["project"], user=team["dana"].user, data=data)
    Job.objects.create(
        workspace=team["workspace"],
        project=team["project"],
        params={"prompt": "x"},
        inputs={"image": asset.file_key},
    )
    trash_it(team["dana"], asset, days_ago=40)

    purge_and_sweep()

    assert not Asset.objects.filter(pk=asset.pk).exists()
    assert default_storage.exists(asset.file_key)
    assert not default_storage.exists(asset.thumb_key)  # nothing else names the thumbnail


def test_the_purge_keeps_bytes_that_a_brand_style_reference_names(team):
    data = png(250, 250)
    asset = store_asset(project=team["project"], user=team["dana"].user, data=data)
    style = BrandStyleFactory(workspace=team["workspace"])
    BrandStyleReference.objects.create(
        style=style,
        position=0,
        file_key=asset.file_key,
        content_type="image/png",
        width=250,
        height=250,
        size_bytes=len(data),
        sha256=asset.sha256,
    )
    trash_it(team["dana"], asset, days_ago=40)

    purge_and_sweep()

    assert default_storage.exists(asset.file_key)


def test_the_purge_deletes_shared_bytes_once_the_last_twin_goes(team):
    data = png(260, 260)
    a = store_asset(project=team["project"], user=team["dana"].user, data=data)
    b = store_asset(project=team["project"], user=team["dana"].user, data=data)
    trash_it(team["dana"], a, days_ago=40)
    trash_it(team["dana"], b, days_ago=35)

    assert purge_and_sweep() == 2

    assert not default_storage.exists(a.file_key)


def test_bytes_a_new_image_names_after_the_purge_are_kept(team):
    """The pipeline stores bytes (finding them there) and inserts its row a moment
    later: a purge in between released the key, and the sweep must see the new row."""
    data = png(265, 265)
    old = store_asset(project=team["project"], user=team["dana"].user, data=data)
    trash_it(team["dana"], old, days_ago=40)
    services.trash_purge_expired()
    assert StorageRelease.objects.filter(key=old.file_key).exists()

    again = store_asset(project=team["project"], user=team["lee"].user, data=data)
    services.storage_sweep(now=timezone.now() + timedelta(hours=2))

    assert default_storage.exists(again.file_key) and default_storage.exists(again.thumb_key)
    assert not StorageRelease.objects.exists()


def test_images_made_from_a_purged_image_stay_and_lose_only_the_link(team):
    source = store_asset(project=team["project"], user=team["dana"].user, data=png(270, 270))
    child = store_asset(project=team["project"], user=team["dana"].user, parent=source)
    trash_it(team["dana"], source, days_ago=40)

    purge_and_sweep()

    child.refresh_from_db()
    assert child.parent_id is None and child.deleted_at is None


def test_brand_managers_delete_for_good_from_the_trash_designers_cannot(team, logged_in):
    asset = store_asset(project=team["project"], user=team["dana"].user, data=png(280, 280))
    trash_it(team["dana"], asset, days_ago=1)
    bulk = reverse("library_bulk", args=[team["workspace"].slug])

    logged_in(team["dana"].user).post(bulk, {"action": "purge", "asset": [asset.pk]})
    assert Asset.objects.filter(pk=asset.pk).exists()

    logged_in(team["bo"].user).post(bulk, {"action": "purge", "asset": [asset.pk]})
    assert not Asset.objects.filter(pk=asset.pk).exists()
    services.storage_sweep(now=timezone.now() + timedelta(hours=2))
    assert not default_storage.exists(asset.file_key)
    assert AuditEvent.objects.get(verb="asset.purged").actor_name == "bo"


def test_the_trash_page_costs_the_same_queries_however_full(
    team, logged_in, django_assert_num_queries
):
    client = logged_in(team["dana"].user)
    url = reverse("trash", args=[team["workspace"].slug])
    for i in range(3):
        trash_it(
            team["dana"], store_asset(project=team["project"], user=team["dana"].user), days_ago=i
        )
    client.get(url)
    with django_assert_num_queries(4):  # session, user, membership, the page
        small = client.get(url)
    for i in range(30):
        a = store_asset(project=team["project"], user=team["dana"].user, data=png(100 + i, 90))
        trash_it(team["dana"], a, days_ago=2)
    with django_assert_num_queries(4):
        full = client.get(url)
    assert len(small.context["page"].items) == 3 and len(full.context["page"].items) == 24
    cursor = full.context["page"].next_cursor
    with django_assert_num_queries(4):
        more = client.get(
            url, {"cursor": cursor}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="gallery-more"
        )
    assert more.content.decode().count('data-testid="trash-tile"') == 9

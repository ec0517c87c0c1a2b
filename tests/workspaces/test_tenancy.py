"""An outsider finds nothing of another workspace: every object URL answers 404.

The walk reads the URL configuration itself, so a URL added later is walked too;
one whose parameters it cannot fill fails the test until it is taught them.
"""

import secrets
from datetime import timedelta

import pytest
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from recraft_studio.assets.models import (
    Asset,
    AssetState,
    Collection,
    CollectionItem,
    Export,
    Favourite,
)
from recraft_studio.brand.models import BrandStyle, Palette
from recraft_studio.jobs.models import Job
from recraft_studio.workspaces.models import Invitation, Membership, Role
from tests.brand.factories import BrandStyleFactory, BrandStyleReferenceFactory, PaletteFactory
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

#: Reached without being a member, by design: the link's token is the credential
#: (an invitation; an email confirmation, which only works for the account it names;
#: an export's signed download link, which tests/assets/test_exports.py covers).
NOT_TENANT_SCOPED = {"invitation_accept", "email_verify", "export_download"}
#: URL parameters that are not object ids, with a value their views accept.
PLAIN_VALUES = {"operation": "vectorize", "name": "image", "kind": "people"}


def url_patterns(resolver=None):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace != "admin":  # the admin is staff-only, outside tenancy
                yield from url_patterns(pattern)
        else:
            yield pattern


@pytest.fixture
def foreign():
    """Workspace B with one of everything that has a URL, and a member besides its owner."""
    owner = MembershipFactory(role=Role.OWNER)
    workspace = owner.workspace
    other = MembershipFactory(workspace=workspace, role=Role.DESIGNER)
    project = ProjectFactory(workspace=workspace, slug="b-campaign")
    job = Job.objects.create(
        workspace=workspace,
        project=project,
        params={"prompt": "secret"},
        inputs={"image": "inputs/00/x.png"},
    )
    asset = Asset.objects.create(
        workspace=workspace,
        project=project,
        job=job,
        output_index=0,
        file_key="originals/x.png",
        thumb_key="thumbs/x.webp",
        content_type="image/png",
        width=1,
        height=1,
        size_bytes=1,
        sha256="0" * 64,
    )
    collection = Collection.objects.create(workspace=workspace, name="B set")
    item = CollectionItem.objects.create(collection=collection, asset=asset, position=1024)
    export = Export.objects.create(
        workspace=workspace,
        kind="collection",
        name="B set",
        collection=collection,
        format="original",
        asset_ids=[str(asset.pk)],
        total=1,
        expires_at=timezone.now() + timedelta(days=1),
    )
    style = BrandStyleFactory(workspace=workspace, name="B style")
    reference = BrandStyleReferenceFactory(style=style)
    palette = PaletteFactory(workspace=workspace, name="B palette")
    invitation = Invitation.objects.create(
        workspace=workspace,
        email="guest@example.com",
        role=Role.VIEWER,
        token_hash=secrets.token_hex(32),
        expires_at=timezone.now() + timedelta(days=1),
    )
    return {
        "workspace_slug": workspace.slug,
        "project_slug": project.slug,
        "job_id": job.pk,
        "asset_id": asset.pk,
        "style_pk": style.pk,
        "reference_pk": reference.pk,
        "palette_pk": palette.pk,
        "invitation_pk": invitation.pk,
        "member_pk": other.pk,
        "owner_pk": owner.pk,
        "collection_pk": collection.pk,
        "item_pk": item.pk,
        "export_id": export.pk,
    }


def test_an_outsider_gets_404_for_every_object_url_of_another_workspace(foreign, logged_in):
    # The outsider owns a workspace of their own: the most any role could try.
    outsider = UserFactory(username="mallory")
    own = MembershipFactory(user=outsider, role=Role.OWNER)
    ProjectFactory(workspace=own.workspace, slug="b-campaign")  # same slug, other workspace
    client = logged_in(outsider)

    walked = []
    for pattern in url_patterns():
        names = list(pattern.pattern.converters)
        if not names or pattern.name in NOT_TENANT_SCOPED:
            continue
        unknown = [n for n in names if n not in foreign and n not in PLAIN_VALUES]
        assert not unknown, f"Teach this test the URL parameters {unknown} of {pattern.name!r}"
        variants = [{n: foreign.get(n, PLAIN_VALUES.get(n)) for n in names}]
        object_ids = [n for n in names if n != "workspace_slug" and n not in PLAIN_VALUES]
        if "workspace_slug" in names and object_ids:
            # Another workspace's object, asked for under the outsider's own workspace.
            variants.append({**variants[0], "workspace_slug": own.workspace.slug})
        for kwargs in variants:
            if "project_slug" in kwargs and kwargs["workspace_slug"] == own.workspace.slug:
                continue  # that is the outsider's own project, rightly found
            url = reverse(pattern.name, kwargs=kwargs)
            get, post = client.get(url), client.post(url, {"name": "pwned", "role": "owner"})
            assert {get.status_code, post.status_code} <= {404, 405}, (
                f"{url}: GET {get.status_code}, POST {post.status_code}"
            )
            assert 404 in (get.status_code, post.status_code), url
            walked.append(pattern.name)

    for name in [
        "workspace",
        "project",
        "job_status",
        "asset",
        "asset_file",
        "brand_style",
        "brand_style_delete",
        "brand_style_reference",
        "palette",
        "palette_delete",
        "member_role",
        "member_remove",
        "invitation_revoke",
        "workspace_settings",
        "project_settings",
        "members",
        "brand_kit",
        "asset_delete",
        "asset_restore",
        "asset_favourite",
        "asset_tags",
        "asset_review",
        "asset_comment",
        "asset_handoff",
        "library_bulk",
        "trash",
        "collections",
        "collection",
        "collection_delete",
        "collection_item",
        "exports",
        "export",
        "spend",
        "spend_chart",
    ]:
        assert name in walked, f"{name} was not walked"
    # ...and nothing of workspace B changed.
    assert BrandStyle.objects.get(pk=foreign["style_pk"]).name == "B style"
    assert BrandStyle.objects.get(pk=foreign["style_pk"]).archived_at is None
    assert Palette.objects.get(pk=foreign["palette_pk"]).name == "B palette"
    assert Membership.objects.get(pk=foreign["member_pk"]).role == Role.DESIGNER
    assert Membership.objects.get(pk=foreign["owner_pk"]).role == Role.OWNER
    assert Invitation.objects.get(pk=foreign["invitation_pk"]).is_pending
    assert not Membership.objects.filter(user=outsider).exclude(pk=own.pk).exists()
    asset = Asset.objects.get(pk=foreign["asset_id"])
    assert asset.deleted_at is None and asset.state == AssetState.DRAFT
    assert not asset.comments.exists() and not asset.tags.exists()
    assert not Favourite.objects.filter(user=outsider).exists()
    assert Collection.objects.get(pk=foreign["collection_pk"]).name == "B set"
    assert CollectionItem.objects.filter(pk=foreign["item_pk"]).exists()
    assert Export.objects.filter(workspace=asset.workspace).count() == 1

"""Finding one's way, and the Sandbox badge telling the truth about each workspace."""

import pytest
from django.urls import reverse

from recraft_studio.workspaces import encryption
from recraft_studio.workspaces.models import Role, Workspace
from tests.brand.factories import BrandStyleFactory, PaletteFactory, stored_asset
from tests.factories import MembershipFactory, ProjectFactory
from tests.images import png

pytestmark = pytest.mark.django_db

BADGE = 'data-testid="sandbox-badge"'


def test_the_workspace_page_links_to_the_brand_kit_members_settings_and_project_defaults(
    designer, project, logged_in
):
    user, membership = designer
    slug = membership.workspace.slug
    page = logged_in(user).get(reverse("workspace", args=[slug])).content.decode()
    for name in ("brand_kit", "members", "workspace_settings"):
        assert f'href="{reverse(name, args=[slug])}"' in page
    assert f'href="{reverse("project_settings", args=[slug, project.slug])}"' in page


def test_the_project_page_links_to_its_defaults(designer, project, logged_in):
    user, _ = designer
    page = logged_in(user).get(reverse("project", args=[project.workspace.slug, project.slug]))
    assert (
        reverse("project_settings", args=[project.workspace.slug, project.slug])
        in page.content.decode()
    )


def test_every_brand_kit_and_workspace_page_opens_for_a_member(member, logged_in, settings):
    settings.RECRAFT_API_BASE = "http://127.0.0.1:9/v1"  # no API: the settings page still opens
    user, membership = member(Role.OWNER)
    workspace = membership.workspace
    project = ProjectFactory(workspace=workspace)
    style = BrandStyleFactory(workspace=workspace)
    palette = PaletteFactory(workspace=workspace)
    client = logged_in(user)
    for url in [
        reverse("brand_kit", args=[workspace.slug]),
        reverse("brand_style_create", args=[workspace.slug]),
        reverse("brand_style", args=[workspace.slug, style.pk]),
        reverse("palette_create", args=[workspace.slug]),
        reverse("palette", args=[workspace.slug, palette.pk]),
        reverse("members", args=[workspace.slug]),
        reverse("workspace_settings", args=[workspace.slug]),
        reverse("project_settings", args=[workspace.slug, project.slug]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert BADGE in response.content.decode(), url


def test_a_workspace_with_its_own_token_shows_no_sandbox_badge_on_its_pages(
    member, logged_in, settings
):
    settings.RECRAFT_SANDBOX = True
    settings.RECRAFT_API_BASE = "http://127.0.0.1:9/v1"
    user, membership = member(Role.OWNER)
    own = membership.workspace
    Workspace.objects.filter(pk=own.pk).update(
        api_token_encrypted=encryption.encrypt("own-token-abcd"), api_token_last4="abcd"
    )
    other = MembershipFactory(user=user, role=Role.OWNER).workspace
    own_project, other_project = ProjectFactory(workspace=own), ProjectFactory(workspace=other)
    asset = stored_asset(own_project, png())
    client = logged_in(user)

    for url in [
        reverse("workspace", args=[own.slug]),
        reverse("project", args=[own.slug, own_project.slug]),
        reverse("brand_kit", args=[own.slug]),
        reverse("asset", args=[asset.id]),
    ]:
        assert BADGE not in client.get(url).content.decode(), url
    # The workspace without a token of its own really does use the sandbox.
    assert (
        BADGE
        in client.get(reverse("project", args=[other.slug, other_project.slug])).content.decode()
    )
    # Outside any workspace the page speaks for the deployment, which has no token.
    assert BADGE in client.get(reverse("home")).content.decode()


def test_a_deployment_with_a_token_shows_no_badge_anywhere(designer, project, logged_in, settings):
    """...and the same pages show it on a sandbox deployment (the tests above)."""
    settings.RECRAFT_SANDBOX = False
    user, _ = designer
    client = logged_in(user)
    assert (
        BADGE
        not in client.get(
            reverse("project", args=[project.workspace.slug, project.slug])
        ).content.decode()
    )
    from django.test import Client

    login_page = Client().get(reverse("login"))
    assert login_page.status_code == 200 and BADGE not in login_page.content.decode()

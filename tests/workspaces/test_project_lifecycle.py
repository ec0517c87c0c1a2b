"""Projects are renamed and archived by owners and brand managers; archived ones stay reachable."""

import pytest
from django.urls import reverse

from recraft_studio.audit.models import AuditEvent
from recraft_studio.workspaces.models import Role
from tests.assets.conftest import store_asset
from tests.factories import ProjectFactory


@pytest.fixture
def managed(member, logged_in):
    user, membership = member(Role.BRAND_MANAGER)
    project = ProjectFactory(workspace=membership.workspace, name="Spring", slug="spring")
    return logged_in(user), membership.workspace, project


def test_a_brand_manager_renames_a_project_and_its_address_stays(managed):
    client, workspace, project = managed
    response = client.post(
        reverse("project_rename", args=[workspace.slug, project.slug]), {"name": "Spring 2026"}
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.name, project.slug) == ("Spring 2026", "spring")
    event = AuditEvent.objects.get(verb="project.renamed")
    assert event.data == {"from": "Spring", "to": "Spring 2026"}


def test_an_empty_name_is_refused_on_the_field(managed):
    client, workspace, project = managed
    response = client.post(
        reverse("project_rename", args=[workspace.slug, project.slug]), {"name": "  "}
    )
    assert response.status_code == 400
    assert "Project name is required" in response.content.decode()
    assert not AuditEvent.objects.exists()


def test_an_archived_project_leaves_the_list_but_keeps_its_page_and_images(managed):
    client, workspace, project = managed
    asset = store_asset(project=project)
    client.post(reverse("project_archive", args=[workspace.slug, project.slug]), {"archived": "1"})
    project.refresh_from_db()
    assert project.is_archived
    home = client.get(reverse("workspace", args=[workspace.slug]))
    assert list(home.context["projects"]) == []
    assert list(home.context["archived_projects"]) == [project]
    page = client.get(reverse("project", args=[workspace.slug, project.slug]))
    assert page.status_code == 200 and 'data-testid="archived-notice"' in page.content.decode()
    assert client.get(reverse("asset", args=[asset.pk])).status_code == 200
    assert AuditEvent.objects.filter(verb="project.archived").count() == 1
    # Archiving again records nothing new; bringing it back does.
    client.post(reverse("project_archive", args=[workspace.slug, project.slug]), {"archived": "1"})
    client.post(reverse("project_archive", args=[workspace.slug, project.slug]), {"archived": "0"})
    project.refresh_from_db()
    assert not project.is_archived
    verbs = list(AuditEvent.objects.order_by("created_at").values_list("verb", flat=True))
    assert verbs == ["project.archived", "project.unarchived"]


@pytest.mark.parametrize("action", ["project_rename", "project_archive"])
def test_a_designer_can_neither_rename_nor_archive(member, logged_in, action):
    user, membership = member(Role.DESIGNER)
    project = ProjectFactory(workspace=membership.workspace, name="Spring")
    response = logged_in(user).post(
        reverse(action, args=[membership.workspace.slug, project.slug]), {"name": "Mine"}
    )
    assert response.status_code == 403
    project.refresh_from_db()
    assert project.name == "Spring" and not project.is_archived
    assert "You can’t do that here" in response.content.decode()  # the studio's 403 page


def test_workspace_tabs_show_what_the_role_may_open(member, logged_in):
    owner, membership = member(Role.OWNER)
    viewer, _ = member(Role.VIEWER, workspace=membership.workspace)
    project = ProjectFactory(workspace=membership.workspace)
    pages = [
        reverse("workspace", args=[membership.workspace.slug]),
        reverse("project", args=[membership.workspace.slug, project.slug]),
        reverse("workspace_gallery", args=[membership.workspace.slug]),
        reverse("workspace_jobs", args=[membership.workspace.slug]),
        reverse("brand_kit", args=[membership.workspace.slug]),
        reverse("members", args=[membership.workspace.slug]),
        reverse("project_settings", args=[membership.workspace.slug, project.slug]),
    ]
    for url in pages:
        as_owner = logged_in(owner).get(url).content.decode()
        assert 'data-testid="workspace-tabs"' in as_owner and 'data-testid="tab-audit"' in as_owner
    as_viewer = logged_in(viewer).get(pages[0]).content.decode()
    assert 'data-testid="tab-gallery"' in as_viewer and 'data-testid="tab-audit"' not in as_viewer


def test_a_missing_page_is_the_studios_404_with_a_way_back(member, logged_in):
    user, membership = member(Role.DESIGNER)
    client = logged_in(user)
    came_from = f"http://testserver{reverse('workspace', args=[membership.workspace.slug])}"
    response = client.get(
        reverse("project", args=[membership.workspace.slug, "nope"]), HTTP_REFERER=came_from
    )
    body = response.content.decode()
    assert response.status_code == 404
    assert "This page isn’t here" in body and "No such project." in body
    assert f'href="{came_from}" data-testid="error-back"' in body
    assert 'data-testid="error-home"' in body


def test_a_foreign_referer_is_not_offered_as_the_way_back(member, logged_in):
    user, _ = member(Role.DESIGNER)
    response = logged_in(user).get("/w/nope/", HTTP_REFERER="https://evil.example/")
    assert "evil.example" not in response.content.decode()

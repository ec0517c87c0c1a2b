"""Review: draft → in review → approved → retired, who may do what, comments and @mentions."""

import pytest
from django.urls import reverse

from recraft_studio.assets import services
from recraft_studio.assets.models import AssetState, Comment, Mention
from recraft_studio.audit.models import AuditEvent
from recraft_studio.workspaces.models import Role
from tests.assets.test_gallery import make_assets
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(member):
    dana, dana_m = member(Role.DESIGNER, username="dana")
    workspace = dana_m.workspace
    _, bo_m = member(Role.BRAND_MANAGER, workspace=workspace, username="bo")
    _, olga_m = member(Role.OWNER, workspace=workspace, username="olga")
    _, vi_m = member(Role.VIEWER, workspace=workspace, username="vi")
    project = ProjectFactory(workspace=workspace, name="Launch")
    (asset,) = make_assets(project, 1, user=dana, prompt="A lighthouse at dawn")
    return {"dana": dana_m, "bo": bo_m, "olga": olga_m, "vi": vi_m, "asset": asset}


def review(client, asset, action):
    return client.post(reverse("asset_review", args=[asset.pk]), {"action": action})


def test_an_image_goes_from_draft_to_review_to_approved_to_retired(team, logged_in):
    asset = team["asset"]
    assert review(logged_in(team["dana"].user), asset, "request_review").status_code == 302
    asset.refresh_from_db()
    assert asset.state == AssetState.IN_REVIEW

    review(logged_in(team["bo"].user), asset, "approve")
    asset.refresh_from_db()
    assert asset.state == AssetState.APPROVED
    assert asset.approved_by == team["bo"].user and asset.approved_at is not None

    page = logged_in(team["vi"].user).get(reverse("asset", args=[asset.pk])).content.decode()
    assert "approved by <strong>bo</strong>" in page

    review(logged_in(team["olga"].user), asset, "retire")
    asset.refresh_from_db()
    assert asset.state == AssetState.RETIRED
    assert asset.approved_by == team["bo"].user  # who approved it stays on record
    verbs = list(
        AuditEvent.objects.filter(target_id=str(asset.pk))
        .order_by("id")
        .values_list("verb", "actor_name")
    )
    assert verbs == [
        ("asset.review_requested", "dana"),
        ("asset.approved", "bo"),
        ("asset.retired", "olga"),
    ]


def test_designers_ask_for_review_but_cannot_approve(team, logged_in):
    client = logged_in(team["dana"].user)
    assert review(client, team["asset"], "approve").status_code == 403
    team["asset"].refresh_from_db()
    assert team["asset"].state == AssetState.DRAFT


def test_viewers_cannot_change_the_review_state(team, logged_in):
    assert review(logged_in(team["vi"].user), team["asset"], "request_review").status_code == 403


def test_approving_twice_changes_nothing_the_second_time(team):
    services.assets_transition(membership=team["bo"], assets=[team["asset"]], action="approve")
    changed, skipped = services.assets_transition(
        membership=team["bo"], assets=[team["asset"]], action="approve"
    )
    assert changed == [] and skipped[0][1] == "it is approved"
    assert AuditEvent.objects.filter(verb="asset.approved").count() == 1


def test_a_brand_manager_sends_an_image_back_and_reopens_a_retired_one(team):
    asset = team["asset"]
    services.assets_transition(membership=team["dana"], assets=[asset], action="request_review")
    services.assets_transition(membership=team["bo"], assets=[asset], action="send_back")
    asset.refresh_from_db()
    assert asset.state == AssetState.DRAFT
    for action in ("approve", "retire", "reopen"):
        services.assets_transition(membership=team["bo"], assets=[asset], action=action)
    asset.refresh_from_db()
    assert asset.state == AssetState.DRAFT and asset.approved_by is None


def test_the_gallery_filters_by_state_and_shows_a_badge(team, logged_in):
    asset = team["asset"]
    other = make_assets(asset.project, 1, user=team["dana"].user)[0]
    services.assets_transition(membership=team["bo"], assets=[asset], action="approve")
    client = logged_in(team["dana"].user)
    url = reverse("workspace_gallery", args=[asset.workspace.slug])
    approved = client.get(url, {"state": "approved"})
    assert [a.pk for a in approved.context["page"].items] == [asset.pk]
    drafts = client.get(url, {"state": "draft"})
    assert [a.pk for a in drafts.context["page"].items] == [other.pk]
    assert 'data-testid="state-badge">Approved<' in approved.content.decode()


def test_bulk_approve_is_for_brand_managers(team, logged_in):
    url = reverse("library_bulk", args=[team["asset"].workspace.slug])
    data = {"action": "approve", "asset": [team["asset"].pk]}
    assert logged_in(team["dana"].user).post(url, data).status_code == 403
    logged_in(team["bo"].user).post(url, data)
    team["asset"].refresh_from_db()
    assert team["asset"].state == AssetState.APPROVED


# --- comments and mentions ------------------------------------------------------------------------


def test_any_member_comments_and_a_mention_emails_that_member_once(
    team, logged_in, mailoutbox, django_capture_on_commit_callbacks
):
    asset = team["asset"]
    outsider = UserFactory(username="mallory")
    MembershipFactory(user=outsider)  # in another workspace: never mentioned here
    client = logged_in(team["vi"].user)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("asset_comment", args=[asset.pk]),
            {"body": "Lovely. @Bo, can we use it? cc @mallory @nobody and @vi."},
        )
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert comment.author == team["vi"].user
    # Only members are mentioned, the author never; and a task is queued to tell them.
    assert list(Mention.objects.values_list("user__username", flat=True)) == ["bo"]
    assert len(callbacks) == 1

    url = "http://testserver" + reverse("asset", args=[asset.pk])
    assert services.comment_notify(comment_id=comment.pk, asset_url=url) == 1
    assert services.comment_notify(comment_id=comment.pk, asset_url=url) == 0
    (mail,) = mailoutbox
    assert mail.to == [team["bo"].user.email]
    assert "vi mentioned you" in mail.subject
    assert "can we use it?" in mail.body and url in mail.body

    event = AuditEvent.objects.get(verb="asset.commented")
    assert event.data["mentions"] == ["bo"]


def test_an_empty_comment_is_an_error_on_the_field(team, logged_in):
    response = logged_in(team["dana"].user).post(
        reverse("asset_comment", args=[team["asset"].pk]),
        {"body": "   "},
        HTTP_HX_REQUEST="true",
    )
    assert "Comment: This field is required." in response.content.decode()
    assert not Comment.objects.exists()


def test_comments_show_on_the_image_page(team, logged_in):
    services.comment_add(
        membership=team["dana"], asset=team["asset"], body="First draft", asset_url="/"
    )
    page = logged_in(team["olga"].user).get(reverse("asset", args=[team["asset"].pk]))
    assert "First draft" in page.content.decode()

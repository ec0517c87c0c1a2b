"""Members: owners invite by email, change roles and remove people; never the last owner."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from recraft_studio.accounts.services import email_mark_verified
from recraft_studio.audit.models import AuditEvent
from recraft_studio.workspaces import services
from recraft_studio.workspaces.models import Invitation, Membership, Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(member):
    user, membership = member(Role.OWNER, username="olga")
    return user, membership, membership.workspace


def invite(client, workspace, email="newbie@example.com", role=Role.DESIGNER):
    return client.post(reverse("members", args=[workspace.slug]), {"email": email, "role": role})


def link_in(message) -> str:
    match = re.search(r"http://testserver(/invitations/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


# --- inviting ------------------------------------------------------------------------------


def test_an_owner_invites_by_email_with_a_single_use_link_whose_token_is_not_stored(
    owner, logged_in
):
    user, _, workspace = owner
    response = invite(logged_in(user), workspace, "Newbie@Example.com", Role.BRAND_MANAGER)

    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "Newbie@example.com" and invitation.role == Role.BRAND_MANAGER
    assert invitation.is_pending and invitation.invited_by == user
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["Newbie@example.com"] and workspace.name in message.subject
    url = link_in(message)
    token = url.split("/")[2]
    assert token not in invitation.token_hash and len(invitation.token_hash) == 64
    assert "brand manager" in message.body
    event = AuditEvent.objects.get(verb="invitation.created")
    assert event.actor == user and event.data == {
        "email": "Newbie@example.com",
        "role": "brand_manager",
    }
    page = logged_in(user).get(reverse("members", args=[workspace.slug])).content.decode()
    assert "Newbie@example.com" in page and "Withdraw" in page


def test_inviting_someone_already_in_the_workspace_is_an_error_on_the_email_field(
    owner, member, logged_in
):
    user, _, workspace = owner
    other, _ = member(Role.VIEWER, workspace=workspace, username="vic")
    response = invite(logged_in(user), workspace, other.email)
    assert response.status_code == 200
    assert "already a member" in response.context["invite_form"].errors["email"][0]
    assert not Invitation.objects.exists() and mail.outbox == []


@pytest.mark.parametrize(
    "data",
    [{"email": "not-an-email", "role": "designer"}, {"email": "a@example.com", "role": "emperor"}],
)
def test_a_bad_invitation_form_is_refused_and_nothing_is_sent(owner, logged_in, data):
    user, _, workspace = owner
    response = logged_in(user).post(reverse("members", args=[workspace.slug]), data)
    assert response.status_code == 200 and response.context["invite_form"].errors
    assert not Invitation.objects.exists() and mail.outbox == []


def test_inviting_the_same_address_again_withdraws_the_first_link(owner, logged_in, client):
    user, _, workspace = owner
    owner_client = logged_in(user)
    invite(owner_client, workspace)
    invite(owner_client, workspace)
    first, second = link_in(mail.outbox[0]), link_in(mail.outbox[1])
    client.logout()
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200


@pytest.mark.parametrize("role", [Role.BRAND_MANAGER, Role.DESIGNER, Role.VIEWER])
def test_only_owners_invite(member, logged_in, role):
    user, membership = member(role)
    response = invite(logged_in(user), membership.workspace)
    assert response.status_code == 403
    assert not Invitation.objects.exists() and mail.outbox == []
    with pytest.raises(PermissionDenied):
        services.invitation_create(
            membership=membership, email="x@example.com", role=Role.VIEWER, accept_url=str
        )


def test_an_owner_withdraws_an_invitation_and_its_link_stops_working(owner, logged_in, client):
    user, _, workspace = owner
    owner_client = logged_in(user)
    invite(owner_client, workspace)
    invitation = Invitation.objects.get()
    owner_client.post(reverse("invitation_revoke", args=[workspace.slug, invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert AuditEvent.objects.filter(verb="invitation.revoked", actor=user).exists()
    client.logout()
    response = client.get(link_in(mail.outbox[0]))
    assert response.status_code == 410 and "withdrawn" in response.content.decode()


def test_only_owners_withdraw_invitations(owner, member, logged_in):
    _, owner_membership, workspace = owner
    invitation = services.invitation_create(
        membership=owner_membership, email="x@example.com", role=Role.VIEWER, accept_url=str
    )
    user, _ = member(Role.BRAND_MANAGER, workspace=workspace)
    response = logged_in(user).post(
        reverse("invitation_revoke", args=[workspace.slug, invitation.pk])
    )
    assert response.status_code == 403
    invitation.refresh_from_db()
    assert invitation.is_pending


# --- accepting -----------------------------------------------------------------------------


@pytest.fixture
def invitation_link(owner, logged_in, client):
    user, _, workspace = owner
    invite(logged_in(user), workspace, "newbie@example.com", Role.BRAND_MANAGER)
    client.logout()
    return link_in(mail.outbox[0])


def test_a_logged_in_person_accepts_and_joins_with_the_invited_role_once(
    invitation_link, owner, client
):
    _, _, workspace = owner
    newbie = UserFactory(username="newbie", email="newbie@example.com")
    email_mark_verified(user=newbie, method="link")
    client.force_login(newbie)
    page = client.get(invitation_link)
    assert page.status_code == 200 and workspace.name in page.content.decode()

    response = client.post(invitation_link)

    assert response.status_code == 302
    assert response["Location"] == reverse("workspace", args=[workspace.slug])
    membership = Membership.objects.get(workspace=workspace, user=newbie)
    assert membership.role == Role.BRAND_MANAGER
    assert AuditEvent.objects.get(verb="membership.created").actor == newbie
    assert AuditEvent.objects.get(verb="invitation.accepted").data["already_member"] is False
    again = client.post(invitation_link)
    assert again.status_code == 410 and "already been used" in again.content.decode()
    assert Membership.objects.filter(user=newbie).count() == 1


def test_someone_without_an_account_creates_one_on_the_accept_page(invitation_link, owner, client):
    _, _, workspace = owner
    page = client.get(invitation_link).content.decode()
    assert f'href="{reverse("login")}?next={invitation_link}"' in page
    assert 'name="password1"' in page

    response = client.post(
        invitation_link,
        {
            "username": "nina",
            "password1": "a long pass phrase 7",
            "password2": "a long pass phrase 7",
        },
    )

    assert response.status_code == 302
    nina = get_user_model().objects.get(username="nina")
    assert nina.email == "newbie@example.com"
    assert Membership.objects.get(user=nina).role == Role.BRAND_MANAGER
    assert client.get(reverse("brand_kit", args=[workspace.slug])).status_code == 200  # logged in


def test_a_bad_sign_up_keeps_the_invitation_and_creates_nobody(invitation_link, client):
    response = client.post(
        invitation_link,
        {"username": "nina", "password1": "a long pass phrase 7", "password2": "other"},
    )
    assert response.status_code == 200
    assert "password2" in response.context["signup_form"].errors
    assert not get_user_model().objects.filter(username="nina").exists()
    assert Invitation.objects.get().is_pending


def test_an_expired_invitation_cannot_be_accepted(invitation_link, client):
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    client.force_login(UserFactory(username="late"))
    response = client.post(invitation_link)
    assert response.status_code == 410 and "expired" in response.content.decode()
    assert not Membership.objects.filter(user__username="late").exists()


def test_an_unknown_link_is_not_found(client):
    response = client.get(reverse("invitation_accept", args=["nonsense-token"]))
    assert response.status_code == 404 and "not valid" in response.content.decode()


def test_accepting_as_someone_already_in_the_workspace_keeps_their_role(owner, client):
    _, owner_membership, workspace = owner
    services.invitation_create(
        membership=owner_membership,
        email="someone@example.com",
        role=Role.OWNER,
        accept_url=lambda t: f"http://testserver/invitations/{t}/",
    )
    # They joined another way after being invited.
    invitation_user = MembershipFactory(
        workspace=workspace, role=Role.VIEWER, user__email="someone@example.com"
    ).user
    email_mark_verified(user=invitation_user, method="link")
    client.force_login(invitation_user)
    client.post(link_in(mail.outbox[0]))
    assert Membership.objects.get(user=invitation_user).role == Role.VIEWER


# --- roles and removal ----------------------------------------------------------------------


def test_an_owner_changes_a_role_and_it_is_audited(owner, member, logged_in):
    user, _, workspace = owner
    target, membership = member(Role.DESIGNER, workspace=workspace)
    response = logged_in(user).post(
        reverse("member_role", args=[workspace.slug, membership.pk]), {"role": Role.VIEWER}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.VIEWER
    event = AuditEvent.objects.get(verb="membership.role_changed")
    assert event.actor == user
    assert event.data == {"user": target.username, "from": "designer", "to": "viewer"}


def test_the_last_owner_can_be_neither_demoted_nor_removed(owner, logged_in):
    user, membership, workspace = owner
    client = logged_in(user)
    demote = client.post(
        reverse("member_role", args=[workspace.slug, membership.pk]),
        {"role": Role.DESIGNER},
        follow=True,
    )
    assert "needs an owner" in demote.content.decode()
    remove = client.post(
        reverse("member_remove", args=[workspace.slug, membership.pk]), follow=True
    )
    assert "needs an owner" in remove.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.OWNER
    assert not AuditEvent.objects.exists()
    with pytest.raises(services.MembershipRuleBroken):
        services.membership_remove(membership=membership, member=membership)


def test_with_a_second_owner_an_owner_may_step_down(owner, member, logged_in):
    user, membership, workspace = owner
    member(Role.OWNER, workspace=workspace)
    client = logged_in(user)
    client.post(
        reverse("member_role", args=[workspace.slug, membership.pk]), {"role": Role.DESIGNER}
    )
    membership.refresh_from_db()
    assert membership.role == Role.DESIGNER


def test_with_a_second_owner_an_owner_may_leave_and_is_sent_home(owner, member, logged_in):
    user, membership, workspace = owner
    member(Role.OWNER, workspace=workspace)
    response = logged_in(user).post(reverse("member_remove", args=[workspace.slug, membership.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert Membership.objects.filter(workspace=workspace, role=Role.OWNER).count() == 1


def test_an_owner_removes_a_member_who_then_cannot_see_the_workspace(
    owner, member, logged_in, client
):
    user, _, workspace = owner
    gone, membership = member(Role.DESIGNER, workspace=workspace, username="gone")
    logged_in(user).post(reverse("member_remove", args=[workspace.slug, membership.pk]))
    assert not Membership.objects.filter(pk=membership.pk).exists()
    event = AuditEvent.objects.get(verb="membership.removed")
    assert event.actor == user and event.data == {"user": "gone", "role": "designer"}
    client.logout()
    client.force_login(gone)
    assert client.get(reverse("workspace", args=[workspace.slug])).status_code == 404


@pytest.mark.parametrize("role", [Role.BRAND_MANAGER, Role.DESIGNER, Role.VIEWER])
def test_only_owners_change_roles_or_remove_members(owner, member, logged_in, role):
    _, owner_membership, workspace = owner
    user, _ = member(role, workspace=workspace)
    client = logged_in(user)
    role_url = reverse("member_role", args=[workspace.slug, owner_membership.pk])
    assert client.post(role_url, {"role": Role.VIEWER}).status_code == 403
    remove_url = reverse("member_remove", args=[workspace.slug, owner_membership.pk])
    assert client.post(remove_url).status_code == 403
    owner_membership.refresh_from_db()
    assert owner_membership.role == Role.OWNER
    mine = Membership.objects.get(user=user)
    with pytest.raises(PermissionDenied):
        services.membership_change_role(membership=mine, member=mine, role=Role.OWNER)


def test_every_member_sees_who_is_in_the_workspace_but_only_owners_get_the_controls(
    owner, member, logged_in
):
    _, _, workspace = owner
    viewer, _ = member(Role.VIEWER, workspace=workspace, username="vera")
    page = logged_in(viewer).get(reverse("members", args=[workspace.slug])).content.decode()
    assert "olga" in page and "vera" in page
    assert 'name="role"' not in page and "Remove" not in page and "Invite someone" not in page

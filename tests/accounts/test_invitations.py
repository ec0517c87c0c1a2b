"""Invitations are for an address: only an account that has it, verified, accepts one,
and without a mail server none is sent (its link would end up in the logs)."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from recraft_studio.accounts.models import VerifiedEmail
from recraft_studio.accounts.services import email_mark_verified
from recraft_studio.core.mail import CONSOLE_BACKEND, NO_MAIL_BACKEND
from recraft_studio.workspaces.models import Invitation, Membership, Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return MembershipFactory(user=UserFactory(username="olga"), role=Role.OWNER)


def invite(client, owner, email="newbie@example.com", role=Role.OWNER):
    client.force_login(owner.user)
    response = client.post(
        reverse("members", args=[owner.workspace.slug]), {"email": email, "role": role}
    )
    client.logout()
    return response


def link_in(message, path="invitations") -> str:
    match = re.search(rf"http://testserver(/{path}/[^\s]+)", message.body)
    assert match, message.body
    return match.group(1)


def test_a_link_does_not_work_for_another_signed_in_account(client, owner):
    invite(client, owner)
    link = link_in(mail.outbox[0])
    mallory = UserFactory(username="mallory", email="mallory@example.com")
    email_mark_verified(user=mallory, method="link")
    client.force_login(mallory)

    page = client.get(link)
    response = client.post(link)

    assert "This invitation is for newbie@example.com" in page.content.decode()
    assert 'data-testid="accept"' not in page.content.decode()
    assert response.status_code == 403
    assert not Membership.objects.filter(user=mallory).exists()
    assert Invitation.objects.get().is_pending  # the invitee can still use it


def test_an_account_with_the_address_confirms_it_by_email_then_joins(client, owner):
    invite(client, owner, role=Role.DESIGNER)
    link = link_in(mail.outbox[0])
    newbie = UserFactory(username="newbie", email="Newbie@Example.com")  # made by an admin
    client.force_login(newbie)

    refused = client.post(link)
    assert refused.status_code == 403 and "Confirm that" in refused.content.decode()
    assert 'data-testid="send-verification"' in refused.content.decode()

    sent = client.post(reverse("email_verification_send"), {"next": link})
    assert sent.status_code == 302 and sent["Location"] == link
    assert mail.outbox[-1].to == ["Newbie@Example.com"]
    confirm = link_in(mail.outbox[-1], "account/verify-email")
    followed = client.get(confirm)
    assert followed.status_code == 302 and followed["Location"] == link
    assert VerifiedEmail.objects.get(user=newbie).method == "link"

    joined = client.post(link)
    assert joined.status_code == 302
    assert Membership.objects.get(user=newbie, workspace=owner.workspace).role == Role.DESIGNER


def test_a_confirmation_link_works_only_for_its_account_and_its_address(client, owner):
    newbie = UserFactory(username="newbie", email="newbie@example.com")
    client.force_login(newbie)
    client.post(reverse("email_verification_send"))
    confirm = link_in(mail.outbox[-1], "account/verify-email")

    other = UserFactory(username="other", email="newbie@example.com")
    client.force_login(other)
    assert client.get(confirm).status_code == 400
    client.force_login(newbie)
    newbie.email = "changed@example.com"
    newbie.save()
    stale = client.get(confirm)
    assert stale.status_code == 400 and "no longer has" in stale.content.decode()
    assert client.get(reverse("email_verify", args=["forged"])).status_code == 400
    assert not VerifiedEmail.objects.exists()


def test_creating_the_account_from_the_link_proves_the_address(client, owner):
    invite(client, owner, role=Role.VIEWER)
    link = link_in(mail.outbox[0])
    response = client.post(
        link,
        {
            "username": "nina",
            "password1": "a long pass phrase 7",
            "password2": "a long pass phrase 7",
        },
    )
    assert response.status_code == 302
    verified = VerifiedEmail.objects.get(user__username="nina")
    assert verified.email == "newbie@example.com" and verified.method == "invitation"


@pytest.mark.parametrize("backend", [NO_MAIL_BACKEND, CONSOLE_BACKEND])
def test_without_a_mail_server_invitations_are_refused_with_a_clear_message(
    client, owner, settings, backend
):
    settings.DEBUG = False
    settings.EMAIL_BACKEND = backend
    client.force_login(owner.user)
    page = client.get(reverse("members", args=[owner.workspace.slug])).content.decode()
    assert "no mail server configured (EMAIL_URL)" in page

    response = client.post(
        reverse("members", args=[owner.workspace.slug]),
        {"email": "newbie@example.com", "role": Role.DESIGNER},
    )

    assert response.status_code == 200
    errors = response.context["invite_form"].non_field_errors()
    assert "no mail server configured (EMAIL_URL)" in errors[0]
    assert not Invitation.objects.exists()
    assert not mail.outbox


def test_while_developing_the_console_backend_still_sends(client, owner, settings):
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert invite(client, owner).status_code == 302
    assert Invitation.objects.exists()

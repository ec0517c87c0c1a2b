"""A person changes their own password: validators apply, it is audited, other
sessions end and this one goes on."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from recraft_studio.audit.models import AuditEvent
from recraft_studio.workspaces.models import Role
from tests.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW = "a completely new pass phrase"


@pytest.fixture
def ada():
    return MembershipFactory(user=UserFactory(username="ada"), role=Role.VIEWER).user


def change(client, old=PASSWORD, new1=NEW, new2=NEW):
    return client.post(
        reverse("password_change"),
        {"old_password": old, "new_password1": new1, "new_password2": new2},
    )


def test_every_page_links_to_changing_ones_password(client, ada):
    client.force_login(ada)
    page = client.get(reverse("home"), follow=True).content.decode()
    assert f'href="{reverse("password_change")}"' in page


def test_a_person_changes_their_password_and_stays_signed_in_here_only(client, ada):
    client.force_login(ada)
    elsewhere = Client()
    elsewhere.force_login(ada)

    response = change(client)

    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    ada.refresh_from_db()
    assert ada.check_password(NEW)
    assert client.get(reverse("password_change_done")).status_code == 200
    assert SESSION_KEY not in elsewhere.session or elsewhere.get(reverse("home")).status_code == 302
    assert elsewhere.get(reverse("home"))["Location"].startswith(reverse("login"))
    event = AuditEvent.objects.get(verb="account.password_changed")
    assert event.actor == ada and event.workspace == ada.memberships.get().workspace


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("wrong", NEW, "old_password", "Your old password was entered incorrectly"),
        (PASSWORD, "short1", "new_password2", "too short"),
        (PASSWORD, "password123", "new_password2", "too common"),
        (PASSWORD, "84729103847561", "new_password2", "entirely numeric"),
        (PASSWORD, "ada@example.co", "new_password2", "too similar"),
    ],
)
def test_a_bad_change_is_a_field_error_and_nothing_changes(client, ada, old, new, field, message):
    client.force_login(ada)
    response = change(client, old, new, new)
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors[field])
    assert message in errors
    ada.refresh_from_db()
    assert ada.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(verb="account.password_changed").exists()


def test_the_page_needs_a_sign_in(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))

"""Signing in: throttled per account and per address, and written to the audit trail."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils import timezone

from recraft_studio.audit.models import AuditEvent
from recraft_studio.workspaces.models import Role
from tests.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

LIMIT = 5  # settings.AXES_FAILURE_LIMIT (SIGNIN_FAILURE_LIMIT)


def sign_in(client, username, password, ip="203.0.113.7", **extra):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip, **extra
    )


def signed_in(client) -> bool:
    return SESSION_KEY in client.session


@pytest.fixture
def ada(db):
    return MembershipFactory(user=UserFactory(username="ada"), role=Role.DESIGNER).user


def test_the_right_password_signs_in(client, ada):
    response = sign_in(client, "ada", PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_many_wrong_passwords_then_the_right_one_do_not_sign_in(client, ada):
    for _ in range(20):
        assert sign_in(client, "ada", "guess").status_code in (200, 429)

    response = sign_in(client, "ada", PASSWORD)

    assert response.status_code == 429
    assert not signed_in(client)
    body = response.content.decode()
    assert "Too many failed sign-ins" in body and "Try again in 15 minutes" in body


def test_the_first_failures_are_a_plain_error_and_the_limit_locks(client, ada):
    for attempt in range(1, LIMIT):
        response = sign_in(client, "ada", "guess")
        assert response.status_code == 200, attempt
        assert "enter a correct username and password" in response.content.decode()
    assert sign_in(client, "ada", "guess").status_code == 429
    assert sign_in(client, "ada", PASSWORD).status_code == 429


def test_an_account_is_locked_whatever_address_the_guesses_come_from(client, ada):
    for i in range(LIMIT):
        sign_in(client, "ada", "guess", ip=f"198.51.100.{i + 1}")

    response = sign_in(client, "ada", PASSWORD, ip="192.0.2.200")

    assert response.status_code == 429 and not signed_in(client)


def test_an_address_is_locked_whatever_accounts_it_tries(client, ada):
    for i in range(LIMIT):
        sign_in(client, f"nobody{i}", "guess", ip="198.51.100.9")

    assert sign_in(client, "ada", PASSWORD, ip="198.51.100.9").status_code == 429
    assert not signed_in(client)
    # Ada herself, elsewhere, is not locked out by someone else's guessing.
    assert sign_in(client, "ada", PASSWORD, ip="192.0.2.1").status_code == 302


def test_a_forged_forwarded_for_header_does_not_give_a_fresh_address(client, ada):
    for i in range(LIMIT):
        sign_in(
            client, f"nobody{i}", "guess", ip="198.51.100.9", HTTP_X_FORWARDED_FOR=f"10.9.9.{i}"
        )
    response = sign_in(
        client, "ada", PASSWORD, ip="198.51.100.9", HTTP_X_FORWARDED_FOR="10.9.9.200"
    )
    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_address_it_saw_is_the_one_throttled(client, ada, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    for i in range(LIMIT):
        sign_in(client, f"nobody{i}", "guess", ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.9")
    locked = sign_in(client, "ada", PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.9")
    # A spoofed left-hand entry is ignored: the proxy appended the real address.
    other = sign_in(
        client, "ada", PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.9, 192.0.2.50"
    )
    assert locked.status_code == 429 and other.status_code == 302


def test_a_lockout_ends_after_the_cool_off(client, ada):
    for _ in range(LIMIT):
        sign_in(client, "ada", "guess")
    assert sign_in(client, "ada", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))

    assert sign_in(client, "ada", PASSWORD).status_code == 302


# --- the audit trail ---------------------------------------------------------------------------


def test_a_sign_in_is_recorded_in_each_workspace_of_the_account(client, ada):
    second = MembershipFactory(user=ada, role=Role.VIEWER).workspace
    outsider_workspace = MembershipFactory().workspace

    sign_in(client, "ada", PASSWORD, HTTP_USER_AGENT="Firefox")

    events = AuditEvent.objects.filter(verb="account.signed_in")
    assert {e.workspace_id for e in events} == {ada.memberships.first().workspace_id, second.pk}
    assert not events.filter(workspace=outsider_workspace).exists()
    event = events.first()
    assert event.actor == ada and event.target_id == str(ada.pk)
    assert event.data == {"ip": "203.0.113.7", "user_agent": "Firefox"}


def test_failed_sign_ins_on_an_account_are_recorded_and_the_lockout_once(client, ada):
    workspace = ada.memberships.get().workspace
    for _ in range(LIMIT + 3):
        sign_in(client, "ada", "guess")

    trail = AuditEvent.objects.filter(workspace=workspace)
    failed = trail.filter(verb="account.sign_in_failed")
    assert failed.count() == LIMIT - 1
    assert all(e.actor is None and e.data["username"] == "ada" for e in failed)
    assert "guess" not in str([e.data for e in trail])
    assert trail.filter(verb="account.locked_out").count() == 1
    assert not trail.filter(verb="account.signed_in").exists()


def test_guesses_at_unknown_names_stay_in_the_throttles_log_not_in_any_trail(client, ada):
    sign_in(client, "no-such-person", "guess")
    assert not AuditEvent.objects.exists()
    assert AccessAttempt.objects.get().username == "no-such-person"


def test_a_huge_username_is_refused_like_any_wrong_one_and_still_counted(client, ada):
    for _ in range(LIMIT):
        response = sign_in(client, "u" * 10_000, "guess", ip="198.51.100.3")
        assert response.status_code in (200, 429)
    assert AccessAttempt.objects.get().username == "u" * 150
    assert sign_in(client, "ada", PASSWORD, ip="198.51.100.3").status_code == 429

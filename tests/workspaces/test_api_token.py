"""The workspace's own API token: encrypted at rest, never shown, used by its jobs.

Where a test needs the API to know a workspace token, the deployment is configured
as if it had a real API at the sandbox's address (`RECRAFT_SANDBOX = False`), which
is how a deployment with a token of its own behaves.
"""

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.urls import reverse

from recraft_studio.assets.models import Asset
from recraft_studio.audit.models import AuditEvent
from recraft_studio.jobs.models import Job
from recraft_studio.recraft import catalog
from recraft_studio.workspaces import encryption, selectors, services
from recraft_studio.workspaces.forms import ApiTokenForm
from recraft_studio.workspaces.models import Role, Workspace
from tests.factories import ProjectFactory, WorkspaceFactory
from tests.jobs.helpers import run_here
from tests.services import wait_for

TOKEN = "ws-secret-token-9f3c1234"


def with_token(workspace, token=TOKEN):
    Workspace.objects.filter(pk=workspace.pk).update(
        api_token_encrypted=encryption.encrypt(token), api_token_last4=token[-4:]
    )
    workspace.refresh_from_db()
    return workspace


@pytest.fixture
def real_api_at_the_sandbox(settings, fresh_sandbox):
    """A deployment with its own token whose API is the sandbox; TOKEN is a known account."""
    settings.RECRAFT_SANDBOX = False
    settings.RECRAFT_API_BASE = fresh_sandbox.base_url
    settings.RECRAFT_API_TOKEN = "deployment-token"
    fresh_sandbox.set_credits("deployment-token", 5000)
    fresh_sandbox.set_credits(TOKEN, 777)
    return fresh_sandbox


# --- encryption --------------------------------------------------------------------------


def test_a_token_is_stored_encrypted_and_reads_back(db):
    workspace = with_token(WorkspaceFactory())
    assert TOKEN not in workspace.api_token_encrypted
    assert workspace.api_token_last4 == "1234"
    assert selectors.workspace_api_token(workspace) == TOKEN
    assert encryption.encrypt(TOKEN) != encryption.encrypt(TOKEN)  # Fernet adds a random IV


def test_a_token_encrypted_with_an_older_key_still_reads_and_rotates_to_the_newest(db, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    workspace = with_token(WorkspaceFactory())
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    assert selectors.workspace_api_token(workspace) == TOKEN

    call_command("workspace_tokens_rotate")

    settings.FIELD_ENCRYPTION_KEYS = [new]
    workspace.refresh_from_db()
    assert selectors.workspace_api_token(workspace) == TOKEN


def test_a_token_no_configured_key_can_read_is_reported_not_sent(db, settings):
    workspace = with_token(WorkspaceFactory())
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(encryption.SecretUnreadable):
        selectors.recraft_credentials(workspace)


def test_without_encryption_keys_no_token_can_be_stored(settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    with pytest.raises(ImproperlyConfigured):
        encryption.encrypt(TOKEN)
    form = ApiTokenForm({"api_token": TOKEN})
    assert not form.is_valid() and "FIELD_ENCRYPTION_KEYS" in form.non_field_errors()[0]


# --- which API and token a workspace uses ---------------------------------------------------


def test_on_a_sandbox_deployment_a_workspace_without_a_token_uses_the_sandbox(db, settings):
    settings.RECRAFT_SANDBOX = True
    workspace = WorkspaceFactory()
    assert selectors.recraft_credentials(workspace) == (
        settings.RECRAFT_API_BASE,
        settings.SANDBOX_TOKEN,
    )
    assert workspace.uses_sandbox


def test_a_workspace_token_goes_to_recraft_even_on_a_sandbox_deployment(db, settings):
    settings.RECRAFT_SANDBOX = True
    workspace = with_token(WorkspaceFactory())
    assert selectors.recraft_credentials(workspace) == (catalog.API_BASE, TOKEN)
    assert not workspace.uses_sandbox


def test_on_a_deployment_with_a_token_workspaces_use_theirs_or_else_the_deployments(db, settings):
    settings.RECRAFT_SANDBOX = False
    settings.RECRAFT_API_BASE = "https://api.example.com/v1"
    settings.RECRAFT_API_TOKEN = "deployment-token"
    assert selectors.recraft_credentials(WorkspaceFactory()) == (
        "https://api.example.com/v1",
        "deployment-token",
    )
    assert selectors.recraft_credentials(with_token(WorkspaceFactory())) == (
        "https://api.example.com/v1",
        TOKEN,
    )


# --- the settings page -----------------------------------------------------------------------


@pytest.fixture
def owner(member, logged_in):
    user, membership = member(Role.OWNER)
    return logged_in(user), user, membership.workspace


def settings_url(workspace):
    return reverse("workspace_settings", args=[workspace.slug])


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_balance_is_read_by_a_task_and_shown_without_the_page_waiting_on_the_api(
    owner, fresh_sandbox, celery_worker
):
    client, _, workspace = owner
    fresh_sandbox.set_credits(django_settings.SANDBOX_TOKEN, 4321)
    page = client.get(settings_url(workspace)).content.decode()
    assert "local sandbox" in page
    assert fresh_sandbox.requests(path="me") == []  # the page asked the API nothing
    account_url = reverse("workspace_account", args=[workspace.slug])

    asked = client.post(account_url, HTTP_HX_REQUEST="true").content.decode()
    assert "Reading the balance" in asked
    panel = wait_for(
        lambda: (
            "4,321" in (body := client.get(account_url, HTTP_HX_REQUEST="true").content.decode())
            and body
        ),
        what="the balance to be read",
    )
    assert "as of" in panel


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_an_unreachable_api_is_a_message_on_the_panel_not_an_error_page(
    owner, fresh_sandbox, celery_worker
):
    client, _, workspace = owner
    fresh_sandbox.set_faults("drop", count=20, path="me")
    account_url = reverse("workspace_account", args=[workspace.slug])
    client.post(account_url, HTTP_HX_REQUEST="true")
    panel = wait_for(
        lambda: "could not be" in (body := client.get(account_url).content.decode()) and body,
        what="the failed reading to be reported",
    )
    assert client.get(settings_url(workspace)).status_code == 200
    assert "Reading the balance" not in panel


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_an_owner_saves_a_token_which_is_checked_encrypted_and_never_shown(
    owner, real_api_at_the_sandbox
):
    client, user, workspace = owner
    response = client.post(settings_url(workspace), {"api_token": TOKEN}, follow=True)

    workspace.refresh_from_db()
    assert workspace.has_own_token and workspace.api_token_last4 == "1234"
    assert selectors.workspace_api_token(workspace) == TOKEN
    html = response.content.decode()
    assert TOKEN not in html and "…1234" in html
    assert 'data-testid="sandbox-badge"' not in html
    assert 'name="api_token"' in html and f'value="{TOKEN}"' not in html
    event = AuditEvent.objects.get(verb="workspace.api_token_set")
    assert event.actor == user and event.data == {"last4": "1234"}
    assert TOKEN not in str(AuditEvent.objects.values_list("data", flat=True)[::1])
    checked = real_api_at_the_sandbox.requests(path="/v1/users/me")
    assert checked and checked[0]["token"] == TOKEN


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_token_the_api_refuses_is_an_error_and_is_not_echoed_back(owner, real_api_at_the_sandbox):
    client, _, workspace = owner
    response = client.post(settings_url(workspace), {"api_token": "wrong-token-0000"})
    assert response.status_code == 200
    assert "did not accept this token" in response.context["token_form"].errors["api_token"][0]
    assert "wrong-token-0000" not in response.content.decode()
    workspace.refresh_from_db()
    assert not workspace.has_own_token and not AuditEvent.objects.exists()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_token_that_cannot_be_checked_now_is_saved_with_a_warning(owner, real_api_at_the_sandbox):
    client, _, workspace = owner
    real_api_at_the_sandbox.set_faults("503", count=5, path="me")
    response = client.post(settings_url(workspace), {"api_token": TOKEN}, follow=True)
    assert "could not be reached to check the token" in response.content.decode()
    workspace.refresh_from_db()
    assert workspace.has_own_token


@pytest.mark.parametrize(
    "token, message", [("", "required"), ("has space 1234", "no spaces"), ("short", "too short")]
)
def test_malformed_tokens_are_refused_on_the_field(owner, token, message):
    client, _, workspace = owner
    response = client.post(settings_url(workspace), {"api_token": token})
    assert message in response.context["token_form"].errors["api_token"][0]
    workspace.refresh_from_db()
    assert not workspace.has_own_token


def test_an_owner_removes_the_token(owner):
    client, user, workspace = owner
    with_token(workspace)
    client.post(settings_url(workspace), {"action": "clear"})
    workspace.refresh_from_db()
    assert not workspace.has_own_token and workspace.api_token_encrypted == ""
    assert AuditEvent.objects.get(verb="workspace.api_token_cleared").actor == user


@pytest.mark.parametrize("role", [Role.BRAND_MANAGER, Role.DESIGNER, Role.VIEWER])
def test_only_owners_see_or_change_the_token(member, logged_in, role, settings):
    # A deployment whose API does not answer (nothing listens there): the page still works.
    settings.RECRAFT_SANDBOX = False
    settings.RECRAFT_API_BASE = "http://127.0.0.1:9/v1"
    user, membership = member(role)
    workspace = with_token(membership.workspace)
    client = logged_in(user)
    page = client.get(settings_url(workspace)).content.decode()
    assert 'name="api_token"' not in page and "Remove the token" not in page
    assert (
        client.post(settings_url(workspace), {"api_token": "another-token-5678"}).status_code == 403
    )
    assert client.post(settings_url(workspace), {"action": "clear"}).status_code == 403
    workspace.refresh_from_db()
    assert workspace.api_token_last4 == "1234"
    with pytest.raises(Exception, match="Only owners"):
        services.workspace_api_token_set(membership=membership, token="another-token-5678")


# --- jobs use it --------------------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db
def test_a_workspaces_jobs_are_sent_with_its_own_token(real_api_at_the_sandbox, member):
    user, membership = member(Role.DESIGNER)
    workspace = with_token(membership.workspace)
    project = ProjectFactory(workspace=workspace)
    job = Job.objects.create(
        workspace=workspace,
        project=project,
        created_by=user,
        operation="generate",
        params={"prompt": "a lighthouse", "style": "digital_illustration", "n": 1},
    )

    job = run_here(job)  # the worker's pipeline, with this test's settings
    assert job.status == "done", job.error
    sent = real_api_at_the_sandbox.requests(path="/v1/images/generations")
    assert [r["token"] for r in sent] == [TOKEN]
    assert real_api_at_the_sandbox.credits(TOKEN) == 777 - job.actual_cost
    assert Asset.objects.filter(job=job).count() == 1

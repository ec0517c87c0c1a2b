"""Fixtures shared by the whole suite.

Unit tests use the database through pytest-django as usual. Integration tests (marked
`integration`) run against real services: the sandbox over HTTP, a Celery worker in
its own process on the test database, Redis, and the S3 server `make test` starts.
Their data must be committed for the worker to see it, so they use
`django_db(transaction=True)`.
"""

import pytest
from django.contrib.auth.signals import user_logged_in
from factory.django import mute_signals

from recraft_studio.workspaces.models import Role
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytest_plugins = ["tests.services"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Every test makes users; the real hasher's million rounds cost most of the suite's
    time on two cores. What is under test is who may do what, not PBKDF2."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def member(db):
    """A factory for (user, membership) of a workspace with a given role."""

    def make(role=Role.DESIGNER, workspace=None, username=None):
        kwargs = {"role": role}
        if workspace is not None:
            kwargs["workspace"] = workspace
        if username:
            kwargs["user"] = UserFactory(username=username)
        membership = MembershipFactory(**kwargs)
        return membership.user, membership

    return make


@pytest.fixture
def designer(member):
    return member(Role.DESIGNER)


@pytest.fixture
def project(designer):
    _, membership = designer
    return ProjectFactory(workspace=membership.workspace)


@pytest.fixture
def logged_in(client):
    """A client with a session of `user`, as if they had signed in earlier.

    Signing in itself (throttled, and written to the audit trail) is tested in
    tests/accounts; here it must not add `account.signed_in` events to the trails
    that other tests read.
    """

    def login(user):
        with mute_signals(user_logged_in):
            client.force_login(user)
        return client

    return login

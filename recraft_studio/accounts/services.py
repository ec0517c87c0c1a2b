"""Writes about accounts: their audit events and the verification of email addresses.

An account belongs to no workspace of its own, yet the audit trail is kept per
workspace (its owners read it). Account events (signed in, failed sign-in on a known
account, locked out, password changed, email verified) are therefore written once in
each workspace the account is a member of: every owner who answers for that person
sees them, and no workspace's trail names anyone outside it. Attempts on a username
that matches no account belong to no workspace; they stay in django-axes' own log
(`AccessAttempt`, `AccessFailureLog`, shown in /admin/) and the structured log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string

from recraft_studio.audit.services import audit_record
from recraft_studio.core import mail
from recraft_studio.workspaces.models import Workspace

from .models import VerifiedEmail

logger = logging.getLogger(__name__)

#: How long an email confirmation link works.
VERIFICATION_MAX_AGE = 3 * 24 * 60 * 60
_VERIFICATION_SALT = "accounts.verify-email"


class VerificationInvalid(Exception):
    """A confirmation link that is forged, stale, for another account or an old address."""


@transaction.atomic
def account_audit(*, user, verb: str, actor=None, data: dict | None = None) -> int:
    """Record an account event in every workspace `user` belongs to; how many."""
    workspaces = list(Workspace.objects.filter(memberships__user=user))
    for workspace in workspaces:
        audit_record(workspace=workspace, actor=actor, verb=verb, target=user, data=data)
    return len(workspaces)


@transaction.atomic
def email_mark_verified(*, user, method: str) -> VerifiedEmail:
    """Note that `user` receives mail at their current address (idempotent)."""
    existing = VerifiedEmail.objects.filter(user=user, email__iexact=user.email).first()
    if existing is not None:
        return existing
    verified = VerifiedEmail.objects.create(user=user, email=user.email, method=method)
    account_audit(
        user=user,
        verb="account.email_verified",
        actor=user,
        data={"email": user.email, "via": method},
    )
    return verified


def email_verification_send(*, user, link: Callable[[str], str]) -> None:
    """Email `user` a link that confirms their address; raises `MailNotConfigured`.

    The token names the account and the address, signed with the secret key, so it
    is worth nothing for another account or after the address changes.
    """
    if not user.email:
        raise VerificationInvalid("Your account has no email address to confirm.")
    if not mail.can_send():
        raise mail.MailNotConfigured(mail.NO_MAIL_MESSAGE)
    token = signing.dumps(
        {"u": user.pk, "e": user.email.lower()}, salt=_VERIFICATION_SALT, compress=True
    )
    send_mail(
        subject="Confirm your email address for Recraft Studio",
        message=render_to_string("accounts/verify_email.txt", {"user": user, "url": link(token)}),
        from_email=None,
        recipient_list=[user.email],
    )


def email_verify(*, user, token: str) -> VerifiedEmail:
    """Mark the address a confirmation link names as verified for `user`."""
    try:
        payload = signing.loads(token, salt=_VERIFICATION_SALT, max_age=VERIFICATION_MAX_AGE)
    except signing.SignatureExpired:
        raise VerificationInvalid("This confirmation link has expired; ask for a new one.")
    except signing.BadSignature:
        raise VerificationInvalid(
            "This confirmation link is not valid. Check you copied all of it."
        )
    if payload.get("u") != user.pk:
        raise VerificationInvalid(
            "This confirmation link is for another account: sign in as that account to use it."
        )
    if payload.get("e") != (user.email or "").lower():
        raise VerificationInvalid(
            "This link confirms an address your account no longer has; ask for a new one."
        )
    return email_mark_verified(user=user, method="link")

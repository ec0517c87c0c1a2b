"""Reads about accounts."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from recraft_studio.audit.models import AuditEvent

from .models import VerifiedEmail


def email_is_verified(user) -> bool:
    """Whether the account's current email address is one it has shown it receives."""
    if not user.email:
        return False
    return VerifiedEmail.objects.filter(user=user, email__iexact=user.email).exists()


def user_by_username(username: str):
    """The account a sign-in attempt named, or None (nothing is told to the person)."""
    if not username:
        return None
    User = get_user_model()
    # Exact, as ModelBackend matches it: the account the password was tried against.
    return User.objects.filter(**{User.USERNAME_FIELD: username}).first()


def lockout_recorded_recently(user) -> bool:
    """Whether the trail already says this account was locked out in this cool-off."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return AuditEvent.objects.filter(
        verb="account.locked_out",
        target_type=user._meta.model_name,
        target_id=str(user.pk),
        created_at__gte=since,
    ).exists()

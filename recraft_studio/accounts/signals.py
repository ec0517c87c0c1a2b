"""Sign-ins, failed sign-ins and lockouts go into the audit trail (see `services`)."""

from __future__ import annotations

import logging

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from . import selectors, services
from .network import client_ip

logger = logging.getLogger("recraft_studio.accounts.signin")

#: Bound on what a request can make us store about itself.
_AGENT_MAX = 200


def _where(request) -> dict:
    if request is None:
        return {}
    return {
        "ip": client_ip(request),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:_AGENT_MAX],
    }


@receiver(user_logged_in, dispatch_uid="accounts.audit_sign_in")
def audit_sign_in(sender, request, user, **kwargs):
    where = _where(request)
    logger.info("Sign-in: %s from %s", user.get_username(), where.get("ip", "-"))
    services.account_audit(user=user, verb="account.signed_in", actor=user, data=where)


@receiver(user_login_failed, dispatch_uid="accounts.audit_sign_in_failed")
def audit_sign_in_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username") or "")[:150]
    where = _where(request)
    # A locked-out attempt is refused before the password is checked: axes reports
    # it separately (`user_locked_out`), so it is not counted twice here.
    locked = bool(request is not None and getattr(request, "axes_locked_out", False))
    logger.warning(
        "Failed sign-in: %r from %s%s",
        username,
        where.get("ip", "-"),
        " (locked)" if locked else "",
    )
    user = selectors.user_by_username(username)
    if user is None or locked:
        return
    services.account_audit(
        user=user, verb="account.sign_in_failed", data={"username": username, **where}
    )


@receiver(user_locked_out, dispatch_uid="accounts.audit_locked_out")
def audit_locked_out(sender, request, username=None, ip_address=None, **kwargs):
    """One event when an account is locked; attempts while it stays locked are not
    written again (axes keeps counting them), so hammering cannot flood the trail."""
    logger.warning("Sign-in locked out: %r from %s", username, ip_address)
    user = selectors.user_by_username(str(username or ""))
    if user is None or selectors.lockout_recorded_recently(user):
        return
    services.account_audit(
        user=user,
        verb="account.locked_out",
        data={"username": username, **_where(request)},
    )

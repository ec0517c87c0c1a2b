"""Account pages: changing one's password, and confirming one's email address."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_POST

from recraft_studio.core.mail import MailNotConfigured

from . import services


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, in the studio's layout, written to the audit trail.

    Django keeps this session signed in and ends every other one (their session
    hash no longer matches the new password).
    """

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("password_change_done")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.account_audit(
            user=self.request.user, verb="account.password_changed", actor=self.request.user
        )
        return response


password_change = PasswordChangeView.as_view()
password_change_done = auth_views.PasswordChangeDoneView.as_view(
    template_name="accounts/password_change_done.html"
)


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out sign-in: a page that says for how long."""
    from axes.helpers import get_client_username, get_cool_off

    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else 0
    return render(
        request,
        "accounts/locked_out.html",
        {
            "username": get_client_username(request, credentials) or "",
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "minutes": minutes,
        },
        status=429,
    )


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
@require_POST
def email_verification_send(request):
    """Email the signed-in account a link that confirms its address."""
    back = _safe_next(request, reverse("home"))
    try:
        services.email_verification_send(
            user=request.user,
            link=lambda token: request.build_absolute_uri(
                reverse("email_verify", args=[token]) + "?" + urlencode({"next": back})
            ),
        )
    except (services.VerificationInvalid, MailNotConfigured) as exc:
        messages.error(request, str(exc))
    except OSError as exc:  # the mail server refused or could not be reached
        messages.error(request, f"The confirmation email could not be sent ({exc}).")
    else:
        messages.success(
            request, f"We sent a confirmation link to {request.user.email}; follow it to go on."
        )
    return redirect(back)


@login_required
@require_GET
def email_verify(request, token):
    """Follow a confirmation link: the account's address is verified from now on."""
    try:
        services.email_verify(user=request.user, token=token)
    except services.VerificationInvalid as exc:
        return render(request, "accounts/verify_failed.html", {"problem": str(exc)}, status=400)
    messages.success(request, f"Your email address {request.user.email} is confirmed.")
    return redirect(_safe_next(request, reverse("home")))

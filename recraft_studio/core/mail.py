"""Whether this deployment can send mail, and the backend used when it cannot."""

from __future__ import annotations

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

CONSOLE_BACKEND = "django.core.mail.backends.console.EmailBackend"
NO_MAIL_BACKEND = "recraft_studio.core.mail.NoMailBackend"

#: What a page says when it would send mail on a deployment that has none.
NO_MAIL_MESSAGE = (
    "This deployment has no mail server configured (EMAIL_URL), so no email can be "
    "sent. Ask whoever runs it to set one."
)


class MailNotConfigured(OSError):
    """Mail was to be sent, but the deployment has no mail server."""


class NoMailBackend(BaseEmailBackend):
    """Production without `EMAIL_URL`: refuse to send rather than print mail to logs."""

    def send_messages(self, email_messages):
        if not email_messages:
            return 0
        raise MailNotConfigured(NO_MAIL_MESSAGE)


def can_send() -> bool:
    """Whether mail reaches people: a real backend, or the console while developing.

    The console backend with DEBUG off would write invitation links (which let
    anyone join) into production logs, so it counts as no mail at all.
    """
    backend = settings.EMAIL_BACKEND
    if backend == NO_MAIL_BACKEND:
        return False
    if backend == CONSOLE_BACKEND:
        return settings.DEBUG
    return True

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower


class VerifiedEmail(models.Model):
    """An address its account has shown it receives mail at.

    An invitation is accepted only by an account whose current email is verified
    (`selectors.email_is_verified`): by creating the account from the emailed link,
    or by following a confirmation link sent to the account's address. A change of
    the account's email needs a new verification; old rows simply stop matching.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="verified_emails"
    )
    email = models.EmailField(max_length=254)
    verified_at = models.DateTimeField(auto_now_add=True)
    #: How it was shown: "invitation" (account made from an invitation link) or "link".
    method = models.CharField(max_length=20)

    class Meta:
        constraints = [
            models.UniqueConstraint("user", Lower("email"), name="verified_email_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.email} of {self.user}"

from django.conf import settings
from django.db import models
from django.utils import timezone

from recraft_studio.recraft import catalog


class Role(models.TextChoices):
    """What a member may do; each role can do everything the roles below it can."""

    OWNER = "owner", "Owner"
    BRAND_MANAGER = "brand_manager", "Brand manager"
    DESIGNER = "designer", "Designer"
    VIEWER = "viewer", "Viewer"


# Capabilities by role: the server checks these, templates only hide buttons.
_GENERATE = {Role.OWNER, Role.BRAND_MANAGER, Role.DESIGNER}
_MANAGE_BRAND = {Role.OWNER, Role.BRAND_MANAGER}
_MANAGE_MEMBERS = {Role.OWNER}


class Workspace(models.Model):
    """A team: its members, projects, brand kit, API token and spending.

    The workspace's own Recraft API token is kept only encrypted (`encryption.py`,
    Fernet keys from settings); its last four characters are kept apart so pages
    can tell which token is set without ever decrypting it.
    """

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    api_token_encrypted = models.TextField(blank=True, default="", editable=False)
    api_token_last4 = models.CharField(max_length=4, blank=True, default="", editable=False)
    monthly_budget = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="API units the workspace may spend per calendar month (UTC); empty for no cap.",
    )
    member_hourly_images = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Images each person may start per hour; empty for no cap.",
    )
    #: When an owner paused the workspace's queue: nothing new starts until resumed.
    queue_paused_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def has_own_token(self) -> bool:
        return bool(self.api_token_encrypted)

    @property
    def uses_sandbox(self) -> bool:
        """Whether this workspace's calls go to the local sandbox, not to Recraft."""
        return not self.has_own_token and settings.RECRAFT_SANDBOX


class Membership(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.DESIGNER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="one_membership_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} as {self.get_role_display()}"

    @property
    def can_generate(self) -> bool:
        return self.role in _GENERATE

    @property
    def can_manage_brand(self) -> bool:
        return self.role in _MANAGE_BRAND

    @property
    def can_manage_members(self) -> bool:
        return self.role in _MANAGE_MEMBERS


MODEL_CHOICES = [(str(m), catalog.MODEL_LABELS[m]) for m in catalog.Model]
SIZE_CHOICES = [(s, s.replace("x", " × ")) for s in catalog.SIZES]


class Project(models.Model):
    """A body of work (a campaign, a product launch) whose images share a gallery.

    The `default_*` fields are where the generation form starts; blank means "no
    default". A base style and a brand style are exclusive, as `style` and
    `style_id` are in the API.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    default_model = models.CharField(max_length=20, blank=True, choices=MODEL_CHOICES)
    default_style = models.CharField(max_length=40, blank=True)
    default_brand_style = models.ForeignKey(
        "brand.BrandStyle", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    default_substyle = models.CharField(max_length=40, blank=True)
    default_palette = models.ForeignKey(
        "brand.Palette", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    default_size = models.CharField(max_length=12, blank=True, choices=SIZE_CHOICES)
    monthly_budget = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="API units the project may spend per calendar month (UTC); empty for no cap.",
    )
    queue_paused_at = models.DateTimeField(null=True, blank=True)
    #: Archived projects leave the lists but keep their pages, images and jobs.
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "slug"], name="project_slug_per_workspace"
            ),
            models.CheckConstraint(
                condition=models.Q(default_style="") | models.Q(default_brand_style__isnull=True),
                name="project_default_style_xor_brand_style",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class Invitation(models.Model):
    """An emailed offer to join a workspace with a role: single use, and it expires.

    Only the SHA-256 of the link's token is stored, so the database alone cannot be
    used to accept an invitation.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.DESIGNER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} to {self.workspace} as {self.get_role_display()}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and not self.is_expired

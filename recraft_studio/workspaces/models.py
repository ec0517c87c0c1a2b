from django.conf import settings
from django.db import models


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
    """A team: its members, projects, brand kit, API token and spending."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


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


class Project(models.Model):
    """A body of work (a campaign, a product launch) whose images share a gallery."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "slug"], name="project_slug_per_workspace")
        ]

    def __str__(self) -> str:
        return self.name

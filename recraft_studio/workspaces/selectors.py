"""Reads, always scoped to the workspaces the user belongs to.

This is the one place tenancy is enforced: views never query a workspace's objects
without going through a function here, and an object of another workspace is simply
not found (404), never forbidden, so its existence does not leak.
"""

from django.db.models import QuerySet
from django.http import Http404

from .models import Membership, Project, Workspace


def workspaces_for(user) -> QuerySet[Workspace]:
    if not user.is_authenticated:
        return Workspace.objects.none()
    return Workspace.objects.filter(memberships__user=user)


def membership_get(*, user, workspace_slug: str) -> Membership:
    """The user's membership of the workspace, or 404."""
    try:
        return Membership.objects.select_related("workspace").get(
            user=user, workspace__slug=workspace_slug
        )
    except Membership.DoesNotExist:
        raise Http404("No such workspace.")


def memberships_for(user) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user)
        .select_related("workspace")
        .order_by("workspace__name")
    )


def projects_for(user) -> QuerySet[Project]:
    return Project.objects.filter(workspace__in=workspaces_for(user))


def project_get(*, user, workspace_slug: str, project_slug: str) -> tuple[Membership, Project]:
    """The project and the user's membership of its workspace, or 404."""
    membership = membership_get(user=user, workspace_slug=workspace_slug)
    try:
        project = Project.objects.get(workspace=membership.workspace, slug=project_slug)
    except Project.DoesNotExist:
        raise Http404("No such project.")
    return membership, project


def recraft_credentials(workspace: Workspace) -> tuple[str, str]:
    """The API base URL and token a workspace's jobs use.

    The deployment's token (or the sandbox's, when none is configured).
    """
    from django.conf import settings

    if settings.RECRAFT_SANDBOX:
        return settings.RECRAFT_API_BASE, settings.SANDBOX_TOKEN
    return settings.RECRAFT_API_BASE, settings.RECRAFT_API_TOKEN

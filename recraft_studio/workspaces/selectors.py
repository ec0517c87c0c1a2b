"""Reads, always scoped to the workspaces the user belongs to.

This is the one place tenancy is enforced: views never query a workspace's objects
without going through a function here, and an object of another workspace is simply
not found (404), never forbidden, so its existence does not leak.
"""

import hashlib

from django.conf import settings
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from recraft_studio.recraft import catalog
from recraft_studio.recraft.client import RecraftClient

from . import encryption
from .models import Invitation, Membership, Project, Role, Workspace


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
        Membership.objects.filter(user=user).select_related("workspace").order_by("workspace__name")
    )


def projects_for(user) -> QuerySet[Project]:
    return Project.objects.filter(workspace__in=workspaces_for(user))


def projects_listed(workspace: Workspace, *, archived: bool = False) -> QuerySet[Project]:
    """The workspace's projects for its lists: active ones, or only the archived ones.

    An archived project leaves the lists but not the studio: `project_get` still
    finds it, so its links, images and jobs keep working.
    """
    return workspace.projects.filter(archived_at__isnull=not archived).order_by("name")


def project_get(*, user, workspace_slug: str, project_slug: str) -> tuple[Membership, Project]:
    """The project and the user's membership of its workspace, or 404."""
    membership = membership_get(user=user, workspace_slug=workspace_slug)
    try:
        project = Project.objects.get(workspace=membership.workspace, slug=project_slug)
    except Project.DoesNotExist:
        raise Http404("No such project.")
    return membership, project


def members_of(workspace: Workspace) -> QuerySet[Membership]:
    """The workspace's members, owners first; the caller has checked membership."""
    order = {Role.OWNER: 0, Role.BRAND_MANAGER: 1, Role.DESIGNER: 2, Role.VIEWER: 3}
    rank = Case(
        *[When(role=role, then=Value(i)) for role, i in order.items()],
        output_field=IntegerField(),
    )
    return (
        Membership.objects.filter(workspace=workspace)
        .select_related("user")
        .order_by(rank, "user__username")
    )


def member_get(*, workspace: Workspace, member_pk) -> Membership:
    """A membership of `workspace` by id, or 404 (whatever other workspace has it)."""
    try:
        return Membership.objects.select_related("user", "workspace").get(
            workspace=workspace, pk=member_pk
        )
    except (Membership.DoesNotExist, ValueError):
        raise Http404("No such member.")


def invitations_pending(workspace: Workspace) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        workspace=workspace,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).select_related("invited_by")


def invitation_get(*, workspace: Workspace, invitation_pk) -> Invitation:
    try:
        return Invitation.objects.get(workspace=workspace, pk=invitation_pk)
    except (Invitation.DoesNotExist, ValueError):
        raise Http404("No such invitation.")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link's token names, whatever its state; None if none does."""
    return (
        Invitation.objects.select_related("workspace", "invited_by")
        .filter(token_hash=token_hash(token))
        .first()
    )


def project_generate_initial(project: Project) -> dict:
    """Where the generation form starts on this project: its defaults still usable.

    An archived brand style is skipped (forms no longer offer it); a brand style is
    named the way the form's style select names it.
    """
    from recraft_studio.brand.models import STYLE_CHOICE_PREFIX

    initial: dict = {}
    if project.default_model:
        initial["model"] = project.default_model
    brand_style = project.default_brand_style
    if brand_style is not None and not brand_style.is_archived:
        initial["style"] = f"{STYLE_CHOICE_PREFIX}{brand_style.pk}"
    elif project.default_style:
        initial["style"] = project.default_style
        if project.default_substyle:
            initial["substyle"] = project.default_substyle
    if project.default_palette_id:
        initial["palette"] = project.default_palette_id
    if project.default_size:
        initial["size"] = project.default_size
    return initial


# --- the Recraft API a workspace talks to ------------------------------------------------


def workspace_api_token(workspace: Workspace) -> str:
    """The workspace's own token, decrypted; "" when it has none.

    Raises `encryption.SecretUnreadable` when no configured key can read it.
    """
    if not workspace.api_token_encrypted:
        return ""
    return encryption.decrypt(workspace.api_token_encrypted)


def own_token_api_base() -> str:
    """Where a workspace's own token is sent: a real token goes to a real API."""
    return catalog.API_BASE if settings.RECRAFT_SANDBOX else settings.RECRAFT_API_BASE


def recraft_credentials(workspace: Workspace) -> tuple[str, str]:
    """The API base URL and token a workspace's jobs use.

    The workspace's own token when it has one. That is a real Recraft token: it goes
    to the deployment's API, or to Recraft itself when the deployment runs on the
    sandbox (the sandbox does not know real tokens). Otherwise the deployment's
    token, or the sandbox's when none is configured.
    """
    own = workspace_api_token(workspace)
    if own:
        return own_token_api_base(), own
    if settings.RECRAFT_SANDBOX:
        return settings.RECRAFT_API_BASE, settings.SANDBOX_TOKEN
    return settings.RECRAFT_API_BASE, settings.RECRAFT_API_TOKEN


def recraft_client(workspace: Workspace, *, timeout: float | None = None) -> RecraftClient:
    """A client with the workspace's credentials; close it (or use it in `with`)."""
    base_url, token = recraft_credentials(workspace)
    return RecraftClient(
        base_url=base_url,
        token=token,
        timeout=timeout if timeout is not None else settings.RECRAFT_TIMEOUT_SECONDS,
    )

"""Writes for workspaces, members and projects."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.text import slugify

from .models import Membership, Project, Role, Workspace


def _unique_slug(base: str, taken) -> str:
    slug = slugify(base)[:90] or "untitled"
    candidate, i = slug, 2
    while taken(candidate):
        candidate, i = f"{slug}-{i}", i + 1
    return candidate


@transaction.atomic
def workspace_create(*, name: str, owner) -> Workspace:
    slug = _unique_slug(name, lambda s: Workspace.objects.filter(slug=s).exists())
    workspace = Workspace.objects.create(name=name, slug=slug)
    Membership.objects.create(workspace=workspace, user=owner, role=Role.OWNER)
    return workspace


@transaction.atomic
def membership_add(*, workspace: Workspace, user, role: str) -> Membership:
    membership, _ = Membership.objects.update_or_create(
        workspace=workspace, user=user, defaults={"role": role}
    )
    return membership


@transaction.atomic
def project_create(*, membership: Membership, name: str, description: str = "") -> Project:
    if not membership.can_generate:
        raise PermissionDenied("Viewers cannot create projects.")
    workspace = membership.workspace
    slug = _unique_slug(
        name, lambda s: Project.objects.filter(workspace=workspace, slug=s).exists()
    )
    return Project.objects.create(
        workspace=workspace,
        name=name,
        slug=slug,
        description=description,
        created_by=membership.user,
    )

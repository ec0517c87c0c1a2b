"""Writes for workspaces, members, invitations, API tokens and projects.

Every change to who belongs to a workspace, or to its token, leaves an audit event
naming who made it; the token itself is never written anywhere but encrypted.
"""

import secrets
from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from recraft_studio.accounts.selectors import email_is_verified
from recraft_studio.audit.services import audit_record
from recraft_studio.core import mail
from recraft_studio.recraft.client import RecraftClient

from . import encryption, selectors
from .models import Invitation, Membership, Project, Role, Workspace


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


def _require_project_manager(membership: Membership, project: Project) -> None:
    if not membership.can_manage_brand:
        raise PermissionDenied("Only owners and brand managers rename or archive projects.")
    if project.workspace_id != membership.workspace_id:
        raise PermissionDenied("The project belongs to another workspace.")


@transaction.atomic
def project_rename(*, membership: Membership, project: Project, name: str) -> Project:
    """Give a project a new name; its address (slug) stays, so links keep working."""
    _require_project_manager(membership, project)
    project = Project.objects.select_for_update().get(pk=project.pk)
    old = project.name
    if name == old:
        return project
    project.name = name
    project.save(update_fields=["name"])
    audit_record(
        workspace=membership.workspace,
        project=project,
        actor=membership.user,
        verb="project.renamed",
        target=project,
        data={"from": old, "to": name},
    )
    return project


@transaction.atomic
def project_archive(*, membership: Membership, project: Project, archived: bool = True) -> Project:
    """Archive a project (hidden from lists, still reachable) or bring it back."""
    _require_project_manager(membership, project)
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.is_archived == archived:
        return project  # already so: nothing to record
    project.archived_at = timezone.now() if archived else None
    project.save(update_fields=["archived_at"])
    audit_record(
        workspace=membership.workspace,
        project=project,
        actor=membership.user,
        verb="project.archived" if archived else "project.unarchived",
        target=project,
        data={"name": project.name},
    )
    return project


# --- members and invitations -------------------------------------------------------------

#: How long an invitation link can be used.
INVITATION_VALID_FOR = timedelta(days=7)


class MembershipRuleBroken(Exception):
    """A change the membership rules refuse (the last owner, an existing member...)."""


class InvitationInvalid(Exception):
    """An invitation link that is unknown, used, withdrawn or expired."""


class InvitationNotForYou(Exception):
    """The signed-in account is not the invited address, or has not verified it."""


def _require_owner(membership: Membership, workspace_id: int | None = None) -> None:
    if not membership.can_manage_members:
        raise PermissionDenied("Only owners manage the members of a workspace.")
    if workspace_id is not None and workspace_id != membership.workspace_id:
        raise PermissionDenied("That belongs to another workspace.")


@transaction.atomic
def invitation_create(
    *, membership: Membership, email: str, role: str, accept_url: Callable[[str], str]
) -> Invitation:
    """Invite `email` with `role`, and email them a single-use link.

    `accept_url(token)` turns the token into the absolute link to send. An earlier
    pending invitation of the same address is withdrawn: only the newest link works.
    """
    _require_owner(membership)
    if not mail.can_send():
        # Without mail the link would only reach the logs, where anyone reading them
        # could join with it.
        raise mail.MailNotConfigured(
            "Invitations are sent by email, and "
            + mail.NO_MAIL_MESSAGE[0].lower()
            + mail.NO_MAIL_MESSAGE[1:]
        )
    workspace = membership.workspace
    email = BaseUserManager.normalize_email(email).strip()
    if role not in Role.values:
        raise MembershipRuleBroken(f"{role!r} is not a role.")
    if Membership.objects.filter(workspace=workspace, user__email__iexact=email).exists():
        raise MembershipRuleBroken(f"{email} is already a member of {workspace.name}.")
    now = timezone.now()
    Invitation.objects.filter(
        workspace=workspace, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        workspace=workspace,
        email=email,
        role=role,
        token_hash=selectors.token_hash(token),
        invited_by=membership.user,
        expires_at=now + INVITATION_VALID_FOR,
    )
    audit_record(
        workspace=workspace,
        actor=membership.user,
        verb="invitation.created",
        target=invitation,
        data={"email": email, "role": role},
    )
    context = {
        "workspace": workspace,
        "invitation": invitation,
        "inviter": membership.user,
        "url": accept_url(token),
    }
    # Sent last, so that a mail server refusing it rolls the invitation back.
    send_mail(
        subject=f"You are invited to {workspace.name} on Recraft Studio",
        message=render_to_string("workspaces/invitation_email.txt", context),
        from_email=None,
        recipient_list=[email],
    )
    return invitation


@transaction.atomic
def invitation_revoke(*, membership: Membership, invitation: Invitation) -> Invitation:
    _require_owner(membership, invitation.workspace_id)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(
            workspace=membership.workspace,
            actor=membership.user,
            verb="invitation.revoked",
            target=invitation,
            data={"email": invitation.email, "role": invitation.role},
        )
    return invitation


def invitation_refusal(invitation: Invitation, user) -> str:
    """Why `user` may not accept `invitation` although the link works, or "".

    An invitation is for an address, not for whoever holds the link: the account
    must have that address, and must have shown it receives mail there (it was made
    from the emailed link, or it followed a confirmation link).
    """
    if (user.email or "").strip().lower() != invitation.email.strip().lower():
        return (
            f"This invitation is for {invitation.email}, and you are signed in as "
            f"{user.get_username()} ({user.email or 'no email address'}). Sign out, then "
            "sign in with the invited account or create one from this link."
        )
    if not email_is_verified(user):
        return f"Confirm that {invitation.email} is your address first: we will email you a link."
    return ""


def invitation_problem(invitation: Invitation | None) -> str:
    """Why an invitation cannot be accepted, or "" when it can."""
    if invitation is None:
        return "This invitation link is not valid. Check that you copied all of it."
    if invitation.accepted_at is not None:
        return "This invitation has already been used. Ask an owner of the workspace for a new one."
    if invitation.revoked_at is not None:
        return "This invitation was withdrawn. Ask an owner of the workspace for a new one."
    if invitation.is_expired:
        return "This invitation has expired. Ask an owner of the workspace for a new one."
    return ""


@transaction.atomic
def invitation_accept(*, token: str, user) -> tuple[Membership, bool]:
    """Join the workspace an invitation names; (membership, whether it is new).

    The invitation is locked and used up in the same transaction, so a link works
    exactly once. Someone already in the workspace keeps the role they have.
    """
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("workspace")
        .filter(token_hash=selectors.token_hash(token))
        .first()
    )
    problem = invitation_problem(invitation)
    if problem:
        raise InvitationInvalid(problem)
    refusal = invitation_refusal(invitation, user)
    if refusal:
        raise InvitationNotForYou(refusal)
    workspace = invitation.workspace
    membership = Membership.objects.filter(workspace=workspace, user=user).first()
    created = membership is None
    if created:
        membership = Membership.objects.create(workspace=workspace, user=user, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        workspace=workspace,
        actor=user,
        verb="invitation.accepted",
        target=invitation,
        data={"email": invitation.email, "role": invitation.role, "already_member": not created},
    )
    if created:
        audit_record(
            workspace=workspace,
            actor=user,
            verb="membership.created",
            target=membership,
            data={"user": user.get_username(), "role": membership.role, "via": "invitation"},
        )
    return membership, created


def _lock_owners(workspace_id: int) -> list[Membership]:
    # Locking every owner row serialises concurrent demotions and removals, so two
    # owners removing each other at once cannot leave the workspace without one.
    return list(
        Membership.objects.select_for_update().filter(workspace_id=workspace_id, role=Role.OWNER)
    )


@transaction.atomic
def membership_change_role(*, membership: Membership, member: Membership, role: str) -> Membership:
    _require_owner(membership, member.workspace_id)
    if role not in Role.values:
        raise MembershipRuleBroken(f"{role!r} is not a role.")
    owners = _lock_owners(member.workspace_id)
    member = Membership.objects.select_for_update().select_related("user").get(pk=member.pk)
    if member.role == role:
        return member
    if member.role == Role.OWNER and len(owners) == 1:
        raise MembershipRuleBroken(
            "A workspace needs an owner: make someone else an owner before changing this role."
        )
    previous = member.role
    member.role = role
    member.save(update_fields=["role"])
    audit_record(
        workspace=membership.workspace,
        actor=membership.user,
        verb="membership.role_changed",
        target=member,
        data={"user": member.user.get_username(), "from": previous, "to": role},
    )
    return member


@transaction.atomic
def membership_remove(*, membership: Membership, member: Membership) -> None:
    _require_owner(membership, member.workspace_id)
    owners = _lock_owners(member.workspace_id)
    member = Membership.objects.select_for_update().select_related("user").get(pk=member.pk)
    if member.role == Role.OWNER and len(owners) == 1:
        raise MembershipRuleBroken(
            "A workspace needs an owner: make someone else an owner before removing this one."
        )
    audit_record(
        workspace=membership.workspace,
        actor=membership.user,
        verb="membership.removed",
        target=member,
        data={"user": member.user.get_username(), "role": member.role},
    )
    member.delete()


# --- the workspace's API token -----------------------------------------------------------


#: A settings page waits this long for the API before saying it could not reach it.
API_CHECK_TIMEOUT_SECONDS = 8.0


def api_token_check(token: str) -> dict:
    """What the API says about a candidate token (`/users/me`); raises RecraftError."""
    with RecraftClient(
        base_url=selectors.own_token_api_base(), token=token, timeout=API_CHECK_TIMEOUT_SECONDS
    ) as client:
        return client.me()


@transaction.atomic
def workspace_api_token_set(*, membership: Membership, token: str) -> Workspace:
    """Store the workspace's own API token, encrypted; its jobs use it from now on."""
    _require_owner(membership)
    token = token.strip()
    if not token:
        raise ValueError("An API token cannot be empty.")
    workspace = Workspace.objects.select_for_update().get(pk=membership.workspace_id)
    workspace.api_token_encrypted = encryption.encrypt(token)
    workspace.api_token_last4 = token[-4:]
    workspace.save(update_fields=["api_token_encrypted", "api_token_last4"])
    audit_record(
        workspace=workspace,
        actor=membership.user,
        verb="workspace.api_token_set",
        target=workspace,
        data={"last4": workspace.api_token_last4},
    )
    return workspace


@transaction.atomic
def workspace_api_token_clear(*, membership: Membership) -> Workspace:
    _require_owner(membership)
    workspace = Workspace.objects.select_for_update().get(pk=membership.workspace_id)
    if workspace.api_token_encrypted:
        previous = workspace.api_token_last4
        workspace.api_token_encrypted = ""
        workspace.api_token_last4 = ""
        workspace.save(update_fields=["api_token_encrypted", "api_token_last4"])
        audit_record(
            workspace=workspace,
            actor=membership.user,
            verb="workspace.api_token_cleared",
            target=workspace,
            data={"last4": previous},
        )
    return workspace


@transaction.atomic
def workspace_budget_set(*, membership: Membership, budget: int | None) -> Workspace:
    """Cap (or uncap, with None) the API units the workspace spends per month."""
    _require_owner(membership)
    workspace = Workspace.objects.select_for_update().get(pk=membership.workspace_id)
    if workspace.monthly_budget != budget:
        previous = workspace.monthly_budget
        workspace.monthly_budget = budget
        workspace.save(update_fields=["monthly_budget"])
        audit_record(
            workspace=workspace,
            actor=membership.user,
            verb="workspace.budget_set",
            target=workspace,
            data={"from": previous, "to": budget},
        )
        _check_budget_alerts(workspace.pk)
    return workspace


@transaction.atomic
def project_budget_set(*, membership: Membership, project: Project, budget: int | None) -> Project:
    """Cap (or uncap, with None) the API units one project spends per month; jobs of the
    project are refused past it, as they are past the workspace's own budget."""
    _require_owner(membership, project.workspace_id)
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.monthly_budget != budget:
        previous = project.monthly_budget
        project.monthly_budget = budget
        project.save(update_fields=["monthly_budget"])
        audit_record(
            workspace=membership.workspace,
            project=project,
            actor=membership.user,
            verb="project.budget_set",
            target=project,
            data={"from": previous, "to": budget},
        )
        _check_budget_alerts(project.workspace_id, project.pk)
    return project


def _check_budget_alerts(workspace_id, project_id=None) -> None:
    """A lowered budget may already be 80 % used: warn as a charge would."""
    from recraft_studio.audit.tasks import budget_alerts_check_task

    transaction.on_commit(lambda: budget_alerts_check_task.delay(workspace_id, project_id))


def workspace_api_tokens_rotate() -> int:
    """Re-encrypt every stored token with the newest key; the number re-encrypted."""
    rotated = 0
    for pk in Workspace.objects.exclude(api_token_encrypted="").values_list("pk", flat=True):
        with transaction.atomic():
            workspace = Workspace.objects.select_for_update().get(pk=pk)
            if workspace.api_token_encrypted:
                workspace.api_token_encrypted = encryption.rotate(workspace.api_token_encrypted)
                workspace.save(update_fields=["api_token_encrypted"])
                rotated += 1
    return rotated


# --- project defaults --------------------------------------------------------------------


@transaction.atomic
def project_defaults_set(
    *,
    membership: Membership,
    project: Project,
    model: str = "",
    style: str = "",
    brand_style=None,
    substyle: str = "",
    palette=None,
    size: str = "",
) -> Project:
    """Set where the project's generation form starts; brand style and style exclude."""
    if not membership.can_manage_brand:
        raise PermissionDenied("Only owners and brand managers set a project's defaults.")
    if project.workspace_id != membership.workspace_id:
        raise PermissionDenied("The project belongs to another workspace.")
    for item in (brand_style, palette):
        if item is not None and item.workspace_id != membership.workspace_id:
            raise PermissionDenied("The brand kit item belongs to another workspace.")
    if style and brand_style is not None:
        raise ValueError("A project default is a base style or a brand style, not both.")
    project = Project.objects.select_for_update().get(pk=project.pk)
    before = _project_defaults_data(project)
    project.default_model = model or ""
    project.default_style = style or ""
    project.default_brand_style = brand_style
    project.default_substyle = "" if brand_style is not None else (substyle or "")
    project.default_palette = palette
    project.default_size = size or ""
    project.save(
        update_fields=[
            "default_model",
            "default_style",
            "default_brand_style",
            "default_substyle",
            "default_palette",
            "default_size",
        ]
    )
    after = _project_defaults_data(project)
    audit_record(
        workspace=membership.workspace,
        project=project,
        actor=membership.user,
        verb="project.defaults_changed",
        target=project,
        # The values after the change at the top level, as before; and both sides,
        # so the trail shows what changed.
        data={**after, "before": before, "after": after},
    )
    return project


def _project_defaults_data(project: Project) -> dict:
    return {
        "model": project.default_model,
        "style": project.default_style,
        "brand_style": project.default_brand_style.name if project.default_brand_style else "",
        "substyle": project.default_substyle,
        "palette": project.default_palette.name if project.default_palette else "",
        "size": project.default_size,
    }

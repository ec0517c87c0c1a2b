"""Workspace pages: projects, members and invitations, settings, project defaults.

Thin views: selectors find what the user may see (404 outside their workspaces),
roles are checked on the server (403), services write.
"""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from recraft_studio.accounts.services import email_mark_verified
from recraft_studio.audit.selectors import budget_status
from recraft_studio.core import mail
from recraft_studio.recraft.errors import RecraftAuthError, RecraftError

from . import selectors, services
from .forms import (
    ApiTokenForm,
    BudgetForm,
    InviteForm,
    ProjectDefaultsForm,
    ProjectForm,
    ProjectRenameForm,
    RoleForm,
    SignUpForm,
)
from .models import Membership, Role


@login_required
def home(request):
    memberships = selectors.memberships_for(request.user)
    if len(memberships) == 1:
        return redirect("workspace", workspace_slug=memberships[0].workspace.slug)
    return render(request, "workspaces/home.html", {"memberships": memberships})


@login_required
@require_http_methods(["GET", "POST"])
def workspace_detail(request, workspace_slug):
    membership = selectors.membership_get(user=request.user, workspace_slug=workspace_slug)
    form = ProjectForm()
    if request.method == "POST":
        if not membership.can_generate:
            raise PermissionDenied("Viewers cannot create projects.")
        form = ProjectForm(request.POST)
        if form.is_valid():
            project = services.project_create(
                membership=membership,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
            )
            return redirect("project", workspace_slug=workspace_slug, project_slug=project.slug)
    return render(
        request,
        "workspaces/workspace.html",
        {
            "membership": membership,
            "workspace": membership.workspace,
            "projects": selectors.projects_listed(membership.workspace),
            "archived_projects": selectors.projects_listed(membership.workspace, archived=True),
            "form": form,
        },
    )


# --- members and invitations ---------------------------------------------------------------


def _require_owner(membership: Membership) -> None:
    if not membership.can_manage_members:
        raise PermissionDenied("Only owners manage the members of a workspace.")


@login_required
@require_http_methods(["GET", "POST"])
def members(request, workspace_slug):
    """Everyone sees who is in the workspace; owners invite, change roles and remove."""
    membership = selectors.membership_get(user=request.user, workspace_slug=workspace_slug)
    workspace = membership.workspace
    invite_form = InviteForm()
    if request.method == "POST":
        _require_owner(membership)
        invite_form = InviteForm(request.POST)
        if invite_form.is_valid():
            email = invite_form.cleaned_data["email"]
            try:
                services.invitation_create(
                    membership=membership,
                    email=email,
                    role=invite_form.cleaned_data["role"],
                    accept_url=lambda token: request.build_absolute_uri(
                        reverse("invitation_accept", args=[token])
                    ),
                )
            except services.MembershipRuleBroken as exc:
                invite_form.add_error("email", str(exc))
            except mail.MailNotConfigured as exc:
                invite_form.add_error(None, str(exc))
            except OSError as exc:  # the mail server refused or could not be reached
                invite_form.add_error(None, f"The invitation email could not be sent ({exc}).")
            else:
                messages.success(request, f"Invitation sent to {email}.")
                return redirect("members", workspace_slug=workspace_slug)
    return render(
        request,
        "workspaces/members.html",
        {
            "membership": membership,
            "workspace": workspace,
            "members": selectors.members_of(workspace),
            "invitations": selectors.invitations_pending(workspace)
            if membership.can_manage_members
            else [],
            "invite_form": invite_form,
            "roles": Role.choices,
            "mail_problem": "" if mail.can_send() else mail.NO_MAIL_MESSAGE,
        },
    )


@login_required
@require_POST
def member_role(request, workspace_slug, member_pk):
    membership = selectors.membership_get(user=request.user, workspace_slug=workspace_slug)
    member = selectors.member_get(workspace=membership.workspace, member_pk=member_pk)
    _require_owner(membership)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the roles.")
    else:
        try:
            member = services.membership_change_role(
                membership=membership, member=member, role=form.cleaned_data["role"]
            )
        except services.MembershipRuleBroken as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, f"{member.user.get_username()} is now {member.get_role_display().lower()}."
            )
    return redirect("members", workspace_slug=workspace_slug)


@login_required
@require_POST
def member_remove(request, workspace_slug, member_pk):
    membership = selectors.membership_get(user=request.user, workspace_slug=workspace_slug)
    member = selectors.member_get(workspace=membership.workspace, member_pk=member_pk)
    _require_owner(membership)
    try:
        services.membership_remove(membership=membership, member=member)
    except services.MembershipRuleBroken as exc:
        messages.error(request, str(exc))
        return redirect("members", workspace_slug=workspace_slug)
    messages.success(
        request, f"{member.user.get_username()} was removed from {member.workspace.name}."
    )
    if member.pk == membership.pk:
        return redirect("home")
    return redirect("members", workspace_slug=workspace_slug)


@login_required
@require_POST
def invitation_revoke(request, workspace_slug, invitation_pk):
    membership = selectors.membership_get(user=request.user, workspace_slug=workspace_slug)
    invitation = selectors.invitation_get(
        workspace=membership.workspace, invitation_pk=invitation_pk
    )
    _require_owner(membership)
    services.invitation_revoke(membership=membership, invitation=invitation)
    messages.success(request, f"The invitation to {invitation.email} is withdrawn.")
    return redirect("members", workspace_slug=workspace_slug)


@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    """Join a workspace from an emailed link: as the invited account, or a new one.

    Someone signed in as another account (or one that has not confirmed the invited
    address) is told what to do instead; the link is not used up.
    """
    invitation = selectors.invitation_for_token(token)
    problem = services.invitation_problem(invitation)
    if problem:
        status = 404 if invitation is None else 410
        return render(request, "workspaces/invitation.html", {"problem": problem}, status=status)
    signup_form = None
    refusal = ""
    if request.user.is_authenticated:
        refusal = services.invitation_refusal(invitation, request.user)
        if request.method == "POST" and not refusal:
            return _accept(request, token, request.user)
    else:
        signup_form = SignUpForm(email=invitation.email)
        if request.method == "POST":
            signup_form = SignUpForm(request.POST, email=invitation.email)
            if signup_form.is_valid():
                try:
                    with transaction.atomic():
                        user = signup_form.save()
                        # Reaching this page through the emailed link shows the
                        # address is theirs.
                        email_mark_verified(user=user, method="invitation")
                        membership, _ = services.invitation_accept(token=token, user=user)
                except services.InvitationInvalid as exc:
                    return render(
                        request, "workspaces/invitation.html", {"problem": str(exc)}, status=410
                    )
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(
                    request,
                    f"Welcome to {membership.workspace.name}: you are "
                    f"{membership.get_role_display().lower()}.",
                )
                return redirect("workspace", workspace_slug=membership.workspace.slug)
    already = (
        request.user.is_authenticated
        and Membership.objects.filter(workspace=invitation.workspace, user=request.user).exists()
    )
    email_matches = request.user.is_authenticated and (
        (request.user.email or "").lower() == invitation.email.lower()
    )
    return render(
        request,
        "workspaces/invitation.html",
        {
            "invitation": invitation,
            "signup_form": signup_form,
            "already_member": already,
            "refusal": refusal,
            # Signed in with the invited address, not yet confirmed: offer the link.
            "needs_verification": bool(refusal) and email_matches,
            "login_url": f"{reverse('login')}?next={request.path}",
        },
        status=403 if request.method == "POST" and refusal else 200,
    )


def _accept(request, token, user):
    try:
        membership, created = services.invitation_accept(token=token, user=user)
    except services.InvitationInvalid as exc:
        return render(request, "workspaces/invitation.html", {"problem": str(exc)}, status=410)
    except services.InvitationNotForYou as exc:
        return render(request, "workspaces/invitation.html", {"problem": str(exc)}, status=403)
    if created:
        messages.success(
            request,
            f"Welcome to {membership.workspace.name}: you are "
            f"{membership.get_role_display().lower()}.",
        )
    else:
        messages.info(
            request,
            f"You were already in {membership.workspace.name} as "
            f"{membership.get_role_display().lower()}; your role is unchanged.",
        )
    return redirect("workspace", workspace_slug=membership.workspace.slug)


# --- workspace settings --------------------------------------------------------------------


def _api_status(workspace) -> dict:
    """Which API and token the workspace uses (its balance is the account panel's)."""
    if workspace.has_own_token:
        return {"source": "own"}
    if workspace.uses_sandbox:
        return {"source": "sandbox"}
    return {"source": "deployment"}


@login_required
@require_http_methods(["GET", "POST"])
def workspace_settings(request, workspace_slug):
    membership = selectors.membership_get(user=request.user, workspace_slug=workspace_slug)
    workspace = membership.workspace
    token_form = ApiTokenForm() if membership.can_manage_members else None
    budget_form = (
        BudgetForm(initial={"monthly_budget": workspace.monthly_budget})
        if membership.can_manage_members
        else None
    )
    if request.method == "POST":
        _require_owner(membership)
        if request.POST.get("action") == "budget":
            budget_form = BudgetForm(request.POST)
            if budget_form.is_valid():
                budget = budget_form.cleaned_data["monthly_budget"]
                services.workspace_budget_set(membership=membership, budget=budget)
                messages.success(
                    request,
                    f"The monthly budget is now {budget:,} API units."
                    if budget
                    else "The workspace has no monthly budget now.",
                )
                return redirect("workspace_settings", workspace_slug=workspace_slug)
            return _settings_page(request, membership, token_form, budget_form)
        if request.POST.get("action") == "clear":
            services.workspace_api_token_clear(membership=membership)
            messages.success(request, "The workspace's API token is removed.")
            return redirect("workspace_settings", workspace_slug=workspace_slug)
        token_form = ApiTokenForm(request.POST)
        if token_form.is_valid():
            token = token_form.cleaned_data["api_token"]
            unchecked = ""
            try:
                services.api_token_check(token)
            except RecraftAuthError as exc:
                token_form.add_error(
                    "api_token", f"The Recraft API did not accept this token: {exc.message}"
                )
            except RecraftError as exc:
                unchecked = (
                    f"The Recraft API could not be reached to check the token ({exc}); "
                    "if it is wrong, jobs will fail saying so."
                )
            if token_form.is_valid():
                workspace = services.workspace_api_token_set(membership=membership, token=token)
                messages.success(
                    request,
                    f"The API token ending in {workspace.api_token_last4} is saved; "
                    "this workspace's jobs use it from now on.",
                )
                if unchecked:
                    messages.warning(request, unchecked)
                return redirect("workspace_settings", workspace_slug=workspace_slug)
    return _settings_page(request, membership, token_form, budget_form)


def _settings_page(request, membership, token_form, budget_form):
    workspace = membership.workspace
    return render(
        request,
        "workspaces/settings.html",
        {
            "membership": membership,
            "workspace": workspace,
            "token_form": token_form,
            "budget_form": budget_form,
            "budget": budget_status(workspace=workspace),
            "api": _api_status(workspace),
        },
    )


# --- project settings ----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def project_settings(request, workspace_slug, project_slug):
    """A project's generation defaults; owners and brand managers change them."""
    membership, project = selectors.project_get(
        user=request.user, workspace_slug=workspace_slug, project_slug=project_slug
    )
    workspace = membership.workspace
    editable = membership.can_manage_brand
    form = ProjectDefaultsForm(workspace=workspace, project=project, editable=editable)
    if request.method == "POST":
        if not editable:
            raise PermissionDenied("Only owners and brand managers set a project's defaults.")
        form = ProjectDefaultsForm(request.POST, workspace=workspace, project=project)
        if form.is_valid():
            data = form.cleaned_data
            services.project_defaults_set(
                membership=membership,
                project=project,
                model=data["model"],
                style=data["base_style"],
                brand_style=data["brand_style"],
                substyle=data["substyle"],
                palette=data["palette"],
                size=data["size"],
            )
            saved = "Saved: the generation form of this project starts there."
            if form.cleared:
                saved += (
                    f" The substyle {form.cleared[0]} did not belong to the style; it was left out."
                )
            messages.success(request, saved)
            return redirect("project", workspace_slug=workspace_slug, project_slug=project.slug)
    return _project_settings_page(request, membership, project, form=form)


def _project_settings_page(
    request, membership, project, *, form=None, rename_form=None, status=200
):
    workspace = membership.workspace
    editable = membership.can_manage_brand
    archived_default = (
        project.default_brand_style
        if project.default_brand_style is not None and project.default_brand_style.is_archived
        else None
    )
    return render(
        request,
        "workspaces/project_settings.html",
        {
            "membership": membership,
            "workspace": workspace,
            "project": project,
            "form": form
            or ProjectDefaultsForm(workspace=workspace, project=project, editable=editable),
            "rename_form": rename_form or ProjectRenameForm(initial={"name": project.name}),
            "editable": editable,
            "archived_default": archived_default,
        },
        status=status,
    )


@login_required
@require_POST
def project_rename(request, workspace_slug, project_slug):
    """A new name for a project (owners and brand managers); its address stays."""
    membership, project = selectors.project_get(
        user=request.user, workspace_slug=workspace_slug, project_slug=project_slug
    )
    if not membership.can_manage_brand:
        raise PermissionDenied("Only owners and brand managers rename projects.")
    form = ProjectRenameForm(request.POST)
    if not form.is_valid():
        return _project_settings_page(request, membership, project, rename_form=form, status=400)
    project = services.project_rename(
        membership=membership, project=project, name=form.cleaned_data["name"]
    )
    messages.success(request, f"The project is now called {project.name}.")
    return redirect("project_settings", workspace_slug=workspace_slug, project_slug=project.slug)


@login_required
@require_POST
def project_archive(request, workspace_slug, project_slug):
    """Archive a project, or bring it back (`archived=0`); owners and brand managers."""
    membership, project = selectors.project_get(
        user=request.user, workspace_slug=workspace_slug, project_slug=project_slug
    )
    if not membership.can_manage_brand:
        raise PermissionDenied("Only owners and brand managers archive projects.")
    archived = request.POST.get("archived", "1") != "0"
    project = services.project_archive(membership=membership, project=project, archived=archived)
    if archived:
        messages.success(
            request,
            f"{project.name} is archived: it is hidden from the project list; "
            "its images and jobs stay.",
        )
        return redirect("workspace", workspace_slug=workspace_slug)
    messages.success(request, f"{project.name} is back in the project list.")
    return redirect("project", workspace_slug=workspace_slug, project_slug=project.slug)

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from . import selectors, services
from .forms import ProjectForm


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
    projects = membership.workspace.projects.all()
    return render(
        request,
        "workspaces/workspace.html",
        {"membership": membership, "workspace": membership.workspace, "projects": projects,
         "form": form},
    )

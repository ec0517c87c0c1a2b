"""Create the demo login, workspace and project that `make run` starts with.

The demo login owns the demo workspace and is not staff: it sees what a team's
owner sees, not every workspace of the deployment in /admin/ (`createsuperuser`
makes an administrator when one is wanted).
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from recraft_studio.workspaces.models import Project, Role, Workspace
from recraft_studio.workspaces.services import membership_add, project_create, workspace_create


class Command(BaseCommand):
    help = "Create (or keep) the demo user, workspace and project; print the login."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo")
        parser.add_argument("--password", help="defaults to DEMO_PASSWORD from the environment")

    @transaction.atomic
    def handle(self, *args, username, password, **options):
        import os

        password = password or os.environ.get("DEMO_PASSWORD")
        if not password:
            raise CommandError("Give --password or set DEMO_PASSWORD (make writes it to .env).")
        User = get_user_model()
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_password(password)
            user.save()
        if user.is_staff or user.is_superuser:
            # An older `make run` made the demo login a superuser, who sees every
            # workspace in /admin/. It is an owner of its workspace and nothing more.
            user.is_staff = user.is_superuser = False
            user.save(update_fields=["is_staff", "is_superuser"])
            self.stdout.write(f"The demo login {username} is no longer a superuser.")
        workspace = Workspace.objects.filter(memberships__user=user).first()
        if workspace is None:
            workspace = workspace_create(name="Demo Studio", owner=user)
        membership = membership_add(workspace=workspace, user=user, role=Role.OWNER)
        if not Project.objects.filter(workspace=workspace).exists():
            project_create(membership=membership, name="Launch campaign")
        if created:
            self.stdout.write(f"Created the demo login {username} in workspace {workspace.name}.")

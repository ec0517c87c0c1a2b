from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "recraft_studio.workspaces"

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "recraft_studio.accounts"

    def ready(self):
        from . import signals  # noqa: F401 (connects the sign-in audit receivers)

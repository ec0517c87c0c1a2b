from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "recraft_studio.core"

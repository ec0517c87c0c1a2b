from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "recraft_studio.assets"

from django.apps import AppConfig


class BrandConfig(AppConfig):
    name = "recraft_studio.brand"

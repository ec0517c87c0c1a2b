from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "recraft_studio.jobs"

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "recraft_studio.audit"

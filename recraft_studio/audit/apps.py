from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "recraft_studio.audit"

    def ready(self):
        from .signals import spend_recorded
        from .tasks import on_spend_recorded

        # Each recorded charge may take a budget past 80 % or 100 %: warn the owners.
        spend_recorded.connect(on_spend_recorded, dispatch_uid="audit.budget_alerts")

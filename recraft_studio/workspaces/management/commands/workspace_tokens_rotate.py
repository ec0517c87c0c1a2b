"""Re-encrypt every workspace API token with the newest FIELD_ENCRYPTION_KEYS key."""

from django.core.management.base import BaseCommand

from recraft_studio.workspaces.services import workspace_api_tokens_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt stored workspace API tokens with the first key of FIELD_ENCRYPTION_KEYS; "
        "run it after putting a new key in front, before dropping the old one."
    )

    def handle(self, *args, **options):
        count = workspace_api_tokens_rotate()
        self.stdout.write(f"Re-encrypted {count} workspace API token{'s' if count != 1 else ''}.")

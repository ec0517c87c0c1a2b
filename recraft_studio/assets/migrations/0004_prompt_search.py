"""Prompt search on PostgreSQL: a trigram index for `prompt__icontains`.

Django turns `icontains` into `UPPER("prompt"::text) LIKE UPPER('%…%')` on PostgreSQL,
so the GIN trigram index is built on that same expression. pg_trgm and GIN do not
exist on SQLite (`make run`), where both operations do nothing; the search still
works there, unindexed.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEX = "asset_prompt_trgm_idx"


def _postgres(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


def create_index(apps, schema_editor):
    if _postgres(schema_editor):
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {INDEX} ON "assets_asset" '
            '''USING gin ((UPPER("prompt"::text)) gin_trgm_ops)'''
        )


def drop_index(apps, schema_editor):
    if _postgres(schema_editor):
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ("assets", "0003_gallery_indexes"),
    ]

    operations = [
        # Does nothing on databases other than PostgreSQL (Django checks the vendor).
        TrigramExtension(),
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]

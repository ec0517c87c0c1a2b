# Job now lives in the jobs app (jobs 0001 takes over its state); no data moves.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('assets', '0004_prompt_search'),
        ('jobs', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='asset',
                    name='job',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='assets', to='jobs.job'),
                ),
                migrations.DeleteModel(name='Job'),
            ],
            database_operations=[],
        ),
    ]

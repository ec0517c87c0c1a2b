# Job moves from the assets app to the jobs app. The table keeps its name here (the
# state moves, the data does not); 0002 renames it once assets has let go of it.

import django.db.models.deletion
import recraft_studio.recraft.catalog
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('assets', '0004_prompt_search'),
        ('brand', '0002_unique_names_per_workspace'),
        ('workspaces', '0003_monthly_budget'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                name='Job',
                fields=[
                    ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                    ('operation', models.CharField(choices=[('generate', 'Generate'), ('create_style', 'Create style'), ('image_to_image', 'Image to image'), ('inpaint', 'Inpaint'), ('replace_background', 'Replace background'), ('generate_background', 'Generate background'), ('vectorize', 'Vectorize'), ('remove_background', 'Remove background'), ('crisp_upscale', 'Crisp upscale'), ('creative_upscale', 'Creative upscale'), ('erase_region', 'Erase region'), ('variate', 'Variations'), ('upload', 'Upload')], default=recraft_studio.recraft.catalog.Op['GENERATE'], max_length=30)),
                    ('params', models.JSONField(default=dict)),
                    ('inputs', models.JSONField(blank=True, default=dict)),
                    ('n_outputs', models.PositiveSmallIntegerField(default=1)),
                    ('status', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('generated', 'Generated'), ('done', 'Done'), ('failed', 'Failed'), ('canceled', 'Canceled')], db_index=True, default='queued', max_length=12)),
                    ('estimated_cost', models.PositiveIntegerField(default=0)),
                    ('actual_cost', models.PositiveIntegerField(blank=True, null=True)),
                    ('response', models.JSONField(blank=True, null=True)),
                    ('error', models.TextField(blank=True)),
                    ('attempts', models.PositiveSmallIntegerField(default=0)),
                    ('created_at', models.DateTimeField(auto_now_add=True)),
                    ('started_at', models.DateTimeField(blank=True, null=True)),
                    ('finished_at', models.DateTimeField(blank=True, null=True)),
                    ('updated_at', models.DateTimeField(auto_now=True)),
                    ('brand_style', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='jobs', to='brand.brandstyle')),
                    ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ('project', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='jobs', to='workspaces.project')),
                    ('source_asset', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='derived_jobs', to='assets.asset')),
                    ('workspace', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='jobs', to='workspaces.workspace')),
                ],
                options={
                    'db_table': 'assets_job',
                    'ordering': ['-created_at'],
                    'indexes': [models.Index(fields=['project', '-created_at'], name='assets_job_project_c37e1f_idx'), models.Index(fields=['status', 'updated_at'], name='assets_job_status_12b645_idx')],
                },
            ),
            ],
            database_operations=[],
        ),
    ]

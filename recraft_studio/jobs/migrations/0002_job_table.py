# The table of jobs takes the jobs app's name, now that assets no longer claims it.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('jobs', '0001_initial'),
        ('assets', '0005_job_moved_to_jobs'),
    ]

    operations = [
        migrations.AlterModelTable(name='job', table=None),
    ]

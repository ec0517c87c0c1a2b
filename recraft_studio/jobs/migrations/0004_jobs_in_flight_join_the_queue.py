# Jobs unfinished when the scheduler arrives join its queue: each gets its person's
# lane and its place (by when it was submitted). A job that was running under the
# old per-job lock goes back in line, or back to storing if the API had answered.

from django.db import migrations


def join(apps, schema_editor):
    Job = apps.get_model("jobs", "Job")
    unfinished = Job.objects.exclude(status__in=["done", "failed", "canceled"])
    for job in unfinished.iterator():
        if job.created_by_id:
            job.lane = f"{job.workspace_id}:u{job.created_by_id}"
        else:
            job.lane = f"{job.workspace_id}:p{job.project_id}"
        job.queue_seq = int(job.created_at.timestamp() * 1_000_000)
        if job.response is not None:
            job.status = "generated"
        elif job.status == "running":
            job.status = "queued"
        job.save(update_fields=["lane", "queue_seq", "status"])


class Migration(migrations.Migration):

    dependencies = [("jobs", "0003_queue_and_calls")]

    operations = [migrations.RunPython(join, migrations.RunPython.noop)]

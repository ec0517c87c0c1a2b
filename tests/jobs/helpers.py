"""Running the worker's pipeline in the test's own process.

For tests whose settings differ from the worker process's (another API, another
token): the job is handed out as the scheduler would, then run here. Use them in
non-transactional tests, so the suite's scheduler and worker never see the job.
"""

from recraft_studio.jobs import pipeline
from recraft_studio.jobs.models import DISPATCH_OWNER, Job, JobStatus


def run_here(job: Job) -> Job:
    """Hand `job` out (without permits) and run it to its end, here."""
    status = JobStatus.GENERATED if job.response is not None else JobStatus.DISPATCHED
    Job.objects.filter(pk=job.pk).update(
        status=status, lease_owner=DISPATCH_OWNER, account=job.account or "in-process"
    )
    pipeline.job_run(job_id=job.pk)
    job.refresh_from_db()
    return job

"""Celery tasks: each takes ids, calls one service, and owns only the retry policy."""

import logging

from celery import shared_task

from recraft_studio.recraft.errors import RecraftError
from recraft_studio.recraft.ratelimit import RateLimitTimeout

from . import services
from .models import Job

logger = logging.getLogger(__name__)

MAX_RETRIES = 6


def _backoff(retries: int) -> float:
    return min(2 ** (retries + 1), 120)


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True, reject_on_worker_lost=True)
def job_run_task(self, job_id: str) -> None:
    """Run a job; retry what may pass (rate limits, outages), fail what will not."""
    try:
        services.job_run(job_id=job_id)
    except (RecraftError, RateLimitTimeout, OSError) as exc:
        transient = not isinstance(exc, RecraftError) or exc.transient
        if transient and self.request.retries < self.max_retries:
            countdown = getattr(exc, "retry_after", None) or _backoff(self.request.retries)
            logger.warning("Job %s will be retried in %.0f s: %s", job_id, countdown, exc)
            services.job_note_retry(job_id=job_id, exc=exc)
            raise self.retry(exc=exc, countdown=countdown)
        services.job_fail(job_id=job_id, reason=services.describe_error(exc))
    except Job.DoesNotExist:
        logger.warning("Job %s no longer exists", job_id)
    except Exception as exc:
        # A bug or an unexpected failure: the job still ends, with the reason shown.
        logger.exception("Job %s failed unexpectedly", job_id)
        services.job_fail(job_id=job_id, reason=services.describe_error(exc))


@shared_task
def jobs_resume_stuck() -> int:
    """Hand unfinished jobs nothing has touched for a while back to the workers."""
    job_ids = services.jobs_claim_stuck()
    for job_id in job_ids:
        job_run_task.delay(job_id)
    if job_ids:
        logger.info("Resumed %d stuck jobs", len(job_ids))
    return len(job_ids)

"""Celery tasks: each takes ids and calls one service.

Workers receive only jobs the scheduler handed out with their permits; retrying is
the pipeline's business (a job that must wait goes back to the scheduler), so these
tasks have no retry policy of their own.
"""

import logging

from celery import shared_task
from celery.signals import worker_process_init
from django.db import InterfaceError, OperationalError

from . import pipeline, reconcile
from .accounts import forget_clients

logger = logging.getLogger(__name__)


@worker_process_init.connect
def _fresh_process(**_):
    """A forked worker process makes its own clients (sockets are not shared)."""
    forget_clients()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def job_run_task(job_id: str) -> None:
    """Run a job the scheduler handed out."""
    try:
        pipeline.job_run(job_id=job_id)
    except (OperationalError, InterfaceError) as exc:
        # The database is away: the job's lease lapses and the scheduler hands it out
        # again once it is back. Nothing is lost: answers are journaled in Redis too.
        logger.warning("Job %s stopped: the database is unavailable (%s)", job_id, exc)


@shared_task
def balances_check() -> int:
    """Read the balance of every account in use, for reconciling the ledger."""
    return reconcile.balances_check()


@shared_task
def balance_check_workspace(workspace_id: int) -> None:
    """Read one workspace's account balance now (an owner asked from the page)."""
    reconcile.balance_check_workspace(workspace_id=workspace_id)

"""Periodic upkeep of the library."""

from celery import shared_task

from . import services


@shared_task
def pending_uploads_sweep() -> int:
    """Forget refused uploads whose one-click fix has lapsed."""
    return services.pending_uploads_sweep()

"""Background work of the library: each task takes ids and calls one service."""

import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


@shared_task
def pending_uploads_sweep() -> int:
    """Forget refused uploads whose one-click fix has lapsed."""
    return services.pending_uploads_sweep()


@shared_task
def trash_purge_expired() -> int:
    """Purge images that have been in the trash longer than TRASH_DAYS (beat, hourly)."""
    purged = services.trash_purge_expired()
    if purged:
        logger.info("Purged %d images from the trash", purged)
    return purged


@shared_task
def exports_sweep() -> int:
    """Delete exports whose link has expired (beat, hourly)."""
    return services.exports_sweep()


@shared_task(bind=True, max_retries=3, acks_late=True, reject_on_worker_lost=True)
def export_build_task(self, export_id: str) -> None:
    """Build an export's zip; storage hiccups are retried, anything else fails it."""
    try:
        services.export_build(export_id=export_id)
    except services.LibraryRuleBroken as exc:
        services.export_fail(export_id=export_id, reason=str(exc))
    except OSError as exc:
        if self.request.retries < self.max_retries:
            logger.warning("Export %s will be retried: %s", export_id, exc)
            raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 2))
        services.export_fail(export_id=export_id, reason=f"The zip could not be stored: {exc}")
    except Exception as exc:
        logger.exception("Export %s failed", export_id)
        services.export_fail(
            export_id=export_id,
            reason=f"The export could not be built ({exc.__class__.__name__}: {exc}).",
        )


@shared_task(bind=True, max_retries=5, acks_late=True)
def comment_notify_task(self, comment_id: int, asset_url: str) -> None:
    """Email the people a comment mentions; a mail server outage is retried."""
    try:
        services.comment_notify(comment_id=comment_id, asset_url=asset_url)
    except OSError as exc:  # SMTP errors are OSErrors
        raise self.retry(exc=exc, countdown=30 * (self.request.retries + 1))

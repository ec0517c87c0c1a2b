"""What a job card says and offers: its waiting reason and the actions open to the viewer."""

from django import template

from recraft_studio.jobs import selectors, services
from recraft_studio.jobs.models import JobStatus

register = template.Library()


@register.simple_tag
def job_waiting(job) -> str:
    return selectors.job_waiting(job)


@register.simple_tag
def job_actions(job, membership) -> dict:
    """Which buttons the viewer gets on `job`'s card (the server checks again)."""
    if membership is None or not membership.can_generate:
        return {}
    own = job.created_by_id == membership.user_id
    may = own or membership.can_manage_members
    return {
        "cancel": may and not job.is_finished and services.cancelable(job),
        "front": own and job.status == JobStatus.QUEUED,
        "retry": may and services.retry_kind(job),
    }

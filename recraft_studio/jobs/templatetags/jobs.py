"""Template tags of the job pages: what a job card says and offers, and the tools the
lightbox opens with a key."""

from django import template
from django.utils.html import json_script

from recraft_studio.jobs import selectors, services
from recraft_studio.jobs.models import JobStatus
from recraft_studio.recraft import catalog

from ..forms import TOOL_KEYS

register = template.Library()


@register.simple_tag
def lightbox_tools():
    """The common tools and their keys, as a JSON data block for `static/js/lightbox.js`."""
    tools = [
        {"op": str(op), "label": catalog.OPERATIONS[op].label, "key": key}
        for op, key in TOOL_KEYS.items()
    ]
    return json_script(tools, "lightbox-tools")


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

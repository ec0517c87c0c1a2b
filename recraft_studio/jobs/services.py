"""Writes for jobs from the people's side: submitting, canceling, retrying, reordering,
pausing. The worker's side is `pipeline.py`; who goes next is `scheduler.py`.

A submitted job waits in the database (`queued`) until the scheduler hands it,
with its rate-limit permits, to a worker. Submitting therefore only writes rows and
wakes the scheduler: it never waits on the API, on Redis or on a worker.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from recraft_studio.assets import files
from recraft_studio.assets.models import Asset
from recraft_studio.audit.ledger import (
    BudgetExceeded,
    budget_check,
    ledger_commit,
    ledger_release,
)
from recraft_studio.audit.services import audit_record
from recraft_studio.recraft import catalog
from recraft_studio.recraft.catalog import Op
from recraft_studio.recraft.validation import (
    FieldError,
    RequestInvalid,
    check_params,
    check_uploads,
)
from recraft_studio.workspaces.models import Membership, Project, Workspace

from .models import Job, JobStatus
from .wake import wake_scheduler

logger = logging.getLogger(__name__)

STORAGE_DOWN = (
    "The studio's image storage cannot be reached right now, so nothing was queued and "
    "nothing was charged. Try again in a minute."
)


def estimate_cost(operation: Op | str, params: Mapping[str, Any], *, base_style: str = "") -> int:
    """API units a call will cost; `base_style` prices a custom style by its base."""
    op = catalog.OPERATIONS[Op(operation)]
    n = params.get("n") or 1
    return op.price(model=params.get("model"), style=params.get("style") or base_style, n=n)


def lane_of(*, workspace_id, user_id, project_id) -> str:
    """A person's line in a workspace; jobs of a person who is gone line up by project."""
    return f"{workspace_id}:u{user_id}" if user_id else f"{workspace_id}:p{project_id}"


def _now_seq() -> int:
    return time.time_ns() // 1000


# --- submission -------------------------------------------------------------------------


def job_submit(
    *,
    membership: Membership,
    project: Project,
    operation: Op | str = Op.GENERATE,
    params: Mapping[str, Any],
    inputs: Mapping[str, bytes] | None = None,
    input_keys: Mapping[str, str] | None = None,
    source_asset: Asset | None = None,
    brand_style=None,
) -> Job:
    """Record a job and wake the scheduler once the transaction commits.

    `inputs` are files to send (stored here first); `input_keys` names files already
    in storage (a brand style's references). `project` is None for a call made for
    the whole workspace (creating a brand style).

    The parameters are checked against the API's rules once more here: whatever path
    a request took, nothing invalid is queued and nothing is spent on it. Uploaded
    inputs are stored before the job's row is written (outside its transaction, so
    no lock waits on storage); a storage outage is an error on the form.
    """
    if not membership.can_generate:
        raise PermissionDenied("Your role in this workspace cannot run jobs.")
    if project is not None and project.workspace_id != membership.workspace_id:
        raise PermissionDenied("The project belongs to another workspace.")
    if source_asset is not None and source_asset.workspace_id != membership.workspace_id:
        raise PermissionDenied("The source image belongs to another workspace.")
    if brand_style is not None and brand_style.workspace_id != membership.workspace_id:
        raise PermissionDenied("The brand style belongs to another workspace.")
    operation = Op(operation)
    spec = catalog.OPERATIONS[operation]
    params = {k: v for k, v in params.items() if v is not None and v != ""}
    errors = check_params(spec, params)
    if errors:
        raise RequestInvalid(errors)
    if spec.files and operation != Op.CREATE_STYLE:
        # The tool's upload limits, once more: nothing the API would refuse is paid for.
        try:
            check_uploads(spec, inputs or {})
        except FieldError as error:
            raise RequestInvalid([error])
    stored_inputs = dict(input_keys or {})
    try:
        for name, data in (inputs or {}).items():
            stored_inputs[name] = files.store_input(data, files.inspect(data))
    except files.StorageUnavailable:
        raise RequestInvalid([FieldError("storage", STORAGE_DOWN)])
    base_style = brand_style.base_style if brand_style is not None else ""
    return _job_create(
        membership=membership,
        project=project,
        operation=operation,
        params=params,
        stored_inputs=stored_inputs,
        source_asset=source_asset,
        brand_style=brand_style,
        n_outputs=spec.output_images(params.get("n")),
        estimated=estimate_cost(operation, params, base_style=base_style),
    )


@transaction.atomic
def _job_create(
    *,
    membership,
    project,
    operation,
    params,
    stored_inputs,
    source_asset,
    brand_style,
    n_outputs,
    estimated,
) -> Job:
    workspace = membership.workspace
    try:
        budget_check(workspace=workspace, project=project, cost=estimated)
    except BudgetExceeded as exc:
        raise RequestInvalid([FieldError("budget", str(exc))])
    job = Job.objects.create(
        workspace=workspace,
        project=project,
        created_by=membership.user,
        operation=operation,
        params=params,
        inputs=stored_inputs,
        source_asset=source_asset,
        brand_style=brand_style,
        n_outputs=n_outputs,
        estimated_cost=estimated,
        lane=lane_of(
            workspace_id=workspace.pk,
            user_id=membership.user_id,
            project_id=project.pk if project else None,
        ),
        queue_seq=_now_seq(),
    )
    ledger_commit(
        workspace_id=workspace.pk, project_id=project.pk if project else None, units=estimated
    )
    audit_record(
        workspace=workspace,
        project=project,
        actor=membership.user,
        verb="job.submitted",
        target=job,
        estimated_cost=estimated,
        data={"operation": str(operation), "params": params},
    )
    transaction.on_commit(wake_scheduler)
    return job


# --- queue control ------------------------------------------------------------------------


def _check_own_or_owner(membership: Membership, job: Job, doing: str) -> None:
    if job.workspace_id != membership.workspace_id:
        raise PermissionDenied("The job belongs to another workspace.")
    if job.created_by_id != membership.user_id and not membership.can_manage_members:
        raise PermissionDenied(f"Only the job's author or an owner can {doing} it.")


def _locked(job: Job) -> Job:
    return (
        Job.objects.select_for_update(no_key=True, of=("self",))
        .select_related("workspace", "project", "created_by")
        .get(pk=job.pk)
    )


def cancelable(job: Job) -> bool:
    """A job can be withdrawn until its API call is on its way (nothing paid yet)."""
    if job.status in (JobStatus.QUEUED, JobStatus.DISPATCHED):
        return True
    return job.status == JobStatus.RUNNING and not job.calls.exists()


@transaction.atomic
def job_cancel(*, membership: Membership, job: Job) -> Job:
    """Withdraw a job whose API call has not been sent; nothing is charged.

    Its author and owners may (and brand managers, for a brand style's creation).
    """
    if not (job.operation == Op.CREATE_STYLE and membership.can_manage_brand):
        _check_own_or_owner(membership, job, "cancel")
    elif job.workspace_id != membership.workspace_id:
        raise PermissionDenied("The job belongs to another workspace.")
    return job_withdraw(job=job, actor=membership.user)


@transaction.atomic
def job_withdraw(*, job: Job, actor) -> Job:
    """Cancel `job` unless its call is on its way; the caller has checked who may.

    The worker writes its call's row under the same row lock before sending, so a
    cancel either comes first (the worker then sends nothing) or finds the call and
    leaves the job to finish.
    """
    from .pipeline import release_permits

    job = _locked(job)
    if not cancelable(job):
        return job
    release_permits(job)
    job.status = JobStatus.CANCELED
    job.error = f"Canceled by {actor.get_username()} before the API was called."
    job.waiting = ""
    job.finished_at = timezone.now()
    job.lease_owner, job.lease_expires_at = "", None
    job.save(
        update_fields=[
            "status",
            "error",
            "waiting",
            "finished_at",
            "lease_owner",
            "lease_expires_at",
            "permits",
            "updated_at",
        ]
    )
    ledger_release(
        workspace_id=job.workspace_id, project_id=job.project_id, units=job.estimated_cost
    )
    audit_record(
        workspace=job.workspace,
        project=job.project,
        actor=actor,
        verb="job.canceled",
        target=job,
        estimated_cost=job.estimated_cost,
        data={"operation": job.operation},
    )
    transaction.on_commit(wake_scheduler)
    return job


def retry_kind(job: Job) -> str:
    """What a retry of a failed job would do: "store" the answer already paid for,
    "send" the call again (nothing was charged), or "" when it cannot be retried."""
    if job.status != JobStatus.FAILED:
        return ""
    if job.response is not None:
        return "store"
    return "send"


@transaction.atomic
def job_retry(*, membership: Membership, job: Job) -> Job:
    """Run a failed job again, reusing what was already paid for.

    A job the API answered goes back to storing that answer: the API is not called
    again (and outputs already stored stay). A job never answered is sent again and
    counts against the budget again, since its first try cost nothing.
    """
    if not membership.can_generate:
        raise PermissionDenied("Your role in this workspace cannot run jobs.")
    _check_own_or_owner(membership, job, "retry")
    job = _locked(job)
    kind = retry_kind(job)
    if not kind:
        return job
    if kind == "send":
        try:
            budget_check(workspace=job.workspace, project=job.project, cost=job.estimated_cost)
        except BudgetExceeded as exc:
            raise RequestInvalid([FieldError("budget", str(exc))])
        ledger_commit(
            workspace_id=job.workspace_id, project_id=job.project_id, units=job.estimated_cost
        )
        job.status = JobStatus.QUEUED
        job.queue_seq = _now_seq()
        job.api_attempts = 0
    else:
        job.status = JobStatus.GENERATED
        job.store_attempts = 0
    job.error = ""
    job.waiting = ""
    job.not_before = None
    job.finished_at = None
    job.lease_owner, job.lease_expires_at = "", None
    job.save()
    audit_record(
        workspace=job.workspace,
        project=job.project,
        actor=membership.user,
        verb="job.retried",
        target=job,
        estimated_cost=job.estimated_cost if kind == "send" else None,
        data={"operation": job.operation, "reuses_answer": kind == "store"},
    )
    transaction.on_commit(wake_scheduler)
    return job


@transaction.atomic
def job_move_to_front(*, membership: Membership, job: Job) -> Job:
    """Put one of a person's own waiting jobs first in their own line.

    Only the order within the person's line changes: other people's turns are theirs.
    """
    if job.workspace_id != membership.workspace_id or job.created_by_id != membership.user_id:
        raise PermissionDenied("Only the job's author can move it in their line.")
    job = _locked(job)
    if job.status != JobStatus.QUEUED:
        return job
    first = Job.objects.filter(status=JobStatus.QUEUED, lane=job.lane).aggregate(
        first=Min("queue_seq")
    )["first"]
    if first is not None and first < job.queue_seq:
        job.queue_seq = first - 1
        job.save(update_fields=["queue_seq", "updated_at"])
        transaction.on_commit(wake_scheduler)
    return job


def _require_owner(membership: Membership) -> None:
    if not membership.can_manage_members:
        raise PermissionDenied("Only owners pause and resume the queue.")


@transaction.atomic
def queue_pause(*, membership: Membership, project: Project | None = None, paused: bool) -> None:
    """Pause (or resume) the workspace's queue, or one project's: jobs already sent to
    the API finish; nothing new starts until it is resumed."""
    _require_owner(membership)
    target = project if project is not None else membership.workspace
    if project is not None and project.workspace_id != membership.workspace_id:
        raise PermissionDenied("The project belongs to another workspace.")
    model = Project if project is not None else Workspace
    was_paused = model.objects.filter(pk=target.pk, queue_paused_at__isnull=False).exists()
    if was_paused == paused:
        return
    target.queue_paused_at = timezone.now() if paused else None
    model.objects.filter(pk=target.pk).update(queue_paused_at=target.queue_paused_at)
    audit_record(
        workspace=membership.workspace,
        project=project,
        actor=membership.user,
        verb="queue.paused" if paused else "queue.resumed",
        target=target,
        data={"scope": "project" if project is not None else "workspace"},
    )
    transaction.on_commit(wake_scheduler)


@transaction.atomic
def member_hourly_images_set(*, membership: Membership, images: int | None) -> Workspace:
    """Cap how many images each person may start per hour (None: no cap)."""
    _require_owner(membership)
    workspace = membership.workspace
    before = Workspace.objects.get(pk=workspace.pk).member_hourly_images
    if before == images:
        return workspace
    Workspace.objects.filter(pk=workspace.pk).update(member_hourly_images=images)
    workspace.member_hourly_images = images
    audit_record(
        workspace=workspace,
        actor=membership.user,
        verb="queue.hourly_cap_set",
        target=workspace,
        data={"from": before, "to": images},
    )
    transaction.on_commit(wake_scheduler)
    return workspace

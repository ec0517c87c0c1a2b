"""Writes for jobs and assets: submitting a job, running it, storing what it made.

`job_run` is the worker's whole pipeline and is safe to run any number of times:
it locks the job, does only what is still missing, and never calls the API for a
job whose answer is already recorded.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from datetime import timedelta
from functools import lru_cache
from typing import Any

import redis
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from recraft_studio.assets import files
from recraft_studio.assets.models import Asset
from recraft_studio.audit.services import BudgetExceeded, audit_record, budget_check
from recraft_studio.recraft import catalog
from recraft_studio.recraft.catalog import Op
from recraft_studio.recraft.client import CallResult
from recraft_studio.recraft.errors import (
    RecraftAuthError,
    RecraftBadRequest,
    RecraftError,
    RecraftImageExpired,
    RecraftInsufficientCredits,
    RecraftNotFound,
    RecraftRateLimited,
)
from recraft_studio.recraft.ratelimit import SharedRateLimiter
from recraft_studio.recraft.validation import (
    FieldError,
    RequestInvalid,
    check_params,
    check_uploads,
)
from recraft_studio.workspaces.models import Membership, Project, Workspace
from recraft_studio.workspaces.selectors import recraft_client, recraft_credentials

from .models import FINISHED, Job, JobStatus

logger = logging.getLogger(__name__)

#: How long one run may hold a job before another run may take it over.
RUN_LOCK_SECONDS = 15 * 60
#: How long a run waits for rate-limit room before handing the job back to the queue.
RATE_WAIT_SECONDS = 90


@lru_cache(maxsize=1)
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


@lru_cache(maxsize=1)
def rate_limiter() -> SharedRateLimiter:
    return SharedRateLimiter(settings.REDIS_URL, limit=settings.RECRAFT_RATE_LIMIT_PER_MINUTE)


def estimate_cost(operation: Op | str, params: Mapping[str, Any], *, base_style: str = "") -> int:
    """API units a call will cost; `base_style` prices a custom style by its base."""
    op = catalog.OPERATIONS[Op(operation)]
    n = params.get("n") or 1
    return op.price(model=params.get("model"), style=params.get("style") or base_style, n=n)


# --- submission -------------------------------------------------------------------------


@transaction.atomic
def job_submit(
    *,
    membership: Membership,
    project: Project,
    operation: Op | str = Op.GENERATE,
    params: Mapping[str, Any],
    inputs: Mapping[str, bytes] | None = None,
    source_asset: Asset | None = None,
    brand_style=None,
) -> Job:
    """Record a job and queue it once the transaction commits.

    The parameters are checked against the API's rules once more here: whatever path
    a request took, nothing invalid is queued and nothing is spent on it.
    """
    if not membership.can_generate:
        raise PermissionDenied("Your role in this workspace cannot run jobs.")
    if project.workspace_id != membership.workspace_id:
        raise PermissionDenied("The project belongs to another workspace.")
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
    if source_asset is not None and source_asset.workspace_id != membership.workspace_id:
        raise PermissionDenied("The source image belongs to another workspace.")
    stored_inputs = {}
    for name, data in (inputs or {}).items():
        facts = files.inspect(data)
        stored_inputs[name] = files.store_input(data, facts)
    if brand_style is not None and brand_style.workspace_id != membership.workspace_id:
        raise PermissionDenied("The brand style belongs to another workspace.")
    base_style = brand_style.base_style if brand_style is not None else ""
    estimated = estimate_cost(operation, params, base_style=base_style)
    # Submissions to one workspace take turns here, so the budget sees each of them.
    Workspace.objects.select_for_update().filter(pk=membership.workspace_id).first()
    try:
        budget_check(workspace=membership.workspace, cost=estimated)
    except BudgetExceeded as exc:
        raise RequestInvalid([FieldError("budget", str(exc))])
    job = Job.objects.create(
        workspace=membership.workspace,
        project=project,
        created_by=membership.user,
        operation=operation,
        params=params,
        inputs=stored_inputs,
        source_asset=source_asset,
        brand_style=brand_style,
        n_outputs=spec.output_images(params.get("n")),
        estimated_cost=estimated,
    )
    audit_record(
        workspace=membership.workspace,
        project=project,
        actor=membership.user,
        verb="job.submitted",
        target=job,
        estimated_cost=estimated,
        data={"operation": str(operation), "params": params},
    )
    from .tasks import job_run_task

    job_id = str(job.id)
    transaction.on_commit(lambda: job_run_task.delay(job_id))
    return job


# --- the worker's pipeline ------------------------------------------------------------------


def describe_error(exc: Exception) -> str:
    """A sentence a person can act on, keeping the API's own words."""
    if isinstance(exc, RecraftInsufficientCredits):
        return f"The Recraft account has run out of API units: {exc.message}"
    if isinstance(exc, RecraftAuthError):
        return f"The Recraft API did not accept this workspace's API token: {exc.message}"
    if isinstance(exc, RecraftBadRequest):
        return f"The Recraft API rejected the request: {exc.message}"
    if isinstance(exc, RecraftNotFound):
        return f"The Recraft API could not find what the job refers to: {exc.message}"
    if isinstance(exc, RecraftImageExpired):
        return "The API no longer served an output when we fetched it (its URL had expired)."
    if isinstance(exc, RecraftRateLimited):
        return f"The Recraft API kept refusing for the rate limit: {exc.message}"
    if isinstance(exc, RecraftError):
        return f"The Recraft API failed: {exc}"
    if isinstance(exc, RequestInvalid):
        return f"The job's parameters are not valid: {exc}"
    return f"The job could not be completed ({exc.__class__.__name__}: {exc})."


def _call_api(job: Job) -> CallResult:
    client = recraft_client(job.workspace)
    _, token = recraft_credentials(job.workspace)
    rate_limiter().acquire(token, job.n_outputs, timeout=RATE_WAIT_SECONDS)
    inputs = {name: files.read(key) for name, key in job.inputs.items()}
    with client:
        if job.operation == Op.CREATE_STYLE:
            raise ValueError("Style creation is not a job.")
        return client.call(job.operation, job.params, inputs)


def _record_response(job_id, result: CallResult) -> Job:
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if job.response is None:
            job.response = {
                "created": result.created,
                "credits": result.credits,
                "images": [
                    {"image_id": i.image_id, "url": i.url, "b64_json": i.b64_json}
                    for i in result.images
                ],
            }
            job.actual_cost = result.credits
            job.status = JobStatus.GENERATED
            job.save(update_fields=["response", "actual_cost", "status", "updated_at"])
    return job


def asset_persist(*, job: Job, index: int) -> Asset:
    """Store output `index` of `job` unless it is stored already."""
    existing = Asset.objects.filter(job=job, output_index=index).first()
    if existing is not None:
        return existing
    image = job.response["images"][index]
    if image.get("b64_json"):
        data = base64.b64decode(image["b64_json"])
    else:
        with recraft_client(job.workspace) as client:
            data, _ = client.download(image["url"])
    facts = files.inspect(data)
    file_key = files.store_original(data, facts)
    thumb_key = files.store_thumbnail(data, facts, file_key)
    params = job.params
    n = max(len(job.response["images"]), 1)
    try:
        with transaction.atomic():
            return Asset.objects.create(
                workspace_id=job.workspace_id,
                project_id=job.project_id,
                job=job,
                output_index=index,
                parent=job.source_asset,
                created_by_id=job.created_by_id,
                operation=job.operation,
                prompt=params.get("prompt", ""),
                style=params.get("style", "")
                or (job.brand_style.base_style if job.brand_style_id else ""),
                brand_style_id=job.brand_style_id,
                substyle=params.get("substyle", ""),
                model=params.get("model", ""),
                api_image_id=image.get("image_id", ""),
                file_key=file_key,
                thumb_key=thumb_key,
                content_type=facts.content_type,
                width=facts.width,
                height=facts.height,
                size_bytes=facts.size_bytes,
                sha256=facts.sha256,
                cost=(job.actual_cost or 0) // n,
            )
    except IntegrityError:
        # Another run stored this output between our check and our insert.
        return Asset.objects.get(job=job, output_index=index)


def _settle(job_id, *, status: str, error: str, verb: str, data: dict) -> Job:
    """End an unfinished job once, with the event that settles it in the trail."""
    with transaction.atomic():
        job = Job.objects.select_for_update().select_related("workspace", "project").get(pk=job_id)
        if job.status in FINISHED:
            return job
        job.status = status
        job.error = error
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at", "updated_at"])
        audit_record(
            workspace=job.workspace,
            project=job.project,
            actor=job.created_by,
            verb=verb,
            target=job,
            estimated_cost=job.estimated_cost,
            actual_cost=job.actual_cost,
            data={"operation": job.operation, "outputs": job.n_outputs, **data},
        )
    return job


def _finish(job_id) -> Job:
    return _settle(job_id, status=JobStatus.DONE, error="", verb="job.completed", data={})


def job_run(*, job_id) -> Job:
    """Run a job to the end: call the API once, record its answer, store each output.

    Safe to re-run at any point: a finished job is left alone, a job whose answer is
    recorded is not sent again, and outputs already stored are not stored twice. Two
    runs never overlap: the second finds the job's lock taken and leaves.
    """
    lock = _redis().lock(f"studio:job-run:{job_id}", timeout=RUN_LOCK_SECONDS, blocking=False)
    if not lock.acquire():
        logger.info("Job %s is being run elsewhere; leaving it", job_id)
        return Job.objects.get(pk=job_id)
    try:
        with transaction.atomic():
            job = Job.objects.select_for_update().get(pk=job_id)
            if job.status in FINISHED:
                return job
            if job.status == JobStatus.QUEUED:
                job.status = JobStatus.RUNNING
                job.started_at = timezone.now()
            job.attempts += 1
            job.save(update_fields=["status", "started_at", "attempts", "updated_at"])
        job = Job.objects.select_related("workspace", "source_asset", "brand_style").get(pk=job_id)
        if job.response is None:
            result = _call_api(job)
            job = _record_response(job_id, result)
            job = Job.objects.select_related("workspace", "source_asset", "brand_style").get(
                pk=job_id
            )
        for index in range(len(job.response["images"])):
            asset_persist(job=job, index=index)
        return _finish(job_id)
    finally:
        try:
            lock.release()
        except redis.exceptions.LockError:
            logger.warning("The run lock of job %s expired before the run ended", job_id)


@transaction.atomic
def job_cancel(*, membership: Membership, job: Job) -> Job:
    """Withdraw a job the API has not been called for yet; nothing is charged.

    Once a worker has taken the job the API may already be making (and charging for)
    its images, so only a queued job can be canceled. Its author and owners may.
    """
    if job.workspace_id != membership.workspace_id:
        raise PermissionDenied("The job belongs to another workspace.")
    if job.created_by_id != membership.user_id and not membership.can_manage_members:
        raise PermissionDenied("Only the job's author or an owner can cancel it.")
    job = Job.objects.select_for_update().select_related("workspace", "project").get(pk=job.pk)
    if job.status != JobStatus.QUEUED:
        return job
    job.status = JobStatus.CANCELED
    job.error = f"Canceled by {membership.user.get_username()} before the API was called."
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at", "updated_at"])
    audit_record(
        workspace=job.workspace,
        project=job.project,
        actor=membership.user,
        verb="job.canceled",
        target=job,
        estimated_cost=job.estimated_cost,
        data={"operation": job.operation},
    )
    return job


def job_note_retry(*, job_id, exc: Exception) -> None:
    """Show why a job is waiting to be tried again, without finishing it."""
    Job.objects.filter(pk=job_id).exclude(status__in=FINISHED).update(
        error=f"Retrying: {describe_error(exc)}", updated_at=timezone.now()
    )


def job_fail(*, job_id, reason: str) -> Job:
    return _settle(
        job_id, status=JobStatus.FAILED, error=reason, verb="job.failed", data={"reason": reason}
    )


def jobs_claim_stuck(*, older_than: timedelta | None = None) -> list[str]:
    """Ids of unfinished jobs nothing has touched for a while, marked as touched now.

    Touching them keeps the next sweep from queueing them again while they wait.
    """
    age = older_than or timedelta(seconds=settings.JOBS_STUCK_AFTER_SECONDS)
    cutoff = timezone.now() - age
    with transaction.atomic():
        ids = list(
            Job.objects.exclude(status__in=FINISHED)
            .filter(updated_at__lt=cutoff)
            .values_list("pk", flat=True)[:500]
        )
        Job.objects.filter(pk__in=ids).update(updated_at=timezone.now())
    return [str(pk) for pk in ids]

"""The worker's side of a job: call the API once, record its answer, store every output.

A worker only ever receives jobs the scheduler has handed out (`dispatched`, with
rate-limit permits, or `generated`, to store an answer). `job_run` takes the job's
lease from the scheduler and renews it while it works; if the worker dies, the
lease lapses within `JOBS_LEASE_SECONDS` and the scheduler hands the job out again.

Paid work is never lost:

- the call's row (`ApiCall`) is written before the call is sent, so a run that finds
  one still in flight knows it may have been charged: it records the possible charge
  and re-sends once (the API has no idempotency key);
- the API's answer goes to Redis (the journal) and then to the job's row before
  anything is fetched; a run that finds it in either place never calls again;
- every output is fetched (to temporary files) before any is stored, then all are
  stored; storage or the API's image host being away puts the job back to wait,
  with backoff and jitter, for as long as the API keeps the images (about 24 h);
- every step is safe to repeat: content-addressed keys, one asset per (job, output).

Messages written for people (`error`, `waiting`) name no endpoint, bucket, key or URL.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import random
import socket
import tempfile
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Value
from django.db.models.functions import Now
from django.utils import timezone

from recraft_studio.assets import files
from recraft_studio.assets.models import Asset
from recraft_studio.audit.ledger import POSSIBLE_CHARGE_VERB, ledger_charge, ledger_release
from recraft_studio.audit.services import audit_record
from recraft_studio.recraft import catalog
from recraft_studio.recraft.catalog import Op
from recraft_studio.recraft.client import CallResult
from recraft_studio.recraft.errors import (
    RecraftAuthError,
    RecraftBadRequest,
    RecraftDownloadRefused,
    RecraftError,
    RecraftImageExpired,
    RecraftInsufficientCredits,
    RecraftNotFound,
    RecraftRateLimited,
    RecraftUnavailable,
)
from recraft_studio.recraft.validation import RequestInvalid

from . import checkpoints
from .accounts import client_for, credentials_for, rate_limiter, redis_client
from .models import DISPATCH_OWNER, FINISHED, ApiCall, CallState, Job, JobStatus
from .wake import wake_scheduler

logger = logging.getLogger(__name__)

#: How many times a call is tried when the API fails in a way that may pass.
MAX_API_ATTEMPTS = 6
#: A job refused this many times for the rate limit gives up (the studio's window
#: and the API's should agree; this many refusals mean they do not).
MAX_RATE_REFUSALS = 50
#: Answers are kept in Redis this long (longer than the API keeps its images).
JOURNAL_SECONDS = 30 * 60 * 60
JOURNAL = "studio:answer:{}"
ACCOUNT_PAUSE = "studio:rate-pause:{}"


class LeaseLost(Exception):
    """Another run has taken the job over: this one stops without writing anything."""


def _until(seconds: float):
    """The database's now plus `seconds`: leases are compared on one clock."""
    return ExpressionWrapper(
        Now() + Value(timedelta(seconds=seconds)), output_field=DateTimeField()
    )


def backoff(attempt: int, *, base: float = 2.0, cap: float = 120.0) -> float:
    """Exponential backoff with jitter: about base·2^attempt, never more than `cap`."""
    ceiling = min(cap, base * (2**attempt))
    return random.uniform(ceiling / 2, ceiling)


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
    if isinstance(exc, RecraftRateLimited):
        return "The Recraft API kept refusing the job for its rate limit."
    if isinstance(exc, RecraftUnavailable):
        return "The Recraft API could not be reached."
    if isinstance(exc, RecraftError):
        return f"The Recraft API failed: {exc.message}"
    if isinstance(exc, RequestInvalid):
        return f"The job's parameters are not valid: {exc}"
    if isinstance(exc, files.StorageUnavailable):
        return "The studio's image storage could not be reached."
    name = exc.__class__.__name__
    return f"The job could not be completed because of an error in the studio ({name})."


# --- leases --------------------------------------------------------------------------


@dataclass
class Run:
    job_id: uuid.UUID
    owner: str
    lost: bool = False

    def check(self) -> None:
        if self.lost:
            raise LeaseLost()


def _claim(job_id, owner: str) -> Job | None:
    """Take the job from the scheduler, or return None when it is not ours to run."""
    taken = Job.objects.filter(
        pk=job_id,
        lease_owner=DISPATCH_OWNER,
        status__in=[JobStatus.DISPATCHED, JobStatus.GENERATED],
    ).update(
        lease_owner=owner,
        lease_expires_at=_until(settings.JOBS_LEASE_SECONDS),
        attempts=F("attempts") + 1,
        updated_at=Now(),
    )
    if not taken:
        return None
    Job.objects.filter(pk=job_id, status=JobStatus.DISPATCHED).update(
        status=JobStatus.RUNNING, started_at=Now()
    )
    return Job.objects.select_related(
        "workspace", "project", "created_by", "source_asset", "brand_style"
    ).get(pk=job_id)


class Heartbeat(threading.Thread):
    """Renews the run's lease every third of its length, until stopped; notices loss."""

    def __init__(self, run: Run):
        super().__init__(name=f"lease-{run.job_id}", daemon=True)
        self.run_ = run
        self.stopped = threading.Event()

    def run(self) -> None:
        interval = settings.JOBS_LEASE_SECONDS / 3
        try:
            while not self.stopped.wait(interval):
                try:
                    renewed = Job.objects.filter(
                        pk=self.run_.job_id, lease_owner=self.run_.owner
                    ).update(lease_expires_at=_until(settings.JOBS_LEASE_SECONDS))
                except Exception as exc:  # the database may be away for a moment
                    logger.warning("Could not renew the lease of job %s: %s", self.run_.job_id, exc)
                    close_old_connections()
                    continue
                if not renewed:
                    self.run_.lost = True
                    return
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _locked(job_id) -> Job:
    """The job's row, locked (only it: the rows it refers to are shared with other
    workers' inserts, and locking them is what deadlocked settling before)."""
    return (
        Job.objects.select_for_update(no_key=True, of=("self",))
        .select_related("workspace", "project", "created_by")
        .get(pk=job_id)
    )


def _release(job_id, owner: str, **changes) -> bool:
    """Give the job back (to wait, or to the scheduler) if this run still holds it."""
    return bool(
        Job.objects.filter(pk=job_id, lease_owner=owner).update(
            lease_owner="", lease_expires_at=None, updated_at=Now(), **changes
        )
    )


# --- permits ---------------------------------------------------------------------------


def release_permits(job: Job) -> None:
    """Give back the permits a job holds for a call that will not be sent (or was refused).

    Sets `job.permits` to 0; the caller saves it."""
    if job.permits and job.account and job.permit_holder:
        rate_limiter().give_back(job.account, job.permit_holder, job.permits)
    job.permits = 0


# --- the entry point -------------------------------------------------------------------


def job_run(*, job_id) -> None:
    """Run a job the scheduler handed out, to its end or until it must wait again.

    Safe to call any number of times: a job not handed to this call is left alone.
    """
    owner = _owner()
    job = _claim(job_id, owner)
    if job is None:
        logger.info("Job %s is not waiting for a worker; leaving it", job_id)
        return
    run = Run(job_id=job.pk, owner=owner)
    heartbeat = Heartbeat(run)
    heartbeat.start()
    try:
        if job.response is None:
            job = _call(job, run)
            if job is None:
                return
        _persist(job, run)
    except LeaseLost:
        logger.warning("Job %s was taken over by another run; this one stops", job_id)
    except Exception as exc:
        logger.exception("Job %s failed unexpectedly", job_id)
        _fail(job_id, owner, describe_error(exc))
    finally:
        heartbeat.stop()
        wake_scheduler()


# --- calling the API ---------------------------------------------------------------------


def _journal(job_id, result: CallResult, call_id: int) -> dict:
    answer = {
        "created": result.created,
        "credits": result.credits,
        "images": [
            {"image_id": i.image_id, "url": i.url, "b64_json": i.b64_json} for i in result.images
        ],
        "call": call_id,
    }
    try:
        redis_client().set(JOURNAL.format(job_id), json.dumps(answer), ex=JOURNAL_SECONDS)
    except Exception as exc:  # the database write below is what matters; this is a net
        logger.warning("Could not journal the answer of job %s: %s", job_id, exc)
    return answer


def _journaled(job_id) -> dict | None:
    raw = redis_client().get(JOURNAL.format(job_id))
    return json.loads(raw) if raw else None


def _record_possible_charges(job: Job) -> int:
    """Mark this job's calls left in flight as interrupted, with what they may have cost.

    Returns how many of the job's calls were ever interrupted."""
    # The usual case, checked without a lock: no call of this job was ever cut off.
    # Only the run holding the lease (this one) creates calls, so none can appear now.
    cut_off = (CallState.IN_FLIGHT, CallState.INTERRUPTED)
    if not ApiCall.objects.filter(job=job, state__in=cut_off).exists():
        return 0
    with transaction.atomic():
        _locked(job.pk)
        for call in ApiCall.objects.filter(job=job, state=CallState.IN_FLIGHT):
            call.state = CallState.INTERRUPTED
            call.ended_at = timezone.now()
            call.possible_units = job.estimated_cost
            call.error = "Its answer never arrived; the API may have charged for it."
            call.save(update_fields=["state", "ended_at", "possible_units", "error"])
            event = audit_record(
                workspace=job.workspace,
                project=job.project,
                actor=job.created_by,
                verb=POSSIBLE_CHARGE_VERB,
                target=job,
                data={
                    "operation": job.operation,
                    "possible_units": job.estimated_cost,
                    "call": call.pk,
                    "account": call.account,
                },
            )
            ledger_charge(
                event=event,
                user_id=job.created_by_id,
                operation=job.operation,
                possible=job.estimated_cost,
            )
        return ApiCall.objects.filter(job=job, state=CallState.INTERRUPTED).count()


def _send_inputs(job: Job):
    if job.operation == Op.CREATE_STYLE:
        return [files.read(key) for _, key in sorted(job.inputs.items())]
    return {name: files.read(key) for name, key in job.inputs.items()}


def _call(job: Job, run: Run) -> Job | None:
    """Get the API's answer for `job`, paying at most once more than it already may have.

    Returns the job with its answer recorded, or None when the job went back to wait
    or failed.
    """
    answer = _journaled(job.pk)
    if answer is not None:  # answered before, but the run died before recording it
        return _record_answer(job, answer, run)
    interrupted = _record_possible_charges(job)
    if interrupted >= 2:
        _fail(
            job.pk,
            run.owner,
            "The API did not answer twice, and each call may have been charged; the studio "
            "does not send it a third time. Retry when the API is answering again.",
        )
        return None
    try:
        inputs = _send_inputs(job)
    except files.StorageUnavailable:
        _wait_to_call(job, run, storage=True)
        return None
    checkpoints.reach("before_call", job.pk)
    with transaction.atomic():
        locked = _locked(job.pk)
        if locked.lease_owner != run.owner or locked.status != JobStatus.RUNNING:
            # Canceled, or taken over: it must not be sent from here.
            raise LeaseLost()
        call = ApiCall.objects.create(job=job, account=job.account, resend=interrupted > 0)
    limiter = rate_limiter()
    limiter.stamp_sent(job.account, job.permit_holder, job.permits)
    client = client_for(credentials_for(job.workspace))
    try:
        result = client.call(job.operation, job.params, inputs)
    except RecraftRateLimited as exc:
        _end_call(call, CallState.REFUSED, exc)
        _rate_limited(job, run, exc)
        return None
    except RecraftUnavailable as exc:
        if exc.maybe_processed:
            # Left in flight: the next run records the possible charge and re-sends.
            logger.warning("Job %s: the API did not answer (%s)", job.pk, exc)
        else:
            _end_call(call, CallState.FAILED, exc)
        _wait_to_call(job, run, give_back=not exc.maybe_processed)
        return None
    except RecraftError as exc:
        if exc.transient:  # 5xx: the API failed and made nothing
            _end_call(call, CallState.FAILED, exc)
            _wait_to_call(job, run)
            return None
        _end_call(call, CallState.REFUSED, exc)
        _give_back_and_fail(job, run, describe_error(exc))
        return None
    except RequestInvalid as exc:  # the client's own check: nothing left
        _end_call(call, CallState.REFUSED, exc)
        _give_back_and_fail(job, run, describe_error(exc))
        return None
    if isinstance(result, dict):  # style creation answers with the style itself
        result = CallResult(
            created=0,
            credits=int(result.get("credits") or 0),
            images=[],
            raw={"style_id": result.get("id", "")},
        )
    answer = _journal(job.pk, result, call.pk)
    if result.raw.get("style_id"):
        answer["style_id"] = result.raw["style_id"]
    return _record_answer(job, answer, run)


def _end_call(call: ApiCall, state: str, exc: Exception) -> None:
    call.state = state
    call.ended_at = timezone.now()
    call.http_status = getattr(exc, "status", None)
    call.error = str(getattr(exc, "message", exc))[:300]
    call.save(update_fields=["state", "ended_at", "http_status", "error"])


def _record_answer(job: Job, answer: dict, run: Run) -> Job:
    """Write the answer and its charge; the job moves to `generated`."""
    credits = int(answer.get("credits") or 0)
    images = answer.get("images") or []
    with transaction.atomic():
        locked = _locked(job.pk)
        call = ApiCall.objects.filter(pk=answer.get("call"), job=job).first()
        if call is not None and call.state != CallState.ANSWERED:
            call.state = CallState.ANSWERED
            call.ended_at = timezone.now()
            call.http_status = 200
            call.credits = credits
            call.possible_units = 0
            call.save(
                update_fields=["state", "ended_at", "http_status", "credits", "possible_units"]
            )
        elif call is not None:
            return Job.objects.select_related(*_RELATED).get(pk=job.pk)  # recorded already
        first_answer = locked.response is None
        event = audit_record(
            workspace=job.workspace,
            project=job.project,
            actor=job.created_by,
            verb="job.charged",
            target=job,
            estimated_cost=job.estimated_cost,
            actual_cost=credits,
            data={
                "operation": job.operation,
                "images": len(images),
                "call": answer.get("call"),
                **({} if first_answer else {"second_answer": True}),
            },
        )
        ledger_charge(
            event=event,
            user_id=job.created_by_id,
            operation=job.operation,
            charged=credits,
            released=job.estimated_cost if first_answer else 0,
            images=len(images),
        )
        if first_answer:
            locked.response = {k: v for k, v in answer.items() if k != "call"}
            locked.actual_cost = credits
            locked.status = JobStatus.GENERATED
            locked.answered_at = timezone.now()
            locked.waiting = ""
            locked.permits = 0  # the permits were used; they lapse with the window
            locked.save(
                update_fields=[
                    "response",
                    "actual_cost",
                    "status",
                    "answered_at",
                    "waiting",
                    "permits",
                    "updated_at",
                ]
            )
    checkpoints.reach("after_answer", job.pk)
    run.check()
    return Job.objects.select_related(*_RELATED).get(pk=job.pk)


_RELATED = ("workspace", "project", "created_by", "source_asset", "brand_style")


def _rate_limited(job: Job, run: Run, exc: RecraftRateLimited) -> None:
    """The API refused for its rate limit: the permits go back, the account waits for
    its Retry-After, and the job keeps its place in line."""
    from .scheduler import lane_refund

    wait = max(float(exc.retry_after or 1.0), 0.5)
    redis_client().set(ACCOUNT_PAUSE.format(job.account), "1", px=int(wait * 1000))
    release_permits(job)
    lane_refund(job)
    if job.calls.filter(http_status=429).count() >= MAX_RATE_REFUSALS:
        _fail(job.pk, run.owner, describe_error(exc))
        return
    logger.warning("Job %s was refused for the rate limit; it waits %.1f s", job.pk, wait)
    _release(
        job.pk,
        run.owner,
        status=JobStatus.QUEUED,
        permits=0,
        not_before=timezone.now() + timedelta(seconds=wait),
        waiting="Waiting for the API's rate limit.",
    )


def _wait_to_call(job: Job, run: Run, *, give_back: bool = True, storage: bool = False) -> None:
    """The call failed in a way that may pass: back to the line with backoff, or fail
    once it has been tried `MAX_API_ATTEMPTS` times."""
    attempt = job.api_attempts + 1
    if give_back:
        release_permits(job)
    if attempt >= MAX_API_ATTEMPTS:
        reason = (
            "The studio's image storage could not be reached to read the job's inputs."
            if storage
            else f"The Recraft API failed {attempt} times in a row; nothing was charged for them."
        )
        _fail(job.pk, run.owner, reason)
        return
    delay = backoff(attempt)
    what = "the studio's storage" if storage else "the Recraft API"
    _release(
        job.pk,
        run.owner,
        status=JobStatus.QUEUED,
        permits=0,
        api_attempts=attempt,
        not_before=timezone.now() + timedelta(seconds=delay),
        waiting=f"Retrying after an error of {what} (attempt {attempt + 1} of {MAX_API_ATTEMPTS}).",
    )


def _give_back_and_fail(job: Job, run: Run, reason: str) -> None:
    release_permits(job)
    Job.objects.filter(pk=job.pk).update(permits=0)
    _fail(job.pk, run.owner, reason)


# --- storing the outputs -------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    index: int
    facts: files.FileFacts
    file_key: str
    thumb_key: str


def _fetch(client, image: dict, index: int, folder: Path, job_id) -> Path:
    path = folder / f"output-{index}"
    if image.get("b64_json"):
        path.write_bytes(base64.b64decode(image["b64_json"]))
    else:
        with open(path, "wb") as out:
            client.download_to(image["url"], out)
    if index == 0:
        checkpoints.reach("mid_download", job_id)
    return path


def _store(index: int, path: Path) -> Stored:
    facts = files.inspect(path)
    file_key = files.store_original(path, facts)
    thumb_key = files.store_thumbnail(path, facts, file_key)
    return Stored(index, facts, file_key, thumb_key)


_output_pool: ThreadPoolExecutor | None = None
_output_pool_pid = 0
_output_pool_lock = threading.Lock()


def _output_threads() -> ThreadPoolExecutor:
    """The process's threads for fetching and storing outputs, made once.

    Kept, not made per job: django-storages' S3 storage keeps one boto3 connection
    per thread, and making one costs about a quarter of a second of CPU, so fresh
    threads for every job of six made storing twice as slow as doing it in turn. A
    forked worker process makes its own (threads do not survive a fork).
    """
    global _output_pool, _output_pool_pid
    with _output_pool_lock:
        if _output_pool is None or _output_pool_pid != os.getpid():
            _output_pool = ThreadPoolExecutor(
                max_workers=settings.JOBS_OUTPUT_THREADS, thread_name_prefix="studio-output"
            )
            _output_pool_pid = os.getpid()
        return _output_pool


def _parallel(fn, items):
    """Run `fn` over `items` in the output threads; re-raise the first failure after
    all have finished (so no thread is still writing when the job moves on)."""
    if len(items) <= 1:
        return [fn(*item) for item in items]
    futures = [_output_threads().submit(fn, *item) for item in items]
    wait(futures)
    return [f.result() for f in futures]


def _persist(job: Job, run: Run) -> None:
    """Store every output not yet stored, then finish the job."""
    if job.operation == Op.CREATE_STYLE:
        _persist_style(job, run)
        return
    images = job.response.get("images") or []
    stored = set(Asset.objects.filter(job=job).values_list("output_index", flat=True))
    missing = [i for i in range(len(images)) if i not in stored]
    if missing:
        client = client_for(credentials_for(job.workspace))
        with tempfile.TemporaryDirectory(prefix="studio-job-") as folder:
            try:
                paths = _parallel(
                    lambda i: (i, _fetch(client, images[i], i, Path(folder), job.pk)),
                    [(i,) for i in missing],
                )
            except RecraftImageExpired:
                _fail(
                    job.pk,
                    run.owner,
                    f"The API no longer had {len(missing)} of the {len(images)} images when "
                    "the studio fetched them: it keeps images about 24 hours. "
                    f"{len(images) - len(missing)} were stored.",
                )
                return
            except RecraftDownloadRefused as exc:
                _fail(job.pk, run.owner, exc.message)
                return
            except RecraftError as exc:
                _wait_to_store(job, run, "fetching the images from the API", exc)
                return
            run.check()
            try:
                results = _parallel(_store, paths)
            except files.StorageUnavailable as exc:
                _wait_to_store(job, run, "the studio's storage", exc)
                return
        for number, result in enumerate(sorted(results, key=lambda r: r.index)):
            _asset_create(job, images, result)
            if number == 0:
                checkpoints.reach("mid_store", job.pk)
            run.check()
    _settle(
        job.pk,
        run.owner,
        status=JobStatus.DONE,
        error="",
        verb="job.completed",
        data={"outputs": len(images), "charged": job.actual_cost},
    )


def _asset_create(job: Job, images: list, stored: Stored) -> Asset:
    params = job.params
    image = images[stored.index]
    try:
        with transaction.atomic():
            return Asset.objects.create(
                workspace_id=job.workspace_id,
                project_id=job.project_id,
                job=job,
                output_index=stored.index,
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
                file_key=stored.file_key,
                thumb_key=stored.thumb_key,
                content_type=stored.facts.content_type,
                width=stored.facts.width,
                height=stored.facts.height,
                size_bytes=stored.facts.size_bytes,
                sha256=stored.facts.sha256,
                cost=(job.actual_cost or 0) // max(len(images), 1),
            )
    except IntegrityError:
        # Another run stored this output between our check and our insert.
        return Asset.objects.get(job=job, output_index=stored.index)


def _persist_style(job: Job, run: Run) -> None:
    from recraft_studio.brand.services import brand_style_created

    brand_style_created(job=job, style_id=job.response.get("style_id", ""))
    _settle(
        job.pk,
        run.owner,
        status=JobStatus.DONE,
        error="",
        verb="job.completed",
        data={"charged": job.actual_cost},
    )


def _wait_to_store(job: Job, run: Run, what: str, exc: Exception) -> None:
    """Storing failed in a way that may pass: wait with backoff and jitter while the API
    still keeps the images, then give up saying so."""
    attempt = job.store_attempts + 1
    delay = backoff(attempt, cap=settings.JOBS_STORE_BACKOFF_CAP_SECONDS)
    answered = job.answered_at or timezone.now()
    keep_until = answered + timedelta(seconds=catalog.IMAGE_TTL_SECONDS)
    give_up = keep_until - timedelta(seconds=settings.JOBS_STORE_MARGIN_SECONDS)
    if job.response.get("images") and all(i.get("b64_json") for i in job.response["images"]):
        give_up = answered + timedelta(days=7)  # the answer holds the images themselves
    if timezone.now() + timedelta(seconds=delay) > give_up:
        _fail(
            job.pk,
            run.owner,
            f"The images could not be kept: {what} failed for too long, until the API "
            "stopped keeping them. The call was paid for.",
        )
        return
    logger.warning("Job %s: %s failed (%s); retrying in %.0f s", job.pk, what, exc, delay)
    local = timezone.localtime(keep_until)
    _release(
        job.pk,
        run.owner,
        store_attempts=attempt,
        not_before=timezone.now() + timedelta(seconds=delay),
        waiting=(
            f"Retrying after an error of {what} (attempt {attempt + 1}). The images are paid "
            f"for and wait at the API until about {local:%H:%M} on {local:%b %-d} (UTC)."
        ),
    )


# --- ending a job ----------------------------------------------------------------------------


def _settle(job_id, owner: str | None, *, status: str, error: str, verb: str, data: dict) -> bool:
    """End an unfinished job once, with the event that settles it in the trail.

    Only the job's row is locked (never the workspace or project it refers to: other
    workers' inserts share those). Returns False when it was already finished, or
    when `owner` no longer holds it.
    """
    with transaction.atomic():
        job = _locked(job_id)
        if job.status in FINISHED or (owner is not None and job.lease_owner != owner):
            return False
        answered = job.response is not None
        if not answered:
            release_permits(job)
            ledger_release(
                workspace_id=job.workspace_id, project_id=job.project_id, units=job.estimated_cost
            )
        job.status = status
        job.error = error
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
        audit_record(
            workspace=job.workspace,
            project=job.project,
            actor=job.created_by,
            verb=verb,
            target=job,
            estimated_cost=job.estimated_cost,
            data={"operation": job.operation, "outputs": job.n_outputs, **data},
        )
    with contextlib.suppress(Exception):
        redis_client().delete(JOURNAL.format(job_id))
    return True


def _fail(job_id, owner: str | None, reason: str) -> bool:
    return _settle(
        job_id,
        owner,
        status=JobStatus.FAILED,
        error=reason,
        verb="job.failed",
        data={"reason": reason},
    )


def job_fail(*, job_id, reason: str) -> bool:
    """Fail a job whoever holds it (the scheduler's sweep, a task that gave up)."""
    return _fail(job_id, None, reason)

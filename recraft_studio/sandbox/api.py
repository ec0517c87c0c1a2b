"""The /v1 endpoints: every call in the docs, answered as the API answers it.

A paid call goes through the same steps in the same order every time: the token
(401), the body (400 when a value cannot be read), the documented rules on the
parameters and then on the uploads (400, via `validation`, the rules the studio's
forms use), the named style (404), the per-minute image limit (429 with
Retry-After) and the balance (402). Only then are the units taken and the images
made, in a worker thread; if making them fails, the units and the rate-limit places
are given back. In every answer `credits` is what that call cost; the balance is on
/users/me.
"""

from __future__ import annotations

import base64
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from recraft_studio.recraft import catalog, validation
from recraft_studio.recraft.catalog import Op, Operation
from recraft_studio.recraft.validation import FieldError

from . import errors, operations
from .errors import ApiError, invalid
from .params import Body, read_body
from .state import Account, SandboxState, StyleRecord

logger = logging.getLogger("recraft_studio.sandbox")

Handler = Callable[[Request], Awaitable[Response]]


def endpoint(handler: Handler) -> Handler:
    """Turn refusals into the API's JSON errors, and failures into a JSON 500."""

    @wraps(handler)
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as exc:
            return exc.response()
        except FieldError as exc:
            return errors.from_field_error(exc).response()
        except Exception:
            logger.exception("sandbox failed on %s %s", request.method, request.url.path)
            return ApiError(
                500, "internal_error", "The sandbox failed to handle this call."
            ).response()

    return wrapped


def sandbox_of(request: Request) -> SandboxState:
    return request.app.state.sandbox


def note(request: Request, **fields: Any) -> None:
    """Add to what `GET /_sandbox/requests` will show about this request."""
    entry = request.scope.get("sandbox.entry")
    if entry is not None:
        entry.update(fields)


def authenticate(request: Request) -> Account:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise errors.unauthorized(
            "Send your API token in the Authorization header: 'Authorization: Bearer <token>'."
        )
    account = sandbox_of(request).account(token)
    if account is None:
        raise errors.unauthorized("This API token is not valid.")
    note(request, token=token)
    return account


# --- uploads --------------------------------------------------------------------------


def uploads_for(operation: Operation, body: Body) -> dict[str, bytes]:
    """The uploads of a single-file operation, keyed by the names the docs use.

    The spec's names (`image` where the docs say `file`, and the reverse) are
    accepted too; when both arrive, the docs' name wins.
    """
    by_field: dict[str, bytes] = {}
    for upload in body.uploads:
        by_field.setdefault(upload.field, upload.data)
    found: dict[str, bytes] = {}
    for name in operation.files:
        accepted = operation.accepted_names(name)
        data = next((by_field[n] for n in accepted if n in by_field), None)
        if data is not None:
            found[name] = data
        elif any(body.params.get(n) not in (None, "") for n in accepted):
            raise invalid(name, f"{name} must be uploaded as a file, not sent as text.")
    return found


def is_style_reference(operation: Operation, name: str) -> bool:
    """Whether an upload under `name` is a reference image of a style.

    The docs send `file` or `file1`…`file5`, the spec a repeated `images`; clients
    also write `files`, `image` or `file6` (and `images[]`, read as `images`). Every
    spelling of those families counts, so a sixth reference cannot slip in unseen
    under another name.
    """
    names = {alias for name in operation.files for alias in operation.accepted_names(name)}
    stems = {re.sub(r"s?\d*$", "", known) for known in names}  # file, image
    match = re.fullmatch(r"(.+?)s?\d*", name)
    return match is not None and match.group(1) in stems


def style_references(operation: Operation, body: Body) -> tuple[list[bytes], str]:
    """Every reference image of a style, and the field to name when they break a rule.

    Past the API's limit that is the field the first one too many came in.
    """
    uploads = [u for u in body.uploads if is_style_reference(operation, u.field)]
    limit = catalog.STYLE_REFERENCES_MAX_FILES
    field = uploads[limit].field if len(uploads) > limit else "files"
    return [u.data for u in uploads], field


# --- pricing and admission ------------------------------------------------------------


def find_style(request: Request, account: Account, style_id: Any) -> StyleRecord:
    try:
        key = str(uuid.UUID(str(style_id)))
    except ValueError:
        raise invalid("style_id", f"style_id must be a UUID; got {style_id!r}.")
    record = sandbox_of(request).styles.get(key)
    if record is None or record.owner != account.user_id:
        raise errors.not_found(f"There is no style with id {key}.", field="style_id")
    return record


def admit(request: Request, account: Account, price: int, images: int) -> None:
    """Refuse what the rate limit or the balance cannot take; otherwise take both.

    Runs without awaiting, so concurrent calls cannot both spend the same units.
    """
    sandbox = sandbox_of(request)
    wait = sandbox.rate.retry_after(account.user_id, images)
    if wait is not None:
        used = sandbox.rate.used(account.user_id)
        raise errors.rate_limited(
            f"This account may make {sandbox.rate.per_minute} images a minute; {used} were made "
            f"in the last 60 seconds and this call asks for {images}. Retry in {wait} s.",
            retry_after=wait,
        )
    if account.credits < price:
        raise errors.not_enough_credits(
            f"This call costs {price} API units but the balance is {account.credits}."
        )
    sandbox.rate.take(account.user_id, images)
    account.credits -= price


def give_back(request: Request, account: Account, price: int, images: int) -> None:
    account.credits += price
    sandbox_of(request).rate.give_back(account.user_id, images)


def first_error(found: list[FieldError]) -> None:
    if found:
        raise errors.from_field_error(found[0])


def normalize_seed(params: dict[str, Any]) -> None:
    """The docs' variate example sends `seed`; the spec calls it `random_seed`."""
    if params.get("seed") not in (None, ""):
        first_error(validation.check_seed(params["seed"], field="seed"))
        if params.get("random_seed") in (None, ""):
            params["random_seed"] = params["seed"]


# --- results --------------------------------------------------------------------------


def deliver(request: Request, outputs: list[operations.Output], response_format: Any) -> list[dict]:
    """Store each output and describe it as the spec's Image: an id, and a URL or base64."""
    sandbox = sandbox_of(request)
    signer = request.app.state.signer
    public_url = request.app.state.public_url
    images = []
    for output in outputs:
        image_id, expires_at = sandbox.store_image(output.data, output.content_type)
        if response_format == catalog.ResponseFormat.B64_JSON:
            encoded = base64.b64encode(output.data).decode("ascii")
            images.append({"image_id": image_id, "b64_json": encoded})
        else:
            images.append(
                {"image_id": image_id, "url": signer.url(public_url, image_id, expires_at)}
            )
    return images


# --- the paid calls -------------------------------------------------------------------


async def _prepared(request: Request, operation: Operation) -> tuple[Account, Body]:
    account = authenticate(request)
    body = await read_body(request)
    note(
        request,
        params=dict(body.params),  # as sent, before `seed` is read as `random_seed`
        files=[u.describe() for u in body.uploads],
        content_type=body.kind,
    )
    normalize_seed(body.params)
    return account, body


def operation_handler(op: Op) -> Handler:
    """The handler of one image endpoint of the catalog."""
    operation = catalog.OPERATIONS[op]

    @endpoint
    async def handle(request: Request) -> Response:
        account, body = await _prepared(request, operation)
        params = body.params
        first_error(validation.check_params(operation, params))
        style_palette: tuple = ()
        uploads: dict[str, bytes] = {}
        if op is Op.GENERATE:
            references = [u.data for u in body.uploads if u.field == "style_references"]
            if references:
                # The spec's multipart generation may bring its own style references.
                if params.get("style_id") not in (None, ""):
                    raise invalid(
                        "style_references", "Send style_references or style_id, not both."
                    )
                await run_in_threadpool(
                    validation.check_style_references, references, field="style_references"
                )
                style_palette = await run_in_threadpool(operations.style_palette, references)
        else:
            uploads = uploads_for(operation, body)
            await run_in_threadpool(validation.check_uploads, operation, uploads)
        base_style = params.get("style") or catalog.DEFAULT_STYLE
        if operation.takes_style and params.get("style_id") not in (None, ""):
            record = find_style(request, account, params["style_id"])
            base_style, style_palette = record.style, tuple(record.palette)
        if not operation.takes_style:
            base_style = catalog.DEFAULT_STYLE
        n = params.get("n") or 1
        price = operation.price(model=params.get("model"), style=base_style, n=n)
        images = operation.output_images(n)
        job = operations.Job(
            op=op,
            params=params,
            uploads=uploads,
            base_style=base_style,
            style_palette=style_palette,
        )
        admit(request, account, price, images)
        try:
            outputs = await run_in_threadpool(operations.run, job)
        except BaseException:
            give_back(request, account, price, images)
            raise
        delivered = deliver(request, outputs, params.get("response_format"))
        created = int(time.time())
        if operation.result == "image":
            return JSONResponse({"created": created, "credits": price, "image": delivered[0]})
        return JSONResponse({"created": created, "credits": price, "data": delivered})

    handle.__name__ = f"{op.value}_endpoint"
    return handle


@endpoint
async def create_style(request: Request) -> Response:
    operation = catalog.OPERATIONS[Op.CREATE_STYLE]
    account, body = await _prepared(request, operation)
    params = body.params
    first_error(validation.check_style_base(params.get("style")))
    private = params.get("private")
    if private is not None and not isinstance(private, bool):
        raise invalid("private", "private must be true or false.")
    references, field = style_references(operation, body)
    await run_in_threadpool(validation.check_style_references, references, field=field)
    price = operation.price()
    admit(request, account, price, operation.output_images())
    try:
        palette = await run_in_threadpool(operations.style_palette, references)
    except BaseException:
        give_back(request, account, price, 0)
        raise
    record = StyleRecord(
        id=str(uuid.uuid4()),
        owner=account.user_id,
        style=params["style"],
        palette=list(palette),
        created_at=datetime.now(UTC),
        is_private=True if private is None else private,
    )
    sandbox_of(request).styles[record.id] = record
    return JSONResponse({**record.as_style(), "credits": price})


# --- free calls -----------------------------------------------------------------------


@endpoint
async def list_styles(request: Request) -> Response:
    account = authenticate(request)
    styles = [
        s.as_style() for s in sandbox_of(request).styles.values() if s.owner == account.user_id
    ]
    return JSONResponse({"styles": styles})


@endpoint
async def get_style(request: Request) -> Response:
    account = authenticate(request)
    record = find_style(request, account, request.path_params["style_id"])
    return JSONResponse(record.as_style())


@endpoint
async def delete_style(request: Request) -> Response:
    account = authenticate(request)
    record = find_style(request, account, request.path_params["style_id"])
    del sandbox_of(request).styles[record.id]
    return JSONResponse({})


@endpoint
async def users_me(request: Request) -> Response:
    account = authenticate(request)
    return JSONResponse(account.as_user())


@endpoint
async def download(request: Request) -> Response:
    """An image at its signed URL: 403 when the signature is wrong, 410 once expired."""
    image_id = request.path_params["image_id"]
    query = request.query_params
    expires = request.app.state.signer.verify(
        image_id, query.get("expires"), query.get("signature")
    )
    if expires is None:
        raise ApiError(403, "forbidden", "This image link is not validly signed.")
    remaining = expires - time.time()
    if remaining < 0:
        raise ApiError(410, "expired", "This image link has expired; images are kept for a day.")
    image = sandbox_of(request).images.get(image_id)
    if image is None:
        raise errors.not_found("This image is no longer stored.")
    return Response(
        image.data,
        media_type=image.content_type,
        headers={"Cache-Control": f"public, max-age={int(remaining)}, immutable"},
    )


async def ping(request: Request) -> Response:
    """Health check (GET /ping in the spec); needs no token."""
    return JSONResponse({"status": "ok"})

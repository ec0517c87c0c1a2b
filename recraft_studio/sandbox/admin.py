"""The /_sandbox/ admin API: the knobs tests and demos turn while the sandbox runs.

Guarded by the `X-Sandbox-Secret` header; without `--admin-secret` it does not exist
at all (404), so a sandbox exposed to a team cannot be reconfigured by accident.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .api import endpoint, sandbox_of
from .config import parse_latency
from .errors import ApiError, invalid, not_found
from .state import Fault

SECRET_HEADER = "x-sandbox-secret"


def guard(request: Request) -> None:
    secret = request.app.state.admin_secret
    if not secret:
        raise not_found("The admin API is off; start the sandbox with --admin-secret to use it.")
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        raise ApiError(403, "forbidden", "Send the admin secret in the X-Sandbox-Secret header.")


async def json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise invalid("body", "The admin API takes JSON bodies.")


async def object_body(request: Request, shape: str) -> dict[str, Any]:
    """The JSON object a PUT or PATCH sends; `shape` tells what is expected."""
    data = await json_body(request)
    if not isinstance(data, dict):
        raise invalid("body", f"Send a JSON object: {shape}.")
    return data


def _int(data: dict, name: str, *, minimum: int) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise invalid(name, f"{name} must be a whole number of at least {minimum}.")
    return value


@endpoint
async def state(request: Request) -> Response:
    guard(request)
    return JSONResponse(sandbox_of(request).snapshot())


@endpoint
async def config(request: Request) -> Response:
    """PATCH any of `latency` (number, spec string or {endpoint: seconds}),
    `rate_limit` (images per minute, 0 for none) and `url_ttl` (seconds)."""
    guard(request)
    sandbox = sandbox_of(request)
    if request.method == "PATCH":
        data = await object_body(request, "the settings to change")
        if "latency" in data:
            try:
                sandbox.latency = parse_latency(data["latency"])
            except (TypeError, ValueError) as exc:
                raise invalid("latency", str(exc))
        if "rate_limit" in data:
            sandbox.rate.per_minute = _int(data, "rate_limit", minimum=0)
        if "url_ttl" in data:
            sandbox.url_ttl = _int(data, "url_ttl", minimum=1)
    return JSONResponse(
        {
            "latency": sandbox.latency,
            "rate_limit": sandbox.rate.per_minute,
            "url_ttl": sandbox.url_ttl,
        }
    )


@endpoint
async def faults(request: Request) -> Response:
    """GET lists; POST adds one fault; PUT replaces all with a list; DELETE clears."""
    guard(request)
    plan = sandbox_of(request).faults
    if request.method in ("POST", "PUT"):
        data = await json_body(request)
        items = data if isinstance(data, list) else data.get("faults", [data])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise invalid("faults", "Send a fault object, or a list of them.")
        try:
            new = [Fault.from_dict(item) for item in items]
        except ValueError as exc:
            raise invalid("faults", str(exc))
        if request.method == "PUT":
            plan.faults.clear()
        plan.faults.extend(new)
    elif request.method == "DELETE":
        plan.faults.clear()
    return JSONResponse({"faults": [f.as_dict() for f in plan.faults]})


@endpoint
async def credits(request: Request) -> Response:
    """GET every token's balance; PUT {"token", "credits"} sets the balance of its
    account (and adds an unknown token as an account of its own)."""
    guard(request)
    sandbox = sandbox_of(request)
    if request.method == "PUT":
        data = await object_body(request, '{"token": ..., "credits": ...}')
        token = data.get("token")
        if not isinstance(token, str) or not token.strip():
            raise invalid("token", "Name the token whose balance to set.")
        sandbox.set_credits(token.strip(), _int(data, "credits", minimum=0))
    return JSONResponse({"credits": {t: a.credits for t, a in sandbox.accounts.items()}})


@endpoint
async def accounts(request: Request) -> Response:
    """GET the accounts with their tokens; PUT {"token", "account_of"} links a token.

    The linked token (an unknown one is added) then shares the balance, user id, rate
    window and styles of the account `account_of` belongs to.
    """
    guard(request)
    sandbox = sandbox_of(request)
    if request.method == "PUT":
        data = await object_body(request, '{"token": ..., "account_of": ...}')
        token, account_of = data.get("token"), data.get("account_of")
        if not isinstance(token, str) or not token.strip():
            raise invalid("token", "Name the token to link.")
        if not isinstance(account_of, str) or sandbox.account(account_of.strip()) is None:
            raise invalid("account_of", "account_of must be a token the sandbox knows.")
        sandbox.link(token.strip(), account_of.strip())
    return JSONResponse({"accounts": sandbox.accounts_view()})


@endpoint
async def requests(request: Request) -> Response:
    """GET the requests received, oldest first; DELETE forgets them.

    `?path=` is a prefix when it starts with "/", else a last segment; `?limit=` keeps
    the newest entries."""
    guard(request)
    log = sandbox_of(request).log
    if request.method == "DELETE":
        log.entries.clear()
        return JSONResponse({"requests": []})
    limit = request.query_params.get("limit")
    if limit is not None and not limit.isdigit():
        raise invalid("limit", "limit must be a whole number.")
    found = log.find(path=request.query_params.get("path"), limit=int(limit) if limit else None)
    return JSONResponse({"requests": found})


@endpoint
async def reset(request: Request) -> Response:
    """Back to the starting balances and knobs, with no styles, images, faults or log."""
    guard(request)
    sandbox = sandbox_of(request)
    sandbox.reset()
    return JSONResponse(sandbox.snapshot())

"""The sandbox as an ASGI application.

Routes for the API, the image URLs and the admin API, inside a thin outer layer that
does what must happen before any handler runs: record the request, play an injected
fault (an error status, a rate-limit refusal, a dropped connection, a stall), and wait
out the configured latency. A background task sweeps expired images so memory stays bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from recraft_studio.recraft import catalog
from recraft_studio.recraft.catalog import Op

from . import admin, api, errors
from .config import SandboxConfig
from .signing import IMAGE_PATH_PREFIX, UrlSigner
from .state import Fault, SandboxState

logger = logging.getLogger("recraft_studio.sandbox")

API_PREFIX = "/v1"
ADMIN_PREFIX = "/_sandbox/"
_UUID = re.compile(r"^[0-9a-fA-F-]{32,36}$")


def latency_key(path: str) -> str | None:
    """The `--latency` key of a path: its last segment, `download` for image URLs.

    A trailing id counts as its collection (`/v1/styles/<id>` is `styles`).
    """
    if path.startswith(IMAGE_PATH_PREFIX):
        return "download"
    if not path.startswith(API_PREFIX + "/"):
        return None
    segments = [s for s in path.split("/") if s]
    while len(segments) > 1 and _UUID.match(segments[-1]):
        segments.pop()
    return segments[-1]


class SandboxLayer:
    """Record, fault and delay every request except the admin API's own."""

    def __init__(self, app: ASGIApp, sandbox: SandboxState):
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(ADMIN_PREFIX) or path == "/ping":
            await self.app(scope, receive, send)
            return
        entry: dict[str, Any] = {
            "time": time.time(),
            "method": scope["method"],
            "path": path,
            "query": scope.get("query_string", b"").decode("latin-1"),
            "params": {},
            "files": [],
            "status": None,
        }
        self.sandbox.log.add(entry)
        scope["sandbox.entry"] = entry

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry["status"] = message["status"]
            await send(message)

        fault = self.sandbox.faults.take(path)
        if fault is not None:
            entry["fault"] = fault.kind
            if fault.kind == "stall":
                await asyncio.sleep(fault.seconds)
            elif fault.kind == "slow":
                await self.app(scope, receive, _held_back(recording_send, fault.seconds))
                return
            elif fault.kind == "drop":
                entry["status"] = "dropped"
                await _drop_connection(send)  # uvicorn's own send, which knows the socket
                return
            else:
                await _fail(fault, scope, receive, recording_send)
                return
        key = latency_key(path)
        delay = self.sandbox.latency_for(key) if key else 0.0
        if delay:
            await asyncio.sleep(delay)
        await self.app(scope, receive, recording_send)


def _held_back(send: Send, seconds: float) -> Send:
    """A `send` that holds the answer back: the call is made (and charged) at once."""

    async def held(message: Message) -> None:
        if message["type"] == "http.response.start":
            await asyncio.sleep(seconds)
        # The client may have left meanwhile: it paid for an answer it never got.
        with contextlib.suppress(OSError):
            await send(message)

    return held


async def _fail(fault: Fault, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer with the fault's status, shaped like the API's own answer with it.

    A 429 is the sandbox's own rate-limit refusal (same code and headers), with
    `Retry-After` from the fault's seconds; like every injected error it is answered
    before the handler runs, so it charges nothing and takes no rate-limit places.
    """
    status = int(fault.kind)
    if status == 429:
        wait = fault.retry_after
        error = errors.rate_limited(
            f"Too many images this minute (injected fault). Retry in {wait} s.", retry_after=wait
        )
        await error.response()(scope, receive, send)
        return
    code = "internal_error" if status == 500 else "service_unavailable"
    headers = {"Retry-After": "1"} if status == 503 else None
    response = JSONResponse(
        {"code": code, "message": f"Injected fault: the sandbox answers {status}."},
        status_code=status,
        headers=headers,
    )
    await response(scope, receive, send)


async def _drop_connection(send: Send) -> None:
    """Close the socket without answering, as a crashed upstream or proxy would.

    uvicorn's `send` belongs to the connection's request cycle, which holds the
    transport; aborting it makes the client see a reset with no response. Were that
    not reachable, a response that stops after its headers is the next best thing.
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is not None:
        transport.abort()
        await asyncio.sleep(0)  # let the server notice the connection is gone
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"1000")],
        }
    )
    raise ConnectionAbortedError("injected fault: connection dropped")


#: Seconds between sweeps of expired images: a scan of the store is cheap, and a
#: TTL shortened through the admin API then takes effect within a second.
SWEEP_INTERVAL = 1.0


async def _sweep_images(sandbox: SandboxState) -> None:
    while True:
        await asyncio.sleep(SWEEP_INTERVAL)
        removed = sandbox.images.sweep()
        if removed:
            logger.debug("swept %d expired images", removed)


async def _not_found(request: Request, exc: HTTPException) -> JSONResponse:
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "error")
    message = {
        404: f"There is no endpoint at {request.url.path}.",
        405: f"{request.method} is not allowed on {request.url.path}.",
    }.get(exc.status_code, str(exc.detail))
    return JSONResponse({"code": code, "message": message}, status_code=exc.status_code)


def create_app(config: SandboxConfig) -> ASGIApp:
    """The sandbox for `config`, with its port already known."""
    sandbox = SandboxState(config)
    post = ["POST"]
    routes = [
        Route(API_PREFIX + catalog.OPERATIONS[op].path, api.operation_handler(op), methods=post)
        for op in Op
        if op is not Op.CREATE_STYLE
    ]
    routes += [
        Route(f"{API_PREFIX}/styles", api.create_style, methods=post),
        Route(f"{API_PREFIX}/styles", api.list_styles, methods=["GET"]),
        Route(f"{API_PREFIX}/styles/{{style_id}}", api.get_style, methods=["GET"]),
        Route(f"{API_PREFIX}/styles/{{style_id}}", api.delete_style, methods=["DELETE"]),
        Route(f"{API_PREFIX}/users/me", api.users_me, methods=["GET"]),
        Route(IMAGE_PATH_PREFIX + "{image_id}", api.download, methods=["GET"]),
        Route("/ping", api.ping, methods=["GET"]),
        Route(ADMIN_PREFIX + "state", admin.state, methods=["GET"]),
        Route(ADMIN_PREFIX + "config", admin.config, methods=["GET", "PATCH"]),
        Route(ADMIN_PREFIX + "faults", admin.faults, methods=["GET", "POST", "PUT", "DELETE"]),
        Route(ADMIN_PREFIX + "credits", admin.credits, methods=["GET", "PUT"]),
        Route(ADMIN_PREFIX + "accounts", admin.accounts, methods=["GET", "PUT"]),
        Route(ADMIN_PREFIX + "requests", admin.requests, methods=["GET", "DELETE"]),
        Route(ADMIN_PREFIX + "reset", admin.reset, methods=["POST"]),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        sweeper = asyncio.create_task(_sweep_images(sandbox))
        try:
            yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: _not_found, 405: _not_found},
    )
    app.state.sandbox = sandbox
    app.state.signer = UrlSigner()
    app.state.public_url = config.base_public_url
    app.state.admin_secret = config.admin_secret
    return SandboxLayer(app, sandbox)

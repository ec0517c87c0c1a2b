"""Run the sandbox under uvicorn and say where it listens once it does.

The socket is bound before the application is built, so `--port 0` works: the
kernel picks a free port, image URLs use it, and the ready line reports it. That
line is printed only after uvicorn has started serving, so whoever waits for it
(the process helper, a CI script) can call the sandbox straight away.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sys

import uvicorn

from .app import create_app
from .config import SandboxConfig

READY_PREFIX = "Recraft sandbox ready at "


def bind(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    return sock


async def serve(config: SandboxConfig) -> None:
    sock = bind(config.host, config.port)
    config = config.with_port(sock.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config),
            log_level="warning",
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=2,
        )
    )
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not serving.done():
        await asyncio.sleep(0.02)
    if server.started:
        admin = "on" if config.admin_secret else "off"
        print(
            f"{READY_PREFIX}{config.base_public_url}/v1 "
            f"({len(config.all_tokens)} token(s), admin API {admin})",
            flush=True,
        )
    await serving


def run(config: SandboxConfig) -> None:
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(serve(config))

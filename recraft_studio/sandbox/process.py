"""Start a sandbox as a subprocess, for integration tests and benchmarks.

    with SandboxProcess(credits=500) as sandbox:
        client = OpenAI(base_url=sandbox.base_url, api_key=sandbox.token)
        ...
        sandbox.set_faults("503", count=2, path="generations")
        assert sandbox.requests(path="/v1/images/generations")[-1]["params"]["n"] == 2

The sandbox runs in its own process, as it would in docker-compose, on a port the
kernel picks (`--port 0`); `start` returns once the sandbox has said it is ready and
answers. An admin secret is generated unless one is given, so the admin helpers
always work.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Self

import httpx

from .config import DEFAULT_TOKEN
from .server import READY_PREFIX

_READY = re.compile(re.escape(READY_PREFIX) + r"(\S+)/v1\b")


class SandboxError(RuntimeError):
    """The sandbox did not start, or an admin call was refused."""


class SandboxProcess:
    """One sandbox subprocess with the given knobs; see the module docstring."""

    def __init__(
        self,
        *,
        tokens: Sequence[str] = (DEFAULT_TOKEN,),
        accounts: Mapping[str, Sequence[str]] | None = None,
        credits: int | None = None,
        rate_limit: int | None = None,
        latency: str | float | Mapping[str, float] | None = None,
        url_ttl: int | None = None,
        admin_secret: str | None = None,
        public_url: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        env: Mapping[str, str] | None = None,
        startup_timeout: float = 30.0,
    ):
        self.accounts_given = {name: tuple(ts) for name, ts in (accounts or {}).items()}
        grouped = [token for ts in self.accounts_given.values() for token in ts]
        #: Every token the sandbox accepts: those alone first, then those of accounts.
        self.tokens = tuple(dict.fromkeys((*tokens, *grouped)))
        self.admin_secret = admin_secret or secrets.token_urlsafe(16)
        self.startup_timeout = startup_timeout
        options: dict[str, object] = {
            "host": host,
            "port": port,
            "admin-secret": self.admin_secret,
            "credits": credits,
            "rate-limit": rate_limit,
            "latency": None if latency is None else _latency_spec(latency),
            "url-ttl": url_ttl,
            "public-url": public_url,
        }
        # --name=value, so a value starting with "-" (a random secret may) is not
        # mistaken for an option.
        self._args = [f"--{name}={value}" for name, value in options.items() if value is not None]
        self._args += [f"--token={token}" for token in tokens]
        self._args += [
            f"--account={name}={','.join(ts)}" for name, ts in self.accounts_given.items()
        ]
        self._env = {**os.environ, **(env or {})}
        self._process: subprocess.Popen | None = None
        self._log: Any = None
        self._admin: httpx.Client | None = None
        self.url = ""

    # --- lifecycle --------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What an API client takes as its base URL, ending in /v1."""
        return f"{self.url}/v1"

    @property
    def token(self) -> str:
        """The first token, for tests that need only one."""
        return self.tokens[0]

    def start(self) -> Self:
        # The log goes to a file, not a pipe nobody reads, which could fill and block.
        self._log = tempfile.NamedTemporaryFile(prefix="recraft-sandbox-", suffix=".log")  # noqa: SIM115 - lives as long as the process
        self._process = subprocess.Popen(
            [sys.executable, "-m", "recraft_studio.sandbox", *self._args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=self._env,
        )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            match = _READY.search(self.output())
            if match:
                self.url = match.group(1)
                break
            if self._process.poll() is not None:
                raise SandboxError(f"The sandbox exited while starting:\n{self.output()}")
            time.sleep(0.05)
        else:
            self.stop()
            raise SandboxError(f"The sandbox did not start in {self.startup_timeout} s.")
        self._admin = httpx.Client(
            base_url=f"{self.url}/_sandbox",
            headers={"X-Sandbox-Secret": self.admin_secret},
            timeout=30.0,
        )
        httpx.get(f"{self.url}/ping", timeout=5.0).raise_for_status()
        return self

    def output(self) -> str:
        """Everything the sandbox printed so far (its ready line and any errors)."""
        if self._log is None:
            return ""
        return Path(self._log.name).read_text(errors="replace")

    def stop(self) -> None:
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- admin helpers ----------------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        if self._admin is None:
            raise SandboxError("The sandbox is not running.")
        response = self._admin.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise SandboxError(f"{method} /_sandbox/{path}: {response.status_code} {response.text}")
        return response.json()

    def state(self) -> dict[str, Any]:
        """Knobs in force, balances, pending faults and what is stored."""
        return self._call("GET", "state")

    def set_faults(
        self,
        kind: str | int,
        *,
        count: int = 1,
        path: str | None = None,
        seconds: float | None = None,
    ) -> list[dict[str, Any]]:
        """Make the next `count` requests (matching `path`) fail, replacing other faults.

        `kind` is 500 or 503 (that status), 429 (the rate-limit refusal, `Retry-After`
        of `seconds` rounded up, default 1), "drop" (close the connection without an
        answer) or "stall" (wait `seconds`, then answer normally). Only a stall lets
        the call through to be charged and counted against the rate limit. `path` is a path
        prefix such as "/v1/images/" or a last segment such as "generations".
        """
        fault = {"kind": str(kind), "count": count, "path": path, "seconds": seconds or 0}
        return self._call("PUT", "faults", json=[fault])["faults"]

    def add_fault(
        self,
        kind: str | int,
        *,
        count: int = 1,
        path: str | None = None,
        seconds: float | None = None,
    ) -> list[dict[str, Any]]:
        """Like `set_faults`, but after the faults already waiting (they come first)."""
        fault = {"kind": str(kind), "count": count, "path": path, "seconds": seconds or 0}
        return self._call("POST", "faults", json=fault)["faults"]

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def requests(self, path: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """What the sandbox received, oldest first: method, path, params, files, status."""
        query = {k: v for k, v in {"path": path, "limit": limit}.items() if v is not None}
        return self._call("GET", "requests", params=query)["requests"]

    def clear_requests(self) -> None:
        self._call("DELETE", "requests")

    def set_credits(self, token: str, credits: int) -> None:
        """Set the balance of a token's account; an unknown token becomes a new user."""
        self._call("PUT", "credits", json={"token": token, "credits": credits})

    def credits(self, token: str | None = None) -> int:
        return self._call("GET", "credits")["credits"][token or self.token]

    def link_token(self, token: str, account_of: str) -> list[dict[str, Any]]:
        """Make `token` (an unknown one is added) share the account of `account_of`:
        its balance, user id, rate-limit window and styles."""
        return self._call("PUT", "accounts", json={"token": token, "account_of": account_of})[
            "accounts"
        ]

    def accounts(self) -> list[dict[str, Any]]:
        """Each account: name, user_id, tokens, credits, images_used_this_minute."""
        return self._call("GET", "accounts")["accounts"]

    def set_rate_limit(self, images_per_minute: int) -> None:
        """Images per minute per account; 0 switches the limit off."""
        self._call("PATCH", "config", json={"rate_limit": images_per_minute})

    def set_latency(self, latency: str | float | Mapping[str, float]) -> None:
        """Seconds added to calls: one number, or seconds by endpoint name."""
        self._call("PATCH", "config", json={"latency": latency})

    def set_url_ttl(self, seconds: int) -> None:
        """Lifetime of image URLs handed out from now on."""
        self._call("PATCH", "config", json={"url_ttl": seconds})

    def reset(self) -> None:
        """Back to the starting balances and knobs, with nothing stored or pending."""
        self._call("POST", "reset")


def _latency_spec(latency: str | float | Mapping[str, float]) -> str:
    if isinstance(latency, Mapping):
        return ",".join(f"{key}={value}" for key, value in latency.items())
    return str(latency)

"""Everything the sandbox remembers between calls, in memory.

All of it is touched only from the event loop (heavy image work runs in threads but
hands its results back to the loop), so a check and the change it guards, such as
"has the balance enough?" and "take the units", happen with no await in between and
need no locks.
"""

from __future__ import annotations

import math
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .config import SandboxConfig

#: How many received requests `GET /_sandbox/requests` can show.
REQUEST_LOG_SIZE = 1000
RATE_WINDOW_SECONDS = 60.0

FAULT_KINDS = ("500", "503", "429", "drop", "stall", "slow")


# --- accounts and credits -------------------------------------------------------------


@dataclass
class Account:
    """One user of the API: a balance, an id and a rate-limit window.

    The API's limit and balance belong to the user, not the token, so every token of
    an account draws on them alike. By default each token is an account of its own,
    named after it; `--account NAME=T1,T2` or the admin API gather several.
    """

    name: str
    number: int
    credits: int
    tokens: list[str] = field(default_factory=list)
    #: Made by `--account`: its id comes from its name, not from a token.
    named: bool = False

    @property
    def user_id(self) -> str:
        # Stable across restarts, so a test can compare it; a token's own account keeps
        # the id it has always had.
        seed = f"account:{self.name}" if self.named else self.name
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"recraft-sandbox:{seed}"))

    def as_user(self) -> dict[str, Any]:
        """The `/users/me` body (User in the spec)."""
        return {
            "id": self.user_id,
            "credits": self.credits,
            "email": f"sandbox-user-{self.number}@example.com",
            "name": f"Sandbox User {self.number}",
        }


# --- the per-minute image limit -------------------------------------------------------


class RateLimiter:
    """Images per account in a sliding 60-second window (Policies: 100 a minute).

    Keyed by whatever the caller passes; the sandbox passes the account's user id,
    so all tokens of one account share one window.

    Every output image counts, so a call for n images takes n places; a call that
    would overflow the window is refused whole, with the wait until it would fit.
    """

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._windows: dict[str, deque[float]] = {}

    def _window(self, token: str, now: float) -> deque[float]:
        window = self._windows.setdefault(token, deque())
        while window and window[0] <= now - RATE_WINDOW_SECONDS:
            window.popleft()
        return window

    def retry_after(self, token: str, images: int, now: float | None = None) -> int | None:
        """Seconds to wait before `images` more fit, or None when they fit now."""
        if self.per_minute <= 0 or images <= 0:
            return None
        now = time.monotonic() if now is None else now
        window = self._window(token, now)
        overflow = len(window) + images - self.per_minute
        if overflow <= 0:
            return None
        if images > self.per_minute:
            # Never fits; waiting a whole window is the honest answer.
            return math.ceil(RATE_WINDOW_SECONDS)
        freed_at = window[overflow - 1] + RATE_WINDOW_SECONDS
        return max(1, math.ceil(freed_at - now))

    def used(self, token: str, now: float | None = None) -> int:
        now = time.monotonic() if now is None else now
        return len(self._window(token, now))

    def take(self, token: str, images: int, now: float | None = None) -> list[float]:
        now = time.monotonic() if now is None else now
        stamps = [now] * images
        self._window(token, now).extend(stamps)
        return stamps

    def give_back(self, token: str, images: int) -> None:
        """Undo `take` for a call that failed after it was admitted."""
        window = self._windows.get(token)
        for _ in range(min(images, len(window or ()))):
            window.pop()

    def clear(self) -> None:
        self._windows.clear()


# --- stored images --------------------------------------------------------------------


@dataclass
class StoredImage:
    data: bytes
    content_type: str
    expires_at: float


class ImageStore:
    """Output images by id until their URL expires, within a memory budget.

    Expired images are dropped by `sweep`, which the server runs periodically; the
    oldest images also go first when the budget is exceeded, so a long run with the
    API's 24-hour lifetime stays bounded.
    """

    def __init__(self, limit_bytes: int):
        self.limit_bytes = limit_bytes
        self._images: OrderedDict[str, StoredImage] = OrderedDict()
        self.bytes = 0

    def put(self, data: bytes, content_type: str, expires_at: float) -> str:
        image_id = str(uuid.uuid4())
        self._images[image_id] = StoredImage(data, content_type, expires_at)
        self.bytes += len(data)
        while self.bytes > self.limit_bytes and len(self._images) > 1:
            self._drop(next(iter(self._images)))
        return image_id

    def get(self, image_id: str) -> StoredImage | None:
        return self._images.get(image_id)

    def _drop(self, image_id: str) -> None:
        image = self._images.pop(image_id)
        self.bytes -= len(image.data)

    def sweep(self, now: float | None = None) -> int:
        """Drop every expired image; return how many went."""
        now = time.time() if now is None else now
        expired = [i for i, image in self._images.items() if image.expires_at < now]
        for image_id in expired:
            self._drop(image_id)
        return len(expired)

    def clear(self) -> None:
        self._images.clear()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._images)


# --- custom styles --------------------------------------------------------------------


@dataclass
class StyleRecord:
    """A style created from reference images; its palette steers later generations."""

    id: str
    owner: str
    style: str
    palette: list[tuple[int, int, int]]
    created_at: datetime
    is_private: bool = True

    def as_style(self) -> dict[str, Any]:
        """The Style object of the spec."""
        return {
            "id": self.id,
            "style": self.style,
            "creation_time": self.created_at.isoformat().replace("+00:00", "Z"),
            "is_private": self.is_private,
        }


# --- injected faults ------------------------------------------------------------------


def path_matches(pattern: str | None, path: str) -> bool:
    """How faults and the request log pick requests: a pattern starting with "/" is a
    path prefix; any other is the last segment (`generations`)."""
    if not pattern:
        return True
    if pattern.startswith("/"):
        return path.startswith(pattern)
    return path.rstrip("/").rsplit("/", 1)[-1] == pattern


@dataclass
class Fault:
    """Make the next `count` matching requests fail in one way.

    `kind` is "500" or "503" (that status), "429" (the rate-limit refusal, with
    `Retry-After` of `seconds`, at least 1), "drop" (the connection closed with no
    answer), "stall" (`seconds` of waiting, then the call as usual) or "slow" (the
    call handled and charged at once, its answer held back `seconds`: a client that
    gives up or dies meanwhile has paid for an answer it never got). The others
    answer before the call is handled: nothing is charged and no rate-limit place
    is taken. `path` limits the fault to some requests: a value starting with
    "/" matches paths that start with it (`/v1/images/` covers every image endpoint,
    `/images/` the image URLs); any other value matches the last segment
    (`generations`).
    """

    kind: str
    count: int = 1
    path: str | None = None
    seconds: float = 0.0

    def matches(self, path: str) -> bool:
        return path_matches(self.path, path)

    @property
    def retry_after(self) -> int:
        """Whole seconds for a 429's `Retry-After`: `seconds` rounded up, at least 1."""
        return max(1, math.ceil(self.seconds))

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "count": self.count, "path": self.path, "seconds": self.seconds}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        """Read a fault as the admin API receives it; raise ValueError when unusable."""
        kind = str(data.get("kind", data.get("status", "")))
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}; got {kind!r}")
        count = data.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ValueError("count must be a whole number of requests, at least 1")
        seconds = data.get("seconds", 0.0) or 0.0
        if not isinstance(seconds, int | float) or seconds < 0:
            raise ValueError("seconds must be zero or more")
        if kind in ("stall", "slow") and not seconds:
            raise ValueError(f"a {kind} fault needs seconds")
        path = data.get("path") or None
        if path is not None and not isinstance(path, str):
            raise ValueError("path must be text")
        return cls(kind=kind, count=count, path=path, seconds=float(seconds))


class FaultPlan:
    """Faults waiting to happen, consumed in order by the requests they match."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def take(self, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(path):
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
        return None


# --- what the sandbox received --------------------------------------------------------


class RequestLog:
    """The last requests, newest last, for tests that check what the studio sent."""

    def __init__(self, size: int = REQUEST_LOG_SIZE):
        self.entries: deque[dict[str, Any]] = deque(maxlen=size)

    def add(self, entry: dict[str, Any]) -> None:
        self.entries.append(entry)

    def find(self, *, path: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        entries = [e for e in self.entries if path_matches(path, e["path"])]
        return entries[-limit:] if limit else entries


# --- all of it ------------------------------------------------------------------------


@dataclass
class SandboxState:
    """The knobs in force and everything stored, with a way back to the start."""

    config: SandboxConfig
    accounts: dict[str, Account] = field(default_factory=dict)
    styles: dict[str, StyleRecord] = field(default_factory=dict)
    faults: FaultPlan = field(default_factory=FaultPlan)
    log: RequestLog = field(default_factory=RequestLog)
    latency: dict[str, float] = field(default_factory=dict)
    url_ttl: int = 0
    accounts_made: int = 0
    rate: RateLimiter = field(init=False)
    images: ImageStore = field(init=False)

    def __post_init__(self) -> None:
        self.rate = RateLimiter(self.config.rate_limit)
        self.images = ImageStore(self.config.store_limit_mb * 1024 * 1024)
        self.reset()

    def reset(self) -> None:
        """Back to how the process started: balances, knobs, and nothing stored."""
        self.accounts = {}
        self.accounts_made = 0
        grouped = {token: name for name, tokens in self.config.accounts for token in tokens}
        named: dict[str, Account] = {}
        for token in self.config.all_tokens:
            name = grouped.get(token)
            if name is None:
                self._new_account(token)
                continue
            if name not in named:
                named[name] = self._new_account(token, name=name)
            else:
                named[name].tokens.append(token)
                self.accounts[token] = named[name]
        self.styles.clear()
        self.faults.faults.clear()
        self.log.entries.clear()
        self.latency = dict(self.config.latency)
        self.url_ttl = self.config.url_ttl
        self.rate.per_minute = self.config.rate_limit
        self.rate.clear()
        self.images.clear()

    def _new_account(self, token: str, *, name: str | None = None) -> Account:
        self.accounts_made += 1
        account = Account(
            name or token, self.accounts_made, self.config.credits, [token], named=bool(name)
        )
        self.accounts[token] = account
        return account

    def all_accounts(self) -> list[Account]:
        """Each account once, in the order they were made."""
        return list({id(a): a for a in self.accounts.values()}.values())

    def account(self, token: str) -> Account | None:
        return self.accounts.get(token)

    def set_credits(self, token: str, credits: int) -> Account:
        """Set the balance of a token's account; an unknown token becomes a new account,
        so tests can add users."""
        account = self.accounts.get(token)
        if account is None:
            account = self._new_account(token)
        account.credits = credits
        return account

    def link(self, token: str, account_of: str) -> Account:
        """Make `token` one more token of the account `account_of` belongs to.

        An unknown `token` is added; a known one leaves its old account (which keeps
        its balance, window and styles for its other tokens, if any). Raises KeyError
        when `account_of` is not a token the sandbox knows.
        """
        account = self.accounts[account_of]
        old = self.accounts.get(token)
        if old is account:
            return account
        if old is not None:
            old.tokens.remove(token)
        account.tokens.append(token)
        self.accounts[token] = account
        return account

    def latency_for(self, key: str) -> float:
        if key in self.latency:
            return self.latency[key]
        if key == "download":
            return 0.0
        return self.latency.get("default", 0.0)

    def store_image(self, data: bytes, content_type: str) -> tuple[str, float]:
        expires_at = time.time() + self.url_ttl
        return self.images.put(data, content_type, expires_at), expires_at

    def accounts_view(self) -> list[dict[str, Any]]:
        """Each account with its tokens, as the admin API shows them."""
        return [
            {
                "name": a.name,
                "user_id": a.user_id,
                "tokens": list(a.tokens),
                "credits": a.credits,
                "images_used_this_minute": self.rate.used(a.user_id),
            }
            for a in self.all_accounts()
        ]

    def snapshot(self) -> dict[str, Any]:
        """What `GET /_sandbox/state` shows."""
        return {
            "latency": self.latency,
            "rate_limit": self.rate.per_minute,
            "url_ttl": self.url_ttl,
            "credits": {t: a.credits for t, a in self.accounts.items()},
            "images_used_this_minute": {
                t: self.rate.used(a.user_id) for t, a in self.accounts.items()
            },
            "accounts": self.accounts_view(),
            "faults": [f.as_dict() for f in self.faults.faults],
            "stored_images": len(self.images),
            "stored_bytes": self.images.bytes,
            "styles": len(self.styles),
            "requests_logged": len(self.log.entries),
        }

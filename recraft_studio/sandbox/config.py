"""The sandbox's knobs: read once from the command line or the environment.

Every option has an environment variable so docker-compose can set it, and every
default that mirrors the real API (rate limit, image lifetime) comes from the
catalog, so the sandbox is as strict as the API unless someone asks otherwise.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from recraft_studio.recraft import catalog

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_TOKEN = "sandbox-token"
DEFAULT_CREDITS = 100_000
#: Stored images are dropped oldest-first above this, whatever their TTL, so a long
#: load test with the API's 24-hour TTL cannot exhaust the machine's memory.
DEFAULT_STORE_LIMIT_MB = 512

#: The latency key that applies to every API endpoint without a key of its own.
DEFAULT_LATENCY_KEY = "default"


def parse_latency(spec: str | float | int | Mapping[str, float] | None) -> dict[str, float]:
    """`"0.2"` or `"generations=0.5,vectorize=0.2,default=0.05"` → seconds by endpoint.

    Keys are the last path segment of an endpoint (`generations`, `vectorize`, `me`,
    `styles`), `download` for image URLs, and `default` for the rest of the API.
    Raises ValueError naming the part that could not be read.
    """
    if spec is None or spec == "":
        return {}
    if isinstance(spec, Mapping):
        pairs = list(spec.items())
    elif isinstance(spec, int | float):
        pairs = [(DEFAULT_LATENCY_KEY, spec)]
    else:
        pairs = []
        for part in str(spec).split(","):
            part = part.strip()
            if not part:
                continue
            key, sep, value = part.partition("=")
            pairs.append((key.strip(), value) if sep else (DEFAULT_LATENCY_KEY, key))
    latency: dict[str, float] = {}
    for key, value in pairs:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"latency for {key!r} is not a number of seconds: {value!r}")
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"latency for {key!r} must be zero or more seconds: {value!r}")
        if not key:
            raise ValueError("a latency needs an endpoint name before '='")
        latency[str(key)] = seconds
    return latency


Accounts = tuple[tuple[str, tuple[str, ...]], ...]


def parse_accounts(spec: str | Sequence[str] | None) -> Accounts:
    """`"team=a,b;ops=c,d"` (or ["team=a,b", "ops=c,d"]) → accounts with their tokens.

    Raises ValueError naming the part that could not be read: a part without "=",
    an empty name or token list, a name or a token given twice.
    """
    if not spec:
        return ()
    parts = spec.split(";") if isinstance(spec, str) else list(spec)
    accounts: dict[str, tuple[str, ...]] = {}
    seen: dict[str, str] = {}
    for part in parts:
        part = part.strip()
        if not part:
            continue
        name, sep, listed = part.partition("=")
        name = name.strip()
        tokens = tuple(dict.fromkeys(t.strip() for t in listed.split(",") if t.strip()))
        if not sep or not name or not tokens:
            raise ValueError(f"an account is NAME=TOKEN,TOKEN…; got {part!r}")
        if name in accounts:
            raise ValueError(f"the account {name!r} is given twice")
        for token in tokens:
            if token in seen:
                raise ValueError(f"the token {token!r} is in both {seen[token]!r} and {name!r}")
            seen[token] = name
        accounts[name] = tokens
    return tuple(accounts.items())


@dataclass(frozen=True)
class SandboxConfig:
    """How one sandbox process starts; the admin API can change some of it later."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    tokens: tuple[str, ...] = (DEFAULT_TOKEN,)
    #: Accounts of several tokens, which share one balance, user id and rate window;
    #: every other token is an account of its own.
    accounts: Accounts = ()
    credits: int = DEFAULT_CREDITS
    rate_limit: int = catalog.RATE_LIMIT_PER_MINUTE
    latency: dict[str, float] = field(default_factory=dict)
    url_ttl: int = catalog.IMAGE_TTL_SECONDS
    admin_secret: str | None = None
    public_url: str | None = None
    store_limit_mb: int = DEFAULT_STORE_LIMIT_MB

    @property
    def all_tokens(self) -> tuple[str, ...]:
        """Every token accepted: those given alone, then those of accounts."""
        grouped = (token for _, tokens in self.accounts for token in tokens)
        return tuple(dict.fromkeys((*self.tokens, *grouped)))

    def with_port(self, port: int) -> SandboxConfig:
        """The same configuration once the real port is known (`--port 0`)."""
        return replace(self, port=port)

    @property
    def base_public_url(self) -> str:
        """Where clients reach the sandbox; image URLs start with it."""
        if self.public_url:
            return self.public_url.rstrip("/")
        # A wildcard bind is not an address a client can use.
        wildcards = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104
        host = wildcards.get(self.host, self.host)
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.port}"


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number")
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value!r} must not be negative")
    return number


def _ttl(value: str) -> int:
    number = _positive_int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("the URL TTL is at least 1 second")
    return number


def _account(value: str) -> Accounts:
    try:
        return parse_accounts([value])
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc))


def _latency(value: str) -> dict[str, float]:
    try:
        return parse_latency(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc))


def build_parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m recraft_studio.sandbox",
        description="A local HTTP server that speaks the Recraft API, for development, "
        "tests, demos and load tests.",
    )

    def env_default(name: str, fallback: object) -> str:
        # argparse runs a string default through the option's `type`, so a bad
        # environment value is reported like a bad command-line value.
        value = env.get(name)
        return value if value not in (None, "") else str(fallback)

    parser.add_argument("--host", default=env_default("SANDBOX_HOST", DEFAULT_HOST))
    parser.add_argument(
        "--port",
        type=int,
        default=env_default("SANDBOX_PORT", DEFAULT_PORT),
        help="0 picks a free port; the ready line says which (env SANDBOX_PORT)",
    )
    parser.add_argument(
        "--token",
        dest="tokens",
        action="append",
        help=f"an API token to accept, an account of its own (repeatable; default "
        f"{DEFAULT_TOKEN!r} when no --token or --account is given; env SANDBOX_TOKENS, "
        "comma-separated)",
    )
    parser.add_argument(
        "--account",
        dest="accounts",
        action="append",
        type=_account,
        metavar="NAME=TOKEN,TOKEN",
        help="tokens of one account, sharing its balance, user id and rate limit "
        "(repeatable; env SANDBOX_ACCOUNTS, e.g. 'team=a,b;ops=c')",
    )
    parser.add_argument(
        "--credits",
        type=_positive_int,
        default=env_default("SANDBOX_CREDITS", DEFAULT_CREDITS),
        help="starting balance of each token, in API units (env SANDBOX_CREDITS)",
    )
    parser.add_argument(
        "--rate-limit",
        type=_positive_int,
        default=env_default("SANDBOX_RATE_LIMIT", catalog.RATE_LIMIT_PER_MINUTE),
        help="images per minute per account, sliding 60-second window (env SANDBOX_RATE_LIMIT)",
    )
    parser.add_argument(
        "--latency",
        type=_latency,
        default=env_default("SANDBOX_LATENCY", ""),
        help="seconds added to each call: one number, or e.g. "
        "'generations=0.5,vectorize=0.2,default=0.05' (env SANDBOX_LATENCY)",
    )
    parser.add_argument(
        "--url-ttl",
        type=_ttl,
        default=env_default("SANDBOX_URL_TTL", catalog.IMAGE_TTL_SECONDS),
        help="seconds an image URL stays valid (env SANDBOX_URL_TTL)",
    )
    parser.add_argument(
        "--admin-secret",
        default=env.get("SANDBOX_ADMIN_SECRET") or None,
        help="enables the /_sandbox/ admin API, guarded by the X-Sandbox-Secret header "
        "(env SANDBOX_ADMIN_SECRET)",
    )
    parser.add_argument(
        "--public-url",
        default=env.get("SANDBOX_PUBLIC_URL") or None,
        help="base of image URLs, default http://HOST:PORT (env SANDBOX_PUBLIC_URL)",
    )
    parser.add_argument(
        "--store-limit-mb",
        type=_positive_int,
        default=env_default("SANDBOX_STORE_LIMIT_MB", DEFAULT_STORE_LIMIT_MB),
        help="memory for stored images; the oldest go first above it (env SANDBOX_STORE_LIMIT_MB)",
    )
    return parser


def config_from_argv(
    argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None
) -> SandboxConfig:
    """Options from `argv`, falling back to SANDBOX_* variables, then to defaults."""
    env = os.environ if env is None else env
    args = build_parser(env).parse_args(argv)
    tokens = args.tokens
    if not tokens:
        tokens = [t.strip() for t in env.get("SANDBOX_TOKENS", "").split(",") if t.strip()]
    # Each --account was read alone; read them together to catch a token in two.
    given = [f"{name}={','.join(ts)}" for each in args.accounts or () for name, ts in each]
    source = "argument --account" if given else "SANDBOX_ACCOUNTS"
    try:
        accounts = parse_accounts(given or env.get("SANDBOX_ACCOUNTS", ""))
    except ValueError as exc:
        build_parser(env).error(f"{source}: {exc}")
    if not tokens and not accounts:
        tokens = [DEFAULT_TOKEN]
    return SandboxConfig(
        host=args.host,
        port=args.port,
        tokens=tuple(dict.fromkeys(tokens)),
        accounts=accounts,
        credits=args.credits,
        rate_limit=args.rate_limit,
        latency=args.latency,
        url_ttl=args.url_ttl,
        admin_secret=args.admin_secret or None,
        public_url=args.public_url or None,
        store_limit_mb=args.store_limit_mb,
    )

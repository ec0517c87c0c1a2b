"""Reconciling the studio's record of charges with the account's balance.

The API has no idempotency key, so a call whose answer never arrived may or may not
have been charged; the studio records it as a *possible* charge and re-sends it once.
The balance `/users/me` reports tells which: every so often (and when an owner asks)
the balance is read and kept (`BalanceCheck`); between two readings, the balance
should have fallen by exactly the charges the studio recorded for calls sent in
between, plus whichever possible charges the API did make. A period that does not
add up is shown to owners with the calls that could explain it.

The balance is read just before the calls that follow it are sent, and a call counts
in the period it was *sent* in: the API charges when a call arrives, not when it
answers.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Sum
from django.utils import timezone

from recraft_studio.recraft.errors import RecraftAuthError, RecraftError
from recraft_studio.workspaces.models import Workspace

from .accounts import (
    Credentials,
    account_cached,
    account_of,
    client_for,
    credentials_for,
    redis_client,
)
from .models import ApiCall, BalanceCheck, CallState

logger = logging.getLogger(__name__)


#: Why the last reading of these credentials' balance failed (for the account panel).
FAILED = "studio:balance-failed:{}"


def _failed(credentials: Credentials, message: str) -> None:
    payload = {"at": timezone.now().timestamp(), "message": message}
    redis_client().set(FAILED.format(credentials.key), json.dumps(payload), ex=3600)


def last_failure(credentials: Credentials) -> dict | None:
    raw = redis_client().get(FAILED.format(credentials.key))
    return json.loads(raw) if raw else None


def balance_check(credentials: Credentials) -> BalanceCheck | None:
    """Read the account's balance and keep it beside what was in flight meanwhile.

    When it cannot be read, says why (for the account panel) and returns None."""
    account = account_of(credentials)
    if account.startswith("credentials:"):
        _failed(credentials, "The Recraft API could not be asked whose token this is.")
        return None
    at = timezone.now()
    try:
        me = client_for(credentials).me()
    except RecraftAuthError as exc:
        _failed(credentials, f"The Recraft API did not accept the token: {exc.message}")
        return None
    except RecraftError as exc:
        logger.warning("Could not read the balance of account %s: %s", account, exc)
        _failed(credentials, "The Recraft API could not be reached, so the balance is unknown.")
        return None
    redis_client().delete(FAILED.format(credentials.key))
    in_flight = ApiCall.objects.filter(account=account, state=CallState.IN_FLIGHT).count()
    check = BalanceCheck.objects.create(account=account, balance=int(me.get("credits") or 0))
    BalanceCheck.objects.filter(pk=check.pk).update(checked_at=at, in_flight=in_flight)
    check.refresh_from_db()
    return check


def balances_check() -> int:
    """Read the balance of every account that workspaces used in the last week."""
    since = timezone.now() - timedelta(days=7)
    seen: set[str] = set()
    checked = 0
    for workspace in Workspace.objects.filter(jobs__created_at__gte=since).distinct():
        credentials = credentials_for(workspace)
        if credentials.key in seen:
            continue
        seen.add(credentials.key)
        if balance_check(credentials) is not None:
            checked += 1
    return checked


def balance_check_workspace(*, workspace_id: int) -> BalanceCheck | None:
    return balance_check(credentials_for(Workspace.objects.get(pk=workspace_id)))


def latest_balance(workspace) -> BalanceCheck | None:
    """The last balance read for the workspace's account, without asking the API."""
    account = account_cached(credentials_for(workspace))
    if account is None:
        return None
    return BalanceCheck.objects.filter(account=account).first()


@dataclass
class Period:
    """Two balance readings and what happened between them."""

    start: datetime
    end: datetime
    balance_change: int  # how much the balance fell (negative: it grew)
    recorded: int  # charges the API reported for calls sent in between
    possible: int  # what interrupted calls sent in between may have cost
    interrupted: list[ApiCall] = field(default_factory=list)
    uncertain: bool = False  # calls were in flight at a reading

    @property
    def difference(self) -> int:
        """What the recorded charges do not explain."""
        return self.balance_change - self.recorded

    @property
    def verdict(self) -> str:
        d = self.difference
        if d == 0:
            if self.possible:
                return "agrees: the interrupted calls were not charged"
            return "agrees"
        if d < 0 and self.balance_change < 0:
            return "the balance grew (units were added)"
        if 0 < d <= self.possible:
            if d == self.possible:
                return "explained: the interrupted calls were charged"
            return "explained: some interrupted calls were charged"
        return "unexplained"

    @property
    def explained(self) -> bool:
        return not self.verdict.startswith("unexplained")


def reconciliation(*, account: str, limit: int = 20) -> list[Period]:
    """The latest periods between balance readings of `account`, newest first."""
    checks = list(BalanceCheck.objects.filter(account=account).order_by("-checked_at")[: limit + 1])
    checks.reverse()
    periods = []
    for start, end in zip(checks, checks[1:], strict=False):
        calls = ApiCall.objects.filter(
            account=account, sent_at__gte=start.checked_at, sent_at__lt=end.checked_at
        )
        recorded = calls.filter(state=CallState.ANSWERED).aggregate(units=Sum("credits"))["units"]
        interrupted = list(calls.filter(state=CallState.INTERRUPTED).select_related("job"))
        periods.append(
            Period(
                start=start.checked_at,
                end=end.checked_at,
                balance_change=start.balance - end.balance,
                recorded=recorded or 0,
                possible=sum(c.possible_units for c in interrupted),
                interrupted=interrupted,
                uncertain=bool(start.in_flight or end.in_flight),
            )
        )
    periods.reverse()
    return periods


def reconciliation_summary(*, account: str) -> dict:
    """Totals since the first reading, for tests, benchmarks and the page's headline."""
    first = BalanceCheck.objects.filter(account=account).order_by("checked_at").first()
    last = BalanceCheck.objects.filter(account=account).order_by("checked_at").last()
    if first is None or first.pk == last.pk:
        return {}
    calls = ApiCall.objects.filter(
        account=account, sent_at__gte=first.checked_at, sent_at__lt=last.checked_at
    )
    recorded = calls.filter(state=CallState.ANSWERED).aggregate(u=Sum("credits"))["u"] or 0
    possible = calls.filter(state=CallState.INTERRUPTED).aggregate(u=Sum("possible_units"))["u"]
    change = first.balance - last.balance
    return {
        "balance_change": change,
        "recorded": recorded,
        "possible": possible or 0,
        "unexplained": change - recorded,
    }


def account_context(workspace, *, owner: bool) -> dict:
    """What the account panel shows: the last balance read, and for owners the periods
    between readings with whether they add up. Asks the API nothing."""
    from recraft_studio.workspaces.encryption import SecretUnreadable

    try:
        credentials = credentials_for(workspace)
    except SecretUnreadable:
        return {
            "latest": None,
            "problem": "The stored API token cannot be decrypted with this deployment's keys; "
            "an owner needs to set it again.",
        }
    account = account_cached(credentials)
    latest = BalanceCheck.objects.filter(account=account).first() if account else None
    periods = reconciliation(account=account, limit=10) if owner and account else []
    failure = last_failure(credentials)
    if failure and latest and latest.checked_at.timestamp() > failure["at"]:
        failure = None
    return {
        "latest": latest,
        "failure": failure,
        "periods": periods,
        "unexplained": [p for p in periods if not p.explained],
        "problem": "",
    }

"""Several tokens of one account share its balance, user id, rate limit and styles.

The docs say the limit and the balance belong to the user, not the token. Tokens are
gathered into an account at start (`--account team=a,b`, `SANDBOX_ACCOUNTS`) or later
through the admin API; a token named alone stays an account of its own, as before.
"""

from __future__ import annotations

import httpx
import pytest

from recraft_studio.sandbox.config import config_from_argv, parse_accounts
from recraft_studio.sandbox.process import SandboxProcess

from . import pictures


@pytest.fixture(scope="module")
def team_sandbox():
    with SandboxProcess(tokens=("solo",), accounts={"team": ("team-a", "team-b")}) as sandbox:
        yield sandbox


@pytest.fixture
def team(team_sandbox):
    team_sandbox.reset()
    with httpx.Client(base_url=team_sandbox.base_url, timeout=60) as http:

        def as_token(token):
            http.headers["Authorization"] = f"Bearer {token}"
            return http

        yield as_token


def _generate(http, n=1):
    return http.post("/images/generations", json={"prompt": "x", "n": n})


# --- configured at start --------------------------------------------------------------


def test_two_tokens_of_one_account_together_get_at_most_the_limit_a_minute(team, team_sandbox):
    team_sandbox.set_rate_limit(3)

    statuses = [
        _generate(team("team-a"), n=2).status_code,
        _generate(team("team-b")).status_code,
        _generate(team("team-b")).status_code,
        _generate(team("team-a")).status_code,
    ]
    solo = _generate(team("solo"), n=3)

    assert statuses == [200, 200, 429, 429]
    assert solo.status_code == 200  # a token of its own has its own window
    state = team_sandbox.state()
    assert state["images_used_this_minute"] == {"solo": 3, "team-a": 3, "team-b": 3}


def test_a_refused_token_is_told_to_wait_for_the_accounts_window(team, team_sandbox):
    team_sandbox.set_rate_limit(1)
    _generate(team("team-a"))

    refused = _generate(team("team-b"))

    assert refused.status_code == 429
    assert refused.json()["code"] == "too_many_requests"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_tokens_of_one_account_share_the_balance_and_report_the_same_user(team):
    _generate(team("team-a"), n=2)

    a = team("team-a").get("/users/me").json()
    b = team("team-b").get("/users/me").json()
    solo = team("solo").get("/users/me").json()

    assert a["credits"] == b["credits"] == 100_000 - 80
    assert a["id"] == b["id"]
    assert solo["credits"] == 100_000
    assert solo["id"] != a["id"]


def test_a_balance_set_for_one_token_is_the_balance_of_its_whole_account(team, team_sandbox):
    team_sandbox.set_credits("team-b", 50)

    first = _generate(team("team-a"))
    second = _generate(team("team-b"))

    assert first.status_code == 200
    assert second.status_code == 402
    assert team_sandbox.credits("team-b") == team_sandbox.credits("team-a") == 10


def test_a_style_made_with_one_token_is_usable_with_the_other(team):
    made = team("team-a").post(
        "/styles", data={"style": "icon"}, files={"file1": ("a.png", pictures.photo())}
    )
    style_id = made.json()["id"]

    listed = team("team-b").get("/styles").json()["styles"]
    used = team("team-b").post("/images/generations", json={"prompt": "x", "style_id": style_id})
    stranger = team("solo").get(f"/styles/{style_id}")

    assert [s["id"] for s in listed] == [style_id]
    assert used.status_code == 200
    assert stranger.status_code == 404


def test_the_state_shows_each_account_with_its_tokens(team, team_sandbox):
    accounts = team_sandbox.state()["accounts"]

    assert [(a["name"], a["tokens"]) for a in accounts] == [
        ("solo", ["solo"]),
        ("team", ["team-a", "team-b"]),
    ]
    assert all(a["credits"] == 100_000 and a["images_used_this_minute"] == 0 for a in accounts)


# --- linked at run time ---------------------------------------------------------------


def test_a_token_linked_through_the_admin_api_joins_the_account(http, sandbox, anonymous):
    sandbox.set_rate_limit(2)
    before = http.get("/users/me").json()

    accounts = sandbox.link_token("linked-token", account_of=sandbox.token)
    linked = {"Authorization": "Bearer linked-token"}
    used = anonymous.post("/images/generations", json={"prompt": "x", "n": 2}, headers=linked)
    me = anonymous.get("/users/me", headers=linked).json()
    mine = http.post("/images/generations", json={"prompt": "x"})
    second = {"Authorization": "Bearer second-token"}
    other = http.post("/images/generations", json={"prompt": "x"}, headers=second)

    assert {"name": sandbox.token, "tokens": [sandbox.token, "linked-token"]}.items() <= (
        accounts[0].items()
    )
    assert used.status_code == 200
    assert me["id"] == before["id"]
    assert me["credits"] == http.get("/users/me").json()["credits"] == 100_000 - 80
    assert mine.status_code == 429  # the linked token used the account's two places
    assert other.status_code == 200  # an unlinked token is untouched


def test_a_known_token_linked_elsewhere_leaves_its_own_account(sandbox, anonymous):
    sandbox.set_credits("second-token", 5)

    sandbox.link_token("second-token", account_of=sandbox.token)

    me = anonymous.get("/users/me", headers={"Authorization": "Bearer second-token"}).json()
    names = [(a["name"], a["tokens"]) for a in sandbox.accounts()]
    assert me["credits"] == 100_000  # the account's balance, not its old 5
    assert names == [(sandbox.token, [sandbox.token, "second-token"])]


def test_reset_undoes_links_made_through_the_admin_api(sandbox):
    sandbox.link_token("second-token", account_of=sandbox.token)

    sandbox.reset()

    assert [a["tokens"] for a in sandbox.accounts()] == [[sandbox.token], ["second-token"]]


def test_linking_to_an_unknown_token_is_refused_naming_the_field(sandbox):
    response = httpx.put(
        f"{sandbox.url}/_sandbox/accounts",
        json={"token": "x", "account_of": "nobody"},
        headers={"X-Sandbox-Secret": sandbox.admin_secret},
    )

    assert response.status_code == 400
    assert response.json()["field"] == "account_of"


# --- the option -----------------------------------------------------------------------


def test_accounts_come_from_the_command_line_or_the_environment():
    from_cli = config_from_argv(["--token", "solo", "--account", "team=a,b", "--account", "ops=c"])
    from_env = config_from_argv([], env={"SANDBOX_ACCOUNTS": "team=a,b; ops=c"})

    assert from_cli.accounts == from_env.accounts == (("team", ("a", "b")), ("ops", ("c",)))
    assert from_cli.all_tokens == ("solo", "a", "b", "c")
    assert from_env.all_tokens == ("a", "b", "c")  # no default token beside accounts


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("team", "NAME=TOKEN"),
        ("=a,b", "NAME=TOKEN"),
        ("team=", "NAME=TOKEN"),
        ("team=a;team=b", "given twice"),
        ("team=a,b;ops=b", "'b' is in both"),
    ],
)
def test_an_unreadable_account_is_refused_naming_what_is_wrong(spec, message, capsys):
    with pytest.raises(ValueError, match=message):
        parse_accounts(spec)
    with pytest.raises(SystemExit):
        config_from_argv([], env={"SANDBOX_ACCOUNTS": spec})

    assert "SANDBOX_ACCOUNTS" in capsys.readouterr().err


def test_a_link_that_is_not_a_json_object_is_refused(sandbox):
    response = httpx.put(
        f"{sandbox.url}/_sandbox/accounts",
        json=["linked-token", sandbox.token],
        headers={"X-Sandbox-Secret": sandbox.admin_secret},
    )

    assert response.status_code == 400
    assert response.json()["field"] == "body"
    assert "account_of" in response.json()["message"]

"""Injected faults, met through PyGithub's own retry logic (GithubRetry, API notes §1.5)."""

from __future__ import annotations

import time

import pytest
import requests
from github import GithubException, GithubRetry, RateLimitExceededException
from github.GithubException import RateLimitExceededExceedsMaxWait

from bot.sandbox.github.exchange import Exchange
from tests.sandbox.github.conftest import UPSTREAM, World

REPO_ROUTE = "/repos/{owner}/{repo}"


def test_a_burst_of_5xx_is_retried_away(world: World) -> None:
    seen: list[Exchange] = []
    world.github.observer = seen.append
    world.github.faults.server_errors(2, status=502, route=REPO_ROUTE)
    assert world.bot.get_repo(UPSTREAM).full_name == UPSTREAM
    assert [e.status for e in seen] == [502, 502, 200]


def test_more_5xx_than_retries_reaches_the_bot_as_a_retry_error(world: World) -> None:
    world.github.faults.server_errors(4, status=503)
    with pytest.raises(requests.exceptions.RetryError):
        world.bot.get_repo(UPSTREAM)


def test_a_5xx_after_the_pull_request_was_created_makes_the_retry_meet_the_duplicate_422(
    world: World,
) -> None:
    world.fork_with_branch()
    upstream = world.bot.get_repo(UPSTREAM)
    world.github.faults.server_error_after_create()
    with pytest.raises(GithubException) as invalid:  # a refused create did no work: the fault waits
        upstream.create_pull(base="main", head="multiarch-bot:missing", title="x")
    assert invalid.value.status == 422
    with pytest.raises(GithubException) as duplicate:
        upstream.create_pull(base="main", head="multiarch-bot:multiarch", title="x")
    assert duplicate.value.status == 422
    assert "A pull request already exists" in str(duplicate.value.data)
    assert [p.number for p in upstream.get_pulls(head="multiarch-bot:multiarch")] == [1]


def test_a_secondary_limit_with_retry_after_is_waited_out(world: World) -> None:
    seen: list[Exchange] = []
    world.github.observer = seen.append
    world.github.faults.secondary_limit(retry_after=0)
    assert world.bot.get_repo(UPSTREAM).full_name == UPSTREAM
    assert [e.status for e in seen] == [403, 200]
    body = seen[0].body.decode()
    assert "You have exceeded a secondary rate limit" in body
    assert seen[0].headers["Retry-After"] == "0"


def test_a_secondary_limit_without_retry_after_is_recognised_by_its_message(world: World) -> None:
    world.github.faults.secondary_limit(retry_after=None)
    assert world.bot.get_repo(UPSTREAM).full_name == UPSTREAM  # secondary_rate_wait=0.01 in the tests


def test_a_secondary_limit_without_retries_reaches_the_bot_as_rate_limit_exceeded(world: World) -> None:
    world.github.faults.secondary_limit(retry_after=1)
    with pytest.raises(RateLimitExceededException):
        world.client(world.bot_token, retry=None).get_repo(UPSTREAM)


def test_a_primary_limit_resets_about_a_second_ahead(world: World) -> None:
    world.github.faults.primary_limit()
    with pytest.raises(RateLimitExceededExceedsMaxWait):  # max_rate_limit_wait=1 < reset + 1 s
        world.bot.get_repo(UPSTREAM)
    seen: list[Exchange] = []
    world.github.observer = seen.append
    world.github.faults.primary_limit()
    with pytest.raises(RateLimitExceededException):
        world.client(world.bot_token, retry=None).get_repo(UPSTREAM)
    assert seen[0].headers["X-RateLimit-Remaining"] == "0"
    assert 0 < int(seen[0].headers["X-RateLimit-Reset"]) - time.time() <= 1.5


def test_a_client_willing_to_wait_for_the_reset_gets_its_answer_after_it(world: World) -> None:
    world.github.faults.primary_limit()
    started = time.monotonic()
    patient = GithubRetry(total=3, secondary_rate_wait=0.01, max_rate_limit_wait=3)
    assert world.client(world.bot_token, retry=patient).get_repo(UPSTREAM).full_name == UPSTREAM
    assert 1 <= time.monotonic() - started < 3.5


def test_a_primary_limit_as_429_and_a_bare_429_are_not_retried(world: World) -> None:
    world.github.faults.primary_limit(status=429)
    with pytest.raises(GithubException) as limited:
        world.bot.get_repo(UPSTREAM)
    assert limited.value.status == 429
    assert limited.value.headers is not None
    assert limited.value.headers["x-ratelimit-remaining"] == "0"
    world.github.faults.too_many_requests()
    with pytest.raises(GithubException) as too_many:
        world.bot.get_repo(UPSTREAM)
    assert too_many.value.status == 429
    assert "retry-after" not in {k.lower() for k in (too_many.value.headers or {})}
    assert world.bot.get_repo(UPSTREAM).full_name == UPSTREAM  # each fault answers once


def test_faults_are_armed_and_cleared_through_the_token_protected_admin_endpoint(world: World) -> None:
    admin = f"{world.github.web_url}/_sandbox/faults"
    fault = {"kind": "server_errors", "count": 1, "status": 500, "route": REPO_ROUTE}
    assert requests.post(admin, json=fault, timeout=5).status_code == 401
    assert (
        requests.post(admin, json=fault, headers={"Authorization": "token wrong"}, timeout=5).status_code
        == 401
    )
    auth = {"Authorization": f"token {world.github.admin_token}"}
    assert requests.post(admin, json=fault, headers=auth, timeout=5).status_code == 201
    assert requests.get(f"{world.github.api_url}/repos/{UPSTREAM}", timeout=5).status_code == 500
    assert requests.get(f"{world.github.api_url}/repos/{UPSTREAM}", timeout=5).status_code == 200
    requests.post(admin, json=fault | {"count": 5}, headers=auth, timeout=5)
    assert requests.delete(admin, headers=auth, timeout=5).status_code == 204
    assert requests.get(f"{world.github.api_url}/repos/{UPSTREAM}", timeout=5).status_code == 200
    bad = requests.post(admin, json={"kind": "meteor"}, headers=auth, timeout=5)
    assert bad.status_code == 422


def test_creating_content_too_fast_meets_the_secondary_limit(world: World) -> None:
    world.github.dispatcher.api.limits.content_per_minute = 3  # GitHub's is 80 a minute
    unretried = world.client(world.bot_token, retry=None).get_repo(UPSTREAM)
    issue = unretried.create_issue("one")
    issue.create_comment("two")
    issue.create_comment("three")
    with pytest.raises(RateLimitExceededException) as limited:
        issue.create_comment("four")
    assert limited.value.headers is not None
    assert limited.value.headers["retry-after"] == "60"
    assert unretried.get_issue(issue.number).comments == 2  # reading is not creating


def test_a_dropped_connection_gets_no_answer_and_a_get_is_retried_past_it(world: World) -> None:
    seen: list[Exchange] = []
    world.github.observer = seen.append
    world.github.faults.drop_connections(1, route=REPO_ROUTE)
    assert world.bot.get_repo(UPSTREAM).full_name == UPSTREAM  # urllib3 retries a GET after a read error
    assert [e.status for e in seen] == [200]  # the dropped one was never answered
    world.github.faults.drop_connections(1, route=REPO_ROUTE)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{world.github.api_url}/repos/{UPSTREAM}", timeout=5)


def test_a_connection_dropped_after_the_pull_request_was_created_loses_only_the_answer(
    world: World,
) -> None:
    world.fork_with_branch()
    upstream = world.bot.get_repo(UPSTREAM)
    world.github.faults.drop_connections(method="POST", route="/repos/{owner}/{repo}/pulls", after=True)
    with pytest.raises(GithubException) as duplicate:  # GithubRetry resends the POST, as after a 5xx
        upstream.create_pull(base="main", head="multiarch-bot:multiarch", title="x")
    assert duplicate.value.status == 422
    assert "A pull request already exists" in str(duplicate.value.data)
    assert [p.number for p in upstream.get_pulls(head="multiarch-bot:multiarch")] == [1]

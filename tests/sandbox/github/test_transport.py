"""What every answer shares: URLs from the Host header, rate budgets, pagination, error bodies, routes."""

from __future__ import annotations

import pytest
import requests
from github import BadCredentialsException, GithubException, UnknownObjectException

from bot.sandbox.github.exchange import Exchange
from tests.sandbox.github.conftest import UPSTREAM, World


def test_urls_follow_the_host_the_client_used(world: World) -> None:
    as_localhost = world.github.api_url.replace("127.0.0.1", "localhost")
    body = requests.get(f"{as_localhost}/repos/{UPSTREAM}", timeout=5).json()
    assert body["url"] == f"{as_localhost}/repos/{UPSTREAM}"
    assert body["clone_url"].startswith("http://localhost:")
    assert body["owner"]["url"] == f"{as_localhost}/users/acme"


def test_every_answer_carries_githubs_headers_and_a_real_decrementing_budget(world: World) -> None:
    auth = {"Authorization": f"token {world.bot_token}"}
    first = requests.get(f"{world.github.api_url}/repos/{UPSTREAM}", headers=auth, timeout=5)
    second = requests.get(f"{world.github.api_url}/repos/{UPSTREAM}", headers=auth, timeout=5)
    assert first.headers["Content-Type"] == "application/json; charset=utf-8"
    assert first.headers["X-RateLimit-Limit"] == "5000"
    assert int(first.headers["X-RateLimit-Remaining"]) - 1 == int(second.headers["X-RateLimit-Remaining"])
    assert second.headers["X-RateLimit-Used"] == "2"
    assert first.headers["X-RateLimit-Resource"] == "core"
    assert int(first.headers["X-RateLimit-Reset"]) > 0
    assert first.headers["x-github-api-version-selected"] == "2022-11-28"
    assert first.headers["X-GitHub-Request-Id"] != second.headers["X-GitHub-Request-Id"]
    assert first.headers["X-OAuth-Scopes"] == "repo, workflow"
    anonymous = requests.get(f"{world.github.api_url}/repos/{UPSTREAM}", timeout=5)
    assert anonymous.headers["X-RateLimit-Limit"] == "60"
    overview = world.bot.get_rate_limit()
    assert overview.resources.core.remaining == 4998  # GET /rate_limit itself is free
    assert overview.resources.search.limit == 30


def test_the_anonymous_budget_runs_out_with_githubs_primary_limit_answer(world: World) -> None:
    for _ in range(60):
        assert requests.get(f"{world.github.api_url}/repos/{UPSTREAM}", timeout=5).status_code == 200
    over = requests.get(f"{world.github.api_url}/repos/{UPSTREAM}", timeout=5)
    assert over.status_code == 403
    assert over.headers["X-RateLimit-Remaining"] == "0"
    assert over.json()["message"].startswith("API rate limit exceeded for")


def test_pages_have_githubs_link_header_and_total_count_reads_the_last_page(world: World) -> None:
    owner = world.client(world.upstream_token).get_repo(UPSTREAM)
    for n in range(7):
        owner.create_issue(f"issue {n}")
    answer = requests.get(
        f"{world.github.api_url}/repos/{UPSTREAM}/issues", params={"per_page": 3}, timeout=5
    )
    base = f"{world.github.api_url}/repos/{UPSTREAM}/issues"
    assert answer.headers["Link"] == (
        f'<{base}?per_page=3&page=2>; rel="next", <{base}?per_page=3&page=3>; rel="last"'
    )
    middle = requests.get(base, params={"per_page": 3, "page": 2}, timeout=5)
    assert middle.headers["Link"] == (
        f'<{base}?per_page=3&page=1>; rel="prev", <{base}?per_page=3&page=3>; rel="next", '
        f'<{base}?per_page=3&page=3>; rel="last", <{base}?per_page=3&page=1>; rel="first"'
    )
    assert owner.get_issues().totalCount == 7
    paged = world.client(world.upstream_token, per_page=2).get_repo(UPSTREAM)
    assert len(list(paged.get_issues())) == 7
    assert [i.title for i in paged.get_issues(direction="asc")][:2] == ["issue 0", "issue 1"]


def test_an_empty_list_has_no_link_and_total_count_zero(world: World) -> None:
    answer = requests.get(f"{world.github.api_url}/repos/{UPSTREAM}/pulls", timeout=5)
    assert answer.json() == []
    assert "Link" not in answer.headers
    assert world.bot.get_repo(UPSTREAM).get_pulls().totalCount == 0


def test_errors_have_githubs_body_and_unknown_routes_or_methods_are_404(world: World) -> None:
    api = world.github.api_url
    for method, path in [("GET", "/nothing/here"), ("DELETE", f"/repos/{UPSTREAM}"), ("GET", "/user/")]:
        answer = requests.request(method, api + path, timeout=5)
        assert answer.status_code == 404, path
        assert answer.json() == {
            "message": "Not Found",
            "documentation_url": "https://docs.github.com/rest",
            "status": "404",
        }
    with pytest.raises(UnknownObjectException):
        world.bot.get_repo("acme/nothing")
    with pytest.raises(BadCredentialsException):
        world.client("ghp_not_a_token").get_repo(UPSTREAM)
    assert requests.get(f"{api}/user", timeout=5).status_code == 401


def test_private_repositories_are_404_to_outsiders(world: World) -> None:
    world.github.set_flags(UPSTREAM, private=True)
    with pytest.raises(UnknownObjectException):
        world.bot.get_repo(UPSTREAM)
    assert world.client(world.upstream_token).get_repo(UPSTREAM).private is True
    world.github.set_flags(UPSTREAM, collaborators=["multiarch-bot"])
    assert world.bot.get_repo(UPSTREAM).permissions.push is True


def test_archived_repositories_say_so_and_refuse_writes(world: World) -> None:
    world.github.set_flags(UPSTREAM, archived=True)
    owner = world.client(world.upstream_token).get_repo(UPSTREAM)
    assert owner.archived is True
    with pytest.raises(GithubException) as refused:
        owner.create_label("x", "ffffff")
    assert refused.value.status == 403


def test_get_user_answers_for_tokens_and_refuses_installation_tokens(world: World) -> None:
    me = world.bot.get_user()
    assert (me.login, me.type) == ("multiarch-bot", "User")
    app_token = world.github.add_user("multiarch-app[bot]", type="Bot", kind="installation", scopes=())
    with pytest.raises(GithubException) as refused:
        _ = world.client(app_token).get_user().login
    assert refused.value.status == 403
    assert refused.value.data == {
        "message": "Resource not accessible by integration",
        "documentation_url": "https://docs.github.com/rest/users/users#get-the-authenticated-user",
        "status": "403",
    }
    # …but the same token still reads repositories.
    assert world.client(app_token).get_repo(UPSTREAM).full_name == UPSTREAM


def test_every_api_answer_is_reported_to_the_observer_with_its_route(world: World) -> None:
    seen: list[Exchange] = []
    world.github.observer = seen.append
    world.bot.get_repo(UPSTREAM).get_pulls(state="all").totalCount  # noqa: B018
    requests.get(f"{world.github.api_url}/nothing", timeout=5)
    world.github.observer = None
    assert [(e.method, e.route, e.status) for e in seen] == [
        ("GET", "/repos/{owner}/{repo}", 200),
        ("GET", "/repos/{owner}/{repo}/pulls", 200),
        ("GET", "", 404),
    ]
    assert seen[1].path == "/repos/acme/tool/pulls"
    assert "state=all" in seen[1].query
    assert seen[0].body.startswith(b"{")
    assert seen[0].headers["X-RateLimit-Resource"] == "core"

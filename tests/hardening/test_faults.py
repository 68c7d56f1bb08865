"""GitHub's and the registry's bad days, met by whole fleet runs: every repository ends done or with a
clear reason, no pull request is ever opened twice, and a rerun without faults finishes the rest.

The local GitHub injects its own faults (bot/sandbox/github/faults.py); the registry is Debian's binary,
so a small reverse proxy on 127.0.0.1 stands in front of it and answers some requests itself.
"""

from __future__ import annotations

import http.client
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.sandbox.github.exchange import Exchange
from tests.hardening.conftest import BOT_LOGIN, CheapFleet, Kind, MakeFleet, RunResult
from tests.support.docker import DockerSandbox
from tests.support.local_github import commit_and_push

pytestmark = pytest.mark.docker

DONE = {"opened", "updated", "up-to-date", "blocked", "nothing-to-do"}
PULLS = "/repos/{owner}/{repo}/pulls"
FORKS = "/repos/{owner}/{repo}/forks"
REPO = "/repos/{owner}/{repo}"
MERGE_UPSTREAM = "/repos/{owner}/{repo}/merge-upstream"


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    user_agent: str
    status: int  # what the proxy answered: its own fault, or the registry's status
    at: float


Policy = Callable[[str, str, str], tuple[int, dict[str, str]] | None]  # → a fault's status and headers


@dataclass
class FaultyRegistry:
    """A reverse proxy to the sandbox registry: ``policy(method, path, user_agent)`` may answer a request
    itself (a status and headers, no body); everything else is passed through. Records every request."""

    upstream: str  # host:port
    policy: Policy = field(default=lambda method, path, agent: None)
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, method: str, path: str, agent: str, status: int) -> None:
        with self.lock:
            self.seen.append(Seen(method, path, agent, status, time.monotonic()))


@pytest.fixture
def faulty_registry(docker_sandbox: DockerSandbox) -> Iterator[tuple[FaultyRegistry, str]]:
    """The proxy and its address (host:port), serving until the test ends."""
    proxy = FaultyRegistry(docker_sandbox.registry.address)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # BuildKit tries TLS first and falls back to plain HTTP on loopback only when the answer to its
        # handshake starts with "HTTP/": the default (HTTP/0.9) would answer a bare error page
        default_request_version = "HTTP/1.0"

        def do_GET(self) -> None:
            self._answer("GET")

        def do_HEAD(self) -> None:
            self._answer("HEAD")

        def _answer(self, method: str) -> None:
            agent = self.headers.get("User-Agent", "")
            fault = proxy.policy(method, self.path, agent)
            if fault is not None:
                status, headers = fault
                proxy.record(method, self.path, agent, status)
                self.send_response(status)
                for name, value in (headers | {"Content-Length": "0"}).items():
                    self.send_header(name, value)
                self.end_headers()
                return
            upstream = http.client.HTTPConnection(proxy.upstream, timeout=30)
            try:
                forwarded = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                upstream.request(method, self.path, headers=forwarded)
                answer = upstream.getresponse()
                body = answer.read()
            finally:
                upstream.close()
            proxy.record(method, self.path, agent, answer.status)
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in ("connection", "transfer-encoding", "content-length"):
                    self.send_header(name, value)
            length = answer.getheader("Content-Length", "0") if method == "HEAD" else str(len(body))
            self.send_header("Content-Length", length)
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True, name="faulty-registry")
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield proxy, f"{host!s}:{port}"
    finally:
        server.shutdown()
        server.server_close()


def assert_done_or_explained(result: RunResult, fleet: CheapFleet) -> None:
    """Every repository has an outcome: done, or an error that says why (never a bare crash report)."""
    assert set(result.outcomes) == set(fleet.names)
    for name, outcome in result.outcomes.items():
        if outcome["verdict"] not in DONE:
            assert outcome["verdict"] == "error", (name, outcome["verdict"], outcome["reasons"])
            assert outcome["reasons"], name
            assert not any("unexpected failure" in reason for reason in outcome["reasons"]), outcome
    assert result.code in (0, 1)
    assert result.code == (1 if "error" in result.verdicts().values() else 0)


def assert_a_clean_rerun_finishes_the_rest(fleet: CheapFleet) -> RunResult:
    fleet.github.faults.clear()
    rerun = fleet.run()
    assert rerun.code == 0, {n: o["reasons"] for n, o in rerun.outcomes.items() if o["verdict"] == "error"}
    fleet.assert_every_eligible_repo_has_one_pr_and_nothing_else()
    return rerun


def test_registry_429s_while_builds_fetch_bases_are_errors_that_the_rerun_retries(
    cheap_fleet: MakeFleet, faulty_registry: tuple[FaultyRegistry, str]
) -> None:
    """BuildKit does not wait out a 429: its build fails fetching the base. That is the registry's doing,
    not the change's, so it is an error (not a remembered "failed") and the next run builds again."""
    proxy, address = faulty_registry
    limited = threading.Event()
    limited.set()

    def builds_are_rate_limited(method: str, path: str, agent: str) -> tuple[int, dict[str, str]] | None:
        if limited.is_set() and agent.startswith("buildkit") and "/manifests/" in path:
            return 429, {"Retry-After": "1"}
        return None

    proxy.policy = builds_are_rate_limited
    fleet = cheap_fleet(3, kinds=[Kind.ELIGIBLE, Kind.ELIGIBLE, Kind.BLOCKED], registry=address)
    first = fleet.run()
    assert_done_or_explained(first, fleet)
    eligible = fleet.of_kind(Kind.ELIGIBLE)
    assert {first.verdicts()[name] for name in eligible} == {"error"}
    for name in eligible:
        assert any("a base image could not be fetched" in r for r in first.outcomes[name]["reasons"])
        assert any("429" in r for r in first.outcomes[name]["reasons"])
    assert any(seen.status == 429 and seen.user_agent.startswith("buildkit") for seen in proxy.seen)
    assert fleet.fork_branches() == {}  # nothing was forked for a change that was not verified

    limited.clear()
    rerun = assert_a_clean_rerun_finishes_the_rest(fleet)
    assert {rerun.verdicts()[name] for name in eligible} == {"opened"}


def test_github_and_registry_faults_leave_each_repo_done_or_explained_and_never_a_second_pr(
    cheap_fleet: MakeFleet, faulty_registry: tuple[FaultyRegistry, str]
) -> None:
    proxy, address = faulty_registry
    first_asks = itertools.count()

    def scans_are_rate_limited(method: str, path: str, agent: str) -> tuple[int, dict[str, str]] | None:
        if agent == "multiarch-bot" and "/manifests/" in path and next(first_asks) < 3:
            return 429, {"Retry-After": "1"}
        return None

    proxy.policy = scans_are_rate_limited
    kinds = [Kind.ELIGIBLE] * 6 + [Kind.BLOCKED, Kind.READY]
    fleet = cheap_fleet(len(kinds), kinds=kinds, registry=address)
    faults = fleet.github.faults
    faults.server_errors(3, status=502, route=REPO)  # a 5xx burst on the first reads
    faults.server_errors(2, status=503, method="POST", route=FORKS)
    faults.drop_connections(2, method="GET", route=PULLS)  # no answer at all
    faults.drop_connections(method="POST", route=PULLS, after=True)  # created, and the answer lost
    faults.server_error_after_create()  # created, then a 502: the retried POST meets "already exists"
    faults.secondary_limit(2, retry_after=1, route=PULLS)
    faults.too_many_requests(route=MERGE_UPSTREAM)  # a bare 429 is not retried: the sync is skipped
    faults.slow_forks(1.0)
    victim = f"{BOT_LOGIN}/app-000"
    vanished = threading.Event()

    def delete_the_fork_once_synced(exchange: Exchange) -> None:
        if exchange.route == MERGE_UPSTREAM and victim in exchange.path and not vanished.is_set():
            vanished.set()
            fleet.github.delete_repo(victim)  # before the bot hears back: its push finds no fork

    fleet.github.observer = delete_the_fork_once_synced
    first = fleet.run()
    fleet.github.observer = None

    assert_done_or_explained(first, fleet)
    assert fleet.duplicate_pulls() == {}
    assert vanished.is_set()
    assert first.verdicts()["acme/app-000"] == "error"
    print(first.outcomes["acme/app-000"]["reasons"])
    assert first.verdicts()["acme/app-006"] == "blocked"
    assert first.verdicts()["acme/app-007"] == "nothing-to-do"
    limited = [seen for seen in proxy.seen if seen.status == 429]
    assert len(limited) == 3
    for seen in limited:  # each 429 was waited out for its Retry-After before the same request again
        again = next(
            s for s in proxy.seen if s.at > seen.at and (s.method, s.path) == (seen.method, seen.path)
        )
        assert again.at - seen.at >= 0.9
    for name in fleet.of_kind(Kind.ELIGIBLE):
        if first.verdicts()[name] == "opened":
            assert len(fleet.bot_pulls(name)) == 1, name

    rerun = assert_a_clean_rerun_finishes_the_rest(fleet)
    assert rerun.verdicts()["acme/app-000"] == "opened"
    assert fleet.github.repo(victim) is not None  # forked again


def test_a_fork_deleted_under_its_open_pr_gets_one_new_pr_and_never_two_open(cheap_fleet: MakeFleet) -> None:
    """GitHub closes a pull request whose fork is deleted; the bot cannot find it by its head any more (the
    label is gone), so once upstream moves it forks again and opens one new pull request."""
    fleet = cheap_fleet(1, kinds=[Kind.ELIGIBLE])
    assert fleet.run().verdicts() == {"acme/app-000": "opened"}
    fleet.github.delete_repo(f"{BOT_LOGIN}/app-000")
    change = {"CHANGELOG.md": "- a release\n"}
    commit_and_push(fleet.github, "acme/app-000", "main", change, token=fleet.owner_token, workdir=fleet.tmp)
    assert fleet.run().verdicts() == {"acme/app-000": "opened"}
    assert [state for _, state, _ in fleet.pulls("acme/app-000")] == ["closed", "open"]
    assert fleet.orphan_branches() == []
    assert fleet.run().verdicts() == {"acme/app-000": "up-to-date"}

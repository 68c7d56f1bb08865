"""The read-only web view, on a real server: the pages a person opens from the links the API returns.

A pull request is opened through PyGithub with a hostile body (a script next to Markdown); its page must
show the Markdown rendered, the script as text, the diff coloured, and no token anywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
import requests
from github.PullRequest import PullRequest

from bot.sandbox.github.web import WebView
from tests.sandbox.github.conftest import UPSTREAM, World, git, with_token

HOSTILE = (
    "# Build for arm64\n\n<script>alert(1)</script>\n\n"
    "This is **bold**, with `code`.\n\n| a | b |\n|---|---|\n"
)
CHANGE = {"Dockerfile": "FROM busybox:stable\nRUN echo arm64\n"}


@dataclass
class Opened:
    world: World
    pr: PullRequest

    def get(self, path_or_url: str, **options: object) -> requests.Response:
        url = path_or_url if "://" in path_or_url else self.world.github.web_url + path_or_url
        return requests.get(url, timeout=10, **options)  # type: ignore[arg-type]


@pytest.fixture
def opened(world: World) -> Opened:
    # As daemon.py does; the in-process server of the other tests keeps its web slot empty.
    world.github.dispatcher.web_app = WebView(world.github.store)
    world.fork_with_branch("multiarch", CHANGE)
    upstream = world.bot.get_repo(UPSTREAM)
    pr = upstream.create_pull(
        base="main", head="multiarch-bot:multiarch", title="Build <em>arm64</em> images", body=HOSTILE
    )
    pr.create_issue_comment("Thanks! <img src=x onerror=alert(2)> _looks good_")
    return Opened(world, pr)


def test_the_pull_request_page_renders_markdown_escapes_html_and_shows_the_coloured_diff(
    opened: Opened,
) -> None:
    page = opened.get(opened.pr.html_url)
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    html = page.text
    assert "<h1>Build for arm64</h1>" in html
    assert "<strong>bold</strong>" in html
    assert "<code>code</code>" in html
    assert "<table>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    assert "Build &lt;em&gt;arm64&lt;/em&gt; images" in html  # the title is text, not markup
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<em>looks good</em>" in html
    assert "<img" not in html
    assert "multiarch-bot:multiarch" in html
    assert "acme:main" in html
    assert '<span class="add">+RUN echo arm64</span>' in html
    assert '<span class="del">-COPY tool.sh /usr/local/bin/tool</span>' in html
    assert '<span class="file">diff --git a/Dockerfile b/Dockerfile</span>' in html
    assert "script-src" not in page.headers["Content-Security-Policy"]  # default-src 'none' covers it


def test_every_html_url_the_api_hands_out_opens(opened: Opened) -> None:
    world = opened.world
    upstream = world.bot.get_repo(UPSTREAM)
    issue = upstream.create_issue("Images for arm64?", body="Would be *nice*.")
    comment = issue.create_comment("Working on it")
    urls = [
        opened.pr.html_url,
        upstream.html_url,
        upstream.owner.html_url,
        issue.html_url,
        comment.html_url,
        upstream.get_contents("Dockerfile").html_url,  # type: ignore[union-attr]
        world.bot.get_repo("multiarch-bot/tool").html_url,
        world.bot.get_user().html_url,
    ]
    for url in urls:
        assert url.startswith(world.github.web_url + "/")
        assert opened.get(url).status_code == 200, url
    assert "<em>nice</em>" in opened.get(issue.html_url).text
    assert f"id='issuecomment-{comment.id}'" in opened.get(comment.html_url).text


def test_lists_show_repositories_forks_and_pull_requests(opened: Opened) -> None:
    index = opened.get("/").text
    assert 'href="/acme/tool"' in index
    assert 'href="/multiarch-bot/tool"' in index
    repo = opened.get("/acme/tool").text
    assert "Default branch <code>main</code>" in repo
    for path in ("Dockerfile", "tool.sh", "README.md", ".github/workflows/ci.yml"):
        assert f'href="/acme/tool/blob/main/{path}"' in repo
    assert 'href="/multiarch-bot/tool"' in repo  # the fork
    assert 'href="/acme/tool/pull/1"' in repo  # the open PR
    pulls = opened.get("/acme/tool/pulls").text
    assert "Build &lt;em&gt;arm64&lt;/em&gt; images" in pulls
    assert "multiarch-bot" in pulls
    assert "<code>multiarch-bot:multiarch</code>" in pulls
    assert '<span class="state open">open</span>' in pulls
    opened.pr.edit(state="closed")
    assert '<span class="state closed">closed</span>' in opened.get("/acme/tool/pulls").text
    assert "No open pull requests." in opened.get("/acme/tool").text
    blob = opened.get("/acme/tool/blob/main/tool.sh").text
    assert "echo tool" in blob


def test_a_push_to_the_head_branch_shows_on_the_page(opened: Opened) -> None:
    world = opened.world
    work = world.clone("multiarch-bot/tool", "fork-work")
    git("checkout", "--quiet", "multiarch", cwd=work)
    (work / "tool.sh").write_text("#!/bin/sh\necho arm64\n")
    git("commit", "--quiet", "-am", "Say arm64", cwd=work)
    git(
        "push", "--quiet", with_token(world.github.clone_url("multiarch-bot/tool"), world.bot_token), cwd=work
    )
    html = opened.get(opened.pr.html_url).text
    assert '<span class="add">+echo arm64</span>' in html
    assert "wants to merge 2 commits" in html


def test_unknown_pages_are_404_and_writes_are_refused(opened: Opened) -> None:
    for path in (
        "/nobody",
        "/acme/nothing",
        "/acme/tool/pull/99",
        "/acme/tool/issues/99",
        "/acme/tool/blob/main/missing.txt",
        "/acme/tool/blob/no-such-branch/Dockerfile",
        "/acme/tool/blob/--output=x/Dockerfile",
        "/acme/tool/pull/1/nothing",
        "/avatars/acme",
    ):
        assert opened.get(path).status_code == 404, path
    assert requests.post(opened.world.github.web_url + "/acme/tool", timeout=5).status_code == 405


def test_issue_and_pull_addresses_redirect_to_each_other_as_on_github(opened: Opened) -> None:
    moved = opened.get("/acme/tool/issues/1", allow_redirects=False)
    assert (moved.status_code, moved.headers["Location"]) == (301, "/acme/tool/pull/1")


def test_private_repositories_are_hidden_and_renamed_ones_redirect(opened: Opened) -> None:
    github = opened.world.github
    github.set_flags("multiarch-bot/tool", private=True)
    assert opened.get("/multiarch-bot/tool").status_code == 404
    assert "multiarch-bot/tool" not in opened.get("/").text
    github.rename_repo(UPSTREAM, "tool2")
    moved = opened.get("/acme/tool/pull/1", allow_redirects=False)
    assert (moved.status_code, moved.headers["Location"]) == (301, "/acme/tool2/pull/1")
    assert opened.get("/acme/tool/pull/1").status_code == 200


def test_no_page_shows_a_token(opened: Opened) -> None:
    world = opened.world
    # A token pasted into a body or committed to a file is masked; the state's tokens are never listed.
    upstream = world.bot.get_repo(UPSTREAM)
    upstream.create_issue("Leaked", body=f"my token is {world.bot_token}")
    world.push_change(UPSTREAM, "main", {"secret.txt": world.upstream_token}, token=world.upstream_token)
    tokens = (world.github.admin_token, world.bot_token, world.upstream_token)
    seen, queue = set(), ["/"]
    while queue and len(seen) < 200:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        page = opened.get(path)
        assert page.status_code == 200, path
        for token in tokens:
            assert token not in page.text, path
        queue += [href for href in re.findall(r'href="(/[^"#]*)', page.text) if href not in seen]
    assert {"/acme/tool/pull/1", "/acme/tool/issues/2", "/acme/tool/blob/main/secret.txt"} <= seen
    assert "***" in opened.get("/acme/tool/issues/2").text

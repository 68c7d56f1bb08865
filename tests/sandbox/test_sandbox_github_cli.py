"""`multiarch-bot sandbox up|seed|status|down` and the local GitHub daemon, through the real CLI.

`up --no-engine` (a real option: the GitHub and the registry only) runs the whole GitHub side for real in
a second or two; one docker test runs the full `up` on the test sandbox's engine and checks that it adds
the GitHub's endpoints to the engine's. Every daemon started here is stopped here, by pid.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from github import Auth, Github

from bot import cli, proc
from bot.sandbox import control
from bot.sandbox.github import daemon as github_daemon
from bot.sandbox.locks import file_lock
from tests.sandbox.github.conftest import git
from tests.support.docker import SANDBOX_STATE, DockerSandbox

pytestmark = pytest.mark.registry

FILES = {"Dockerfile": "FROM busybox:stable\n", "src/tool.sh": "#!/bin/sh\necho tool\n"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["sandbox", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def up_json(capsys: pytest.CaptureFixture[str], state: Path) -> dict[str, object]:
    code, out, err = run(capsys, "up", "--no-engine", "--json", "--state", str(state))
    assert code == 0, err
    answer: dict[str, object] = json.loads(out)
    return answer


def github_of(endpoints: dict[str, object]) -> dict[str, object]:
    github = endpoints["github"]
    assert isinstance(github, dict)
    return github


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    yield tmp_path / "state"
    control.down(tmp_path / "state")  # whatever a test left running


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


def test_up_without_the_engine_prints_the_endpoints_and_one_bot_token(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoints = up_json(capsys, state)
    github = github_of(endpoints)
    web = str(github["web_url"])
    assert web.startswith("http://127.0.0.1:")
    assert (github["api_url"], github["git_url"]) == (f"{web}/api/v3", web)
    assert github["login"] == "multiarch-bot"
    assert "throwaway" in str(github["token_note"])
    assert str(endpoints["registry"]).startswith("127.0.0.1:")
    assert endpoints["registry_mirrors"] == {"docker.io": endpoints["registry"]}
    assert "buildx" not in endpoints  # --no-engine: no dockerd was asked for
    token = str(github["token"])
    me = requests.get(f"{github['api_url']}/user", headers={"Authorization": f"token {token}"}, timeout=5)
    assert me.json()["login"] == "multiarch-bot"
    assert set(me.headers["X-OAuth-Scopes"].split(", ")) == {"repo", "workflow"}
    assert requests.get(web + "/", timeout=5).headers["Content-Type"].startswith("text/html")

    again = github_of(up_json(capsys, state))  # reused: the same daemon, the same token
    assert (again["pid"], again["token"]) == (github["pid"], token)
    code, text, _ = run(capsys, "up", "--no-engine", "--state", str(state))
    assert code == 0
    assert f"  token: {token}\n" in text
    assert "  token_note: the sandbox's own throwaway token" in text
    assert text.count(token) == 1  # printed once, on its own line

    code, text, _ = run(capsys, "status", "--json", "--state", str(state))
    assert json.loads(text)["github"] == {"web_url": web, "api_url": github["api_url"], "pid": github["pid"]}
    assert token not in text


def test_seed_then_a_clone_over_smart_http_has_the_files(
    state: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    github = github_of(up_json(capsys, state))
    source = write_tree(tmp_path / "upstream", FILES)
    code, out, err = run(capsys, "seed", str(source), "acme/tool", "--json", "--state", str(state))
    assert code == 0, err
    seeded = json.loads(out)
    assert seeded == {
        "full_name": "acme/tool",
        "default_branch": "main",
        "clone_url": f"{github['git_url']}/acme/tool.git",
        "web_url": f"{github['web_url']}/acme/tool",
        "replaced": False,
    }
    clone = tmp_path / "clone"
    git("clone", "--quiet", seeded["clone_url"], str(clone), cwd=tmp_path)
    assert {path: (clone / path).read_text() for path in FILES} == FILES
    api = Github(base_url=str(github["api_url"]), auth=Auth.Token(str(github["token"])))
    assert api.get_repo("acme/tool").owner.login == "acme"  # the owner's account was made on the way
    assert requests.get(seeded["web_url"], timeout=5).status_code == 200

    (source / "Dockerfile").write_text("FROM busybox:stable\nRUN true\n")
    code, _, err = run(capsys, "seed", str(source), "acme/tool", "--state", str(state))
    assert code == cli.EXIT_FAILED
    assert "acme/tool already exists" in err
    assert "--replace" in err
    code, out, err = run(capsys, "seed", str(source), "acme/tool", "--replace", "--state", str(state))
    assert code == 0, err
    assert "replaced: True" in out
    fresh = tmp_path / "fresh"
    git("clone", "--quiet", seeded["clone_url"], str(fresh), cwd=tmp_path)
    assert (fresh / "Dockerfile").read_text() == "FROM busybox:stable\nRUN true\n"
    assert git("rev-list", "--count", "HEAD", cwd=fresh).out.strip() == "1"


def test_seed_refuses_bad_names_missing_directories_and_a_stopped_github(
    state: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_tree(tmp_path / "upstream", FILES)
    code, _, err = run(capsys, "seed", str(source), "acme/tool", "--state", str(state))
    assert code == cli.EXIT_FAILED
    assert "not running" in err
    assert "sandbox up" in err
    for bad in ("acme", "acme/..", "ac_me/tool", "acme/tool/more", "acme/tool.git", "acme/"):
        code, _, err = run(capsys, "seed", str(source), bad, "--state", str(state))
        assert code == cli.EXIT_USAGE, bad
    code, _, err = run(capsys, "seed", str(tmp_path / "missing"), "acme/tool", "--state", str(state))
    assert code == cli.EXIT_FAILED
    assert "is not a directory" in err


def test_down_stops_the_github_daemon_by_its_pid_and_nothing_else(
    state: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    github = github_of(up_json(capsys, state))
    pid = int(str(github["pid"]))
    other = github_daemon.start_daemon(tmp_path / "other-github")  # another sandbox's local GitHub
    try:
        code, out, _ = run(capsys, "down", "--json", "--state", str(state))
        assert code == 0
        stopped = json.loads(out)["stopped"]
        assert stopped[0] == f"local GitHub on {github['web_url']} (pid {pid})"
        assert not proc.is_running(pid)
        assert github_daemon.running(state / "github") is None
        assert not (state / "github" / "github.pid").exists()
        assert proc.is_running(other.pid)
        assert requests.get(f"{other.web_url}/_sandbox/health", timeout=5).status_code == 200
        code, out, _ = run(capsys, "status", "--json", "--state", str(state))
        assert json.loads(out)["github"] is None
    finally:
        other.stop()
    assert not proc.is_running(other.pid)


def test_a_stale_pid_file_naming_another_program_is_left_alone(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (state / "github").mkdir(parents=True)
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (state / "github" / "github.pid").write_text(str(stranger.pid))
        (state / "github" / "github.port").write_text("1")
        code, out, _ = run(capsys, "down", "--json", "--state", str(state))
        assert code == 0
        assert json.loads(out)["stopped"] == []
        assert stranger.poll() is None  # still running: its pid file lied, and down checked
    finally:
        stranger.kill()
        stranger.wait()


@pytest.mark.docker
def test_the_full_up_adds_the_github_to_the_engine_and_registry(
    docker_sandbox: DockerSandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    # The test sandbox's own state: `up` reuses its registry, engine and images; only the GitHub is new,
    # and only the GitHub is stopped here (the registry and dockerd belong to the whole test run).
    with file_lock(SANDBOX_STATE / "session.lock"):
        try:
            code, out, err = run(capsys, "up", "--json", "--state", str(SANDBOX_STATE))
        finally:
            started = github_daemon.running(SANDBOX_STATE / "github")
            if started is not None:
                started.stop()
    assert code == 0, err
    endpoints = json.loads(out)
    assert endpoints["registry"] == docker_sandbox.registry.address
    assert "linux/arm64" in endpoints["platforms"]
    assert "library/busybox" in " ".join(endpoints["base_images"])
    assert endpoints["github"]["api_url"].endswith("/api/v3")
    assert endpoints["github"]["login"] == "multiarch-bot"

"""The build call on the real engine: builds loaded per platform, failures, timeouts, secrets."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import docker
import docker.errors
import pytest

from bot import proc
from bot.build.buildx import buildx_build_argv, mirrored_bases
from bot.build.run import build_plan, build_platform, buildx_available, push_multi_platform, scrubbed_env
from bot.model import AMD64, ARM64, BuildPlan, ImagePlatforms, ImageRef, Outcome, Platform
from bot.sandbox.engine import DOCKER_CLI
from bot.scan.registry import RegistryClient
from tests.support.docker import DockerSandbox
from tests.support.images import checkout, read_file

pytestmark = pytest.mark.docker

SECRET = "multiarch-test-secret-5f1c"  # what the bot's token would be


@pytest.fixture
def run_id() -> str:
    """Unique to this test: pytest runs share the client, and BuildKit's cache must not answer for us."""
    return uuid.uuid4().hex[:10]


def test_each_platform_is_built_and_loaded_for_its_own_architecture(
    docker_sandbox: DockerSandbox, client: docker.DockerClient, run_id: str, loaded: list[str], tmp_path: Path
) -> None:
    busybox = docker_sandbox.ref("library/busybox")
    repo = checkout(tmp_path, f"FROM {busybox}\nARG RUN_ID\nRUN uname -m > /arch\n")
    plan = BuildPlan("Dockerfile", ".", build_args=(("RUN_ID", run_id),), platforms=(AMD64, ARM64))

    builds = build_plan(plan, repo, builder=None, timeout=120)
    loaded += [build.image for build in builds if build.image]

    assert [(build.platform, build.outcome, build.error) for build in builds] == [
        (AMD64, Outcome.PASSED, ""),
        (ARM64, Outcome.PASSED, ""),
    ]
    for build, machine in zip(builds, ("x86_64", "aarch64"), strict=True):
        assert build.image is not None
        assert build.image.startswith("multiarch-bot-verify/dockerfile-")
        assert build.image.endswith(f":{build.platform.architecture}")
        attrs = client.images.get(build.image).attrs
        assert (attrs["Os"], attrs["Architecture"]) == ("linux", build.platform.architecture)
        assert read_file(client, build.image, "/arch").strip() == machine
        assert any("RUN uname -m" in line for line in build.log_tail)
        assert 0 < build.seconds < 120


def test_an_upstream_dockerfile_builds_unchanged_from_the_sandbox_mirror(
    docker_sandbox: DockerSandbox, client: docker.DockerClient, run_id: str, loaded: list[str], tmp_path: Path
) -> None:
    repo = checkout(tmp_path, f"FROM node:lts-alpine3.10\nRUN echo {run_id} && node --version > /v\n")
    mirrors = {"docker.io": docker_sandbox.registry.address}  # what the demo's config says
    bases = mirrored_bases([ImageRef("docker.io", "library/node", "lts-alpine3.10")], mirrors)
    loaded.append(tag := f"multiarch-bot-verify/mirrored-{run_id}:arm64")

    build = build_platform(
        BuildPlan("Dockerfile", "."), ARM64, repo, builder=None, timeout=120, tag=tag, base_images=bases
    )

    assert build.outcome is Outcome.PASSED, build.error
    assert read_file(client, tag, "/v").strip() == "v12.22.12"  # the sandbox's node stand-in


def test_a_failing_run_step_fails_with_the_commands_own_error(
    docker_sandbox: DockerSandbox, run_id: str, tmp_path: Path
) -> None:
    busybox = docker_sandbox.ref("library/busybox")
    repo = checkout(tmp_path, f"FROM {busybox}\nRUN echo fetching && cat /etc/arm64-{run_id}.conf\n")
    tag = f"multiarch-bot-verify/fails-{run_id}:arm64"

    build = build_platform(BuildPlan("Dockerfile", "."), ARM64, repo, builder=None, timeout=120, tag=tag)

    assert build.outcome is Outcome.FAILED
    assert build.image is None
    assert build.error.startswith("[2/2] RUN echo fetching && cat /etc/arm64-")
    assert "exit code 1" in build.error
    assert f"cat: can't open '/etc/arm64-{run_id}.conf': No such file or directory" in build.error
    assert build.error.endswith("(Dockerfile:2)")
    assert any(line.endswith(" fetching") for line in build.log_tail)
    assert 0 < len(build.log_tail) <= 30


def test_a_build_past_its_time_limit_is_killed_with_everything_it_started(
    docker_sandbox: DockerSandbox, run_id: str, tmp_path: Path
) -> None:
    busybox = docker_sandbox.ref("library/busybox")
    repo = checkout(tmp_path, f"FROM {busybox}\nRUN echo waiting-{run_id} && sleep 60 && echo {run_id}\n")
    tag = f"multiarch-bot-verify/slow-{run_id}:amd64"
    started = time.monotonic()

    build = build_platform(BuildPlan("Dockerfile", "."), AMD64, repo, builder=None, timeout=5, tag=tag)

    assert build.outcome is Outcome.TIMEOUT
    assert time.monotonic() - started < 15
    assert 5 <= build.seconds < 15
    assert build.error.startswith("timed out after 5s and was killed")
    # Neither the buildx plugin (its argv holds the tag) nor the step's shell may outlive the time limit.
    deadline = time.monotonic() + 20
    while (left := _processes_mentioning(run_id)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert left == []


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in cmdline:
                found.append(f"{entry.name}: {cmdline}")
    return found


def test_the_bots_environment_and_docker_config_never_reach_the_build(
    docker_sandbox: DockerSandbox,
    client: docker.DockerClient,
    run_id: str,
    loaded: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "docker-config"
    config.mkdir()
    auth = base64.b64encode(f"bot:{SECRET}".encode()).decode()
    (config / "config.json").write_text(json.dumps({"auths": {"ghcr.io": {"auth": auth}}}))
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    monkeypatch.setenv("MULTIARCH_TEST_SECRET", SECRET)
    monkeypatch.setenv("GITHUB_TOKEN", SECRET)
    busybox = docker_sandbox.ref("library/busybox")
    repo = checkout(
        tmp_path / "repo",
        f"FROM {busybox}\nARG MULTIARCH_TEST_SECRET\nARG GITHUB_TOKEN\nARG RUN_ID\n"
        "RUN env > /env.txt; cat /root/.docker/config.json 2>/dev/null >> /env.txt || true\n",
    )
    plan = BuildPlan("Dockerfile", ".", build_args=(("RUN_ID", run_id),))
    loaded.append(tag := f"multiarch-bot-verify/env-{run_id}:amd64")

    build = build_platform(plan, AMD64, repo, builder=None, timeout=120, tag=tag)

    assert build.outcome is Outcome.PASSED, build.error
    assert build.image is not None
    seen = read_file(client, build.image, "/env.txt")
    assert "PATH=" in seen  # the file is the build step's environment
    assert SECRET not in seen
    assert auth not in seen
    with scrubbed_env() as (env, _):
        assert SECRET not in json.dumps(env)
        assert list(Path(env["DOCKER_CONFIG"]).iterdir()) == []
        assert env["BUILDX_CONFIG"] == str(config / "buildx")  # builders are still found


class _Denying(BaseHTTPRequestHandler):
    """A registry that wants Basic credentials for everything, and remembers what it was offered."""

    default_request_version = "HTTP/1.0"  # answer BuildKit's TLS probe in HTTP, so it falls back to http
    offered: list[str | None]

    def do_HEAD(self) -> None:
        self._deny()

    def do_GET(self) -> None:
        self._deny()

    def _deny(self) -> None:
        self.offered.append(self.headers.get("Authorization"))
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="sandbox"')
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_registry_credentials_are_never_offered_to_a_registry_the_dockerfile_names(
    docker_sandbox: DockerSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    offered: list[str | None] = []
    handler = type("Denying", (_Denying,), {"offered": offered})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        address = f"127.0.0.1:{server.server_address[1]}"
        repo = checkout(tmp_path / "repo", f"FROM {address}/private/app:1.0\nRUN true\n")
        config = tmp_path / "docker-config"
        config.mkdir()
        basic = base64.b64encode(f"bot:{SECRET}".encode()).decode()
        (config / "config.json").write_text(json.dumps({"auths": {address: {"auth": basic}}}))

        # The control: the docker CLI with the bot's own config hands the credentials to BuildKit.
        unscrubbed = dict(os.environ, DOCKER_CONFIG=str(config))
        proc.run(buildx_build_argv(repo, platforms=[AMD64]), timeout=60, env=unscrubbed, check=False)
        assert f"Basic {basic}" in offered

        offered.clear()
        monkeypatch.setenv("DOCKER_CONFIG", str(config))
        build = build_platform(
            BuildPlan("Dockerfile", "."),
            AMD64,
            repo,
            builder=None,
            timeout=60,
            tag="multiarch-bot-verify/x:y",
        )
    finally:
        server.shutdown()
        server.server_close()
    assert build.outcome is Outcome.UNVERIFIED  # the base could not be fetched: says nothing of the change
    assert "401 Unauthorized" in build.error
    assert offered  # BuildKit did ask…
    assert set(offered) == {None}  # …and was never offered the bot's credentials


def test_push_multi_platform_pushes_one_index_of_every_platform(
    docker_sandbox: DockerSandbox, run_id: str, tmp_path: Path
) -> None:
    busybox = docker_sandbox.ref("library/busybox")
    repo = checkout(tmp_path, f"FROM {busybox}\nRUN echo {run_id} > /built-by\n")
    ref = ImageRef(docker_sandbox.registry.address, "multiarch-bot-verify/pushed", run_id)

    digest = push_multi_platform(
        BuildPlan("Dockerfile", "."), [AMD64, ARM64], repo, builder=None, registry_ref=str(ref), timeout=120
    )

    with RegistryClient(total_budget=20) as client:
        answer = client.lookup(ref)
    assert isinstance(answer, ImagePlatforms), answer
    assert answer.is_index
    assert answer.digest == digest
    assert answer.platforms == (AMD64, ARM64)


def test_buildx_available_names_what_is_missing(
    docker_sandbox: DockerSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert buildx_available(None, [AMD64, ARM64]) is None
    s390x = Platform.parse("linux/s390x")
    lacking = buildx_available(None, [ARM64, s390x])
    assert lacking is not None
    assert lacking.startswith("the current buildx builder cannot build linux/s390x (it lists ")
    missing = buildx_available("no-such-builder")
    assert missing is not None
    assert 'no builder "no-such-builder" found' in missing

    # A builder defined in the user's buildx directory is found although DOCKER_CONFIG is emptied.
    monkeypatch.setenv("BUILDX_CONFIG", str(tmp_path / "buildx"))
    create = [
        str(DOCKER_CLI),
        "buildx",
        "create",
        "--name",
        "farm-arm64",
        "--driver",
        "remote",
        "tcp://127.0.0.1:9",
    ]
    proc.run(create, timeout=30, env=dict(os.environ))
    with scrubbed_env() as (env, _):
        listed = proc.run([str(DOCKER_CLI), "buildx", "inspect", "farm-arm64"], timeout=30, env=env).out
    assert "Driver:        remote" in listed

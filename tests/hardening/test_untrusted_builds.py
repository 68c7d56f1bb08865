"""Untrusted Dockerfiles built through the bot's own build path, on the real engine.

A Dockerfile that hunts for the bot's secrets (its environment, every process's environ, docker and git
credential files, mounted sockets, the build context's parent, a symlink out of the context) writes what
it finds into the image; every byte of the image is then searched. A RUN step cannot reach the local
GitHub's admin endpoint on 127.0.0.1 (while a build given the host's network can: the control). A build
past ``timeouts.build`` is killed and reported as a timeout; a smoke run past its memory limit is
killed and said so.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import os
import tarfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import docker
import docker.errors
import pytest

from bot import proc
from bot.build.buildx import buildx_build_argv
from bot.build.cgroup import CGROUP_ROOT, build_cgroup, cgroup_name, remove_cgroup
from bot.build.run import build_platform, scrubbed_env
from bot.build.smoke import smoke_run
from bot.config import config_from_mapping
from bot.forge import github as forge
from bot.forge.publish import Forge
from bot.model import AMD64, BuildPlan, Outcome
from bot.outcome import Gate, RepoTarget, Verdict
from bot.pipeline import RunContext, run_repo
from bot.proc import register_secret
from bot.sandbox.engine import DOCKER_CLI
from bot.sandbox.github.server import LocalGitHub
from bot.scan.registry import RegistryClient
from tests.support.docker import DockerSandbox
from tests.support.images import checkout, docker_client, read_file
from tests.support.local_github import FAST

pytestmark = pytest.mark.docker


@pytest.fixture
def run_id() -> str:
    """Unique to the test: BuildKit's cache must not answer for an earlier run's step."""
    return uuid.uuid4().hex[:10]


@pytest.fixture
def client() -> Iterator[docker.DockerClient]:
    with docker_client() as opened:
        yield opened


def image_bytes(tag: str, tmp_path: Path) -> bytes:
    """Everything ``docker save`` holds for ``tag`` (config, manifests, every layer), layers decompressed."""
    archive = tmp_path / f"saved-{uuid.uuid4().hex[:6]}.tar"
    proc.run((str(DOCKER_CLI), "image", "save", "--output", str(archive), tag), timeout=120)
    chunks = []
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            handle = tar.extractfile(member)
            if handle is None:
                continue
            data = handle.read()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            chunks.append(data)
    archive.unlink()
    return b"\n".join(chunks)


_HUNT = """\
FROM {busybox}
ARG MULTIARCH_BOT_TOKEN
ARG GITHUB_TOKEN
ARG DOCKER_AUTH_CONFIG
ARG RUN_ID
RUN mkdir /loot && env > /loot/env && \\
    echo "args: $MULTIARCH_BOT_TOKEN $GITHUB_TOKEN $DOCKER_AUTH_CONFIG" >> /loot/env
RUN for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline /proc/1/root/proc/1/environ; do \\
      echo "== $f"; tr '\\0' '\\n' < "$f"; done > /loot/proc 2>&1; true
RUN cat /root/.docker/config.json "$HOME/.docker/config.json" "$HOME/.git-credentials" "$HOME/.netrc" \\
      /run/secrets/* > /loot/home 2>&1; true
RUN ls -la / /run /var/run /tmp /root /mnt > /loot/dirs 2>&1; cat /proc/mounts > /loot/mounts; \\
    for s in /var/run/docker.sock /run/docker.sock /run/containerd/containerd.sock \\
      /run/buildkit/buildkitd.sock; \\
      do [ -e "$s" ] && echo "socket $s"; done > /loot/sockets; true
COPY . /context
RUN cat /context/leak /context/../secret.txt > /loot/context 2>&1; true
"""


def test_a_dockerfile_hunting_for_the_bots_secrets_finds_none(
    docker_sandbox: DockerSandbox,
    client: docker.DockerClient,
    loaded: list[str],
    run_id: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token, decoy = f"ghp_planted{run_id}", f"decoy-secret-{run_id}"
    register_secret(decoy)
    auth = base64.b64encode(f"multiarch-bot:{token}".encode()).decode()
    registries = (docker_sandbox.registry.address, "ghcr.io")
    credentials = json.dumps({"auths": {registry: {"auth": auth} for registry in registries}})
    docker_config, home = tmp_path / "docker-config", tmp_path / "home"
    for directory in (docker_config, home / ".docker"):
        directory.mkdir(parents=True)
        (directory / "config.json").write_text(credentials)
    (home / ".git-credentials").write_text(f"https://x-access-token:{token}@github.com\n")
    (home / ".netrc").write_text(f"machine github.com login x password {token}\n")
    for name, value in {
        "MULTIARCH_BOT_TOKEN": token,
        "GITHUB_TOKEN": token,
        "DOCKER_AUTH_CONFIG": credentials,
        "DECOY_SECRET": decoy,
        "DOCKER_CONFIG": str(docker_config),
        "HOME": str(home),
    }.items():
        monkeypatch.setenv(name, value)
    work = tmp_path / "workspace"
    (work / "repo").mkdir(parents=True)
    (work / "secret.txt").write_text(f"{token} {decoy}\n")  # the context's parent: the bot's workspace
    (work / "repo" / "leak").symlink_to("../secret.txt")
    (work / "repo" / "Dockerfile").write_text(_HUNT.format(busybox=docker_sandbox.ref("library/busybox")))
    loaded.append(tag := f"multiarch-bot-verify/hunt-{run_id}:amd64")

    build = build_platform(
        BuildPlan("Dockerfile", ".", build_args=(("RUN_ID", run_id),)),
        AMD64,
        work / "repo",
        builder=None,
        timeout=180,
        tag=tag,
    )

    assert build.outcome is Outcome.PASSED, build.error
    # The hunt ran: each place was looked at, and what it found is in the image.
    assert "PATH=" in read_file(client, tag, "/loot/env")
    assert "== /proc/1/environ" in read_file(client, tag, "/loot/proc")
    assert read_file(client, tag, "/loot/sockets") == ""
    everything = image_bytes(tag, tmp_path)
    for secret in (token, decoy, auth, "x-access-token"):
        assert secret.encode() not in everything, secret

    ran = smoke_run(
        client,
        tag,
        AMD64,
        command=["sh", "-c", "env; tr '\\0' '\\n' < /proc/1/environ; ls /var/run /run; cat /loot/*"],
        timeout=30,
    )
    assert ran.outcome is Outcome.PASSED, ran.error
    assert ran.output_tail
    assert not [line for line in ran.output_tail if token in line or decoy in line or auth in line]


def test_a_run_step_cannot_reach_the_local_githubs_admin_endpoint(
    docker_sandbox: DockerSandbox,
    local_github: LocalGitHub,
    client: docker.DockerClient,
    loaded: list[str],
    run_id: str,
    tmp_path: Path,
) -> None:
    repo = checkout(
        tmp_path / "repo",
        f"FROM {docker_sandbox.ref('library/busybox')}\nARG RUN_ID\n"
        "RUN printf 'GET /_sandbox/health HTTP/1.0\\r\\n\\r\\n' "
        f"| nc -w 5 127.0.0.1 {local_github.port} > /answer; "
        "if grep -q '\"ok\": true' /answer; then echo reached > /result; "
        "else echo unreachable > /result; fi\n",
    )
    plan = BuildPlan("Dockerfile", ".", build_args=(("RUN_ID", run_id),))

    # The control: the same step given the host's network reaches the endpoint.
    loaded.append(control := f"multiarch-bot-verify/admin-control-{run_id}:amd64")
    with scrubbed_env() as (env, _):
        argv = buildx_build_argv(
            repo, platforms=[AMD64], tags=[control], build_args={"RUN_ID": run_id}, load=True, network="host"
        )
        proc.run(argv, timeout=120, env=env)
    assert read_file(client, control, "/result") == "reached\n"
    assert '"ok": true' in read_file(client, control, "/answer")

    loaded.append(tag := f"multiarch-bot-verify/admin-{run_id}:amd64")
    build = build_platform(plan, AMD64, repo, builder=None, timeout=120, tag=tag)
    assert build.outcome is Outcome.PASSED, build.error
    assert read_file(client, tag, "/result") == "unreachable\n"


def test_a_build_past_timeouts_build_is_killed_and_reported_as_a_timeout(
    docker_sandbox: DockerSandbox, local_github: LocalGitHub, run_id: str, tmp_path: Path
) -> None:
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    # a command after the sleep: busybox sh would otherwise exec the last one, and its command line would lose
    # the run id the test looks for
    dockerfile = f"FROM busybox:stable\nRUN echo {run_id} && sleep 300 && echo {run_id} done\n"
    (upstream / "Dockerfile").write_text(dockerfile)
    (upstream / "Makefile").write_text(
        "release:\n\tdocker build -t acme/slow:1 .\n\tdocker push acme/slow:1\n"
    )
    local_github.import_directory(upstream, "acme", "slow")
    token = local_github.add_user("multiarch-bot")
    config = config_from_mapping(
        {
            "registry_mirrors": {"docker.io": docker_sandbox.registry.address},
            "github": {"api_url": local_github.api_url},
            # the limit counts from buildx's start, BuildKit's queueing included: room for a busy engine
            "timeouts": {"build": 30},
        }
    )
    behaviour = replace(FAST, api_url=local_github.api_url)
    gh = forge.connect(token, behaviour)
    session = Forge(gh, token, forge.whoami(gh), config.github, behaviour)
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    started = time.monotonic()
    with (
        RegistryClient(mirrors=config.registry_mirrors, timeout=5, total_budget=20) as registry,
        ThreadPoolExecutor(1) as pool,
    ):
        context = RunContext(config, session, registry, workspace, Gate.BUILD)
        running = pool.submit(run_repo, RepoTarget("acme/slow"), context)
        try:
            step = _cgroups_of_step(run_id, until=time.monotonic() + 120)
        except AssertionError as missing:
            outcome = running.result()
            raise AssertionError(f"{missing}: {outcome.verdict} {outcome.reasons}") from None
        outcome = running.result()

    # the step ran under the bot's build cgroup: limits.build_memory_mb and build_pids held it
    assert f"/{cgroup_name(4096, 4096)}/" in step

    assert outcome.verdict is Verdict.FAILED, outcome.reasons
    assert any("timed out after 30s and was killed" in reason for reason in outcome.reasons), outcome.reasons
    assert outcome.verification is not None
    results = [result for build in outcome.verification.builds for result in build.platforms]
    assert results[0].build.outcome is Outcome.TIMEOUT
    assert time.monotonic() - started < 150  # each platform killed at 30 s, not the RUN step's 300 s
    deadline = time.monotonic() + 20
    while (left := _processes_mentioning(run_id)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert left == []  # the step's shell and the buildx plugin went with the killed build


def _cgroups_of_step(run_id: str, *, until: float) -> str:
    """The memory cgroup line of the RUN step that sleeps, once it runs."""
    while time.monotonic() < until:
        for found in _processes_mentioning(f"echo {run_id} && sleep"):
            pid = found.split(":", 1)[0]
            with contextlib.suppress(OSError):
                return next(
                    line
                    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines()
                    if ":memory:" in line
                )
        time.sleep(0.05)
    raise AssertionError("the build's RUN step never ran")


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            with contextlib.suppress(OSError):
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                if text in cmdline:
                    found.append(f"{entry.name}: {cmdline}")
    return found


def test_a_smoke_run_past_its_memory_limit_is_killed_and_said_so(
    docker_sandbox: DockerSandbox, client: docker.DockerClient, loaded: list[str], run_id: str, tmp_path: Path
) -> None:
    repo = checkout(
        tmp_path / "repo",
        f"FROM {docker_sandbox.ref('library/busybox')}\nARG RUN_ID\n"
        'CMD ["dd", "if=/dev/zero", "of=/dev/null", "bs=1500M", "count=1"]\n',
    )
    loaded.append(tag := f"multiarch-bot-verify/hungry-{run_id}:amd64")
    plan = BuildPlan("Dockerfile", ".", build_args=(("RUN_ID", run_id),))
    build = build_platform(plan, AMD64, repo, builder=None, timeout=120, tag=tag)
    assert build.outcome is Outcome.PASSED, build.error

    ran = smoke_run(client, tag, AMD64, command=["dd", "if=/dev/zero", "of=/dev/null", "bs=1500M", "count=1"])
    assert ran.outcome is Outcome.FAILED
    assert ran.error == "killed: out of memory (the smoke run's limit is 1 GiB)"


def test_run_steps_past_the_build_memory_limit_are_killed(
    docker_sandbox: DockerSandbox, loaded: list[str], run_id: str, tmp_path: Path
) -> None:
    # BuildKit's docker driver has no --memory; a cgroup given as --cgroup-parent is what it honours.
    parent, why_not = build_cgroup(64, 256, name=f"multiarch-bot-test-{run_id}")
    assert parent is not None, why_not
    try:
        repo = checkout(
            tmp_path / "repo",
            f"FROM {docker_sandbox.ref('library/busybox')}\nARG RUN_ID\n"
            "RUN dd if=/dev/zero of=/dev/null bs=200M count=1 && echo allocated > /result\n",
        )
        plan = BuildPlan("Dockerfile", ".", build_args=(("RUN_ID", run_id),))
        loaded.append(tag := f"multiarch-bot-verify/greedy-{run_id}:amd64")
        limited = build_platform(plan, AMD64, repo, builder=None, timeout=120, tag=tag, cgroup_parent=parent)
        assert limited.outcome is Outcome.FAILED
        assert "exit code 137: Killed" in limited.error  # SIGKILL: the kernel's OOM killer
        unlimited = build_platform(plan, AMD64, repo, builder=None, timeout=120, tag=tag)  # the control
        assert unlimited.outcome is Outcome.PASSED, unlimited.error
    finally:
        remove_cgroup(parent)
    assert not (CGROUP_ROOT / "memory" / parent.strip("/")).exists()


def test_the_build_cgroup_is_set_up_on_cgroup_v1_and_v2_and_refused_without_delegation(
    tmp_path: Path,
) -> None:
    v1 = tmp_path / "v1"
    for controller in ("memory", "pids"):
        (v1 / controller).mkdir(parents=True)
    assert build_cgroup(512, 100, root=v1, name="builds") == ("/builds", "")
    assert (v1 / "memory" / "builds" / "memory.limit_in_bytes").read_text() == str(512 << 20)
    assert (v1 / "pids" / "builds" / "pids.max").read_text() == "100"

    v2 = tmp_path / "v2"
    v2.mkdir()
    (v2 / "cgroup.controllers").write_text("cpu io memory pids\n")
    (v2 / "cgroup.subtree_control").write_text("cpu io memory pids\n")
    assert build_cgroup(512, 100, root=v2, name="builds") == ("/builds", "")
    assert [(v2 / "builds" / name).read_text() for name in ("memory.max", "memory.swap.max", "pids.max")] == [
        str(512 << 20),
        "0",
        "100",
    ]
    (v2 / "cgroup.subtree_control").write_text("cpu io\n")
    parent, why_not = build_cgroup(512, 100, root=v2, name="other")
    assert parent is None
    assert why_not == "the cgroup v2 root does not delegate the memory and pids controllers"

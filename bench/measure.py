"""The measurements: each one a few runs of real programs against the bench's GitHub and registry.

The bot runs as ``python -m bot run`` in a child process (the CLI a user runs, start-up included), so its
wall time, exit code and peak RSS (``wait4``'s rusage) are its own.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bench.fleet import Fleet
from bench.shapes import ROOT
from bot.sandbox.engine import DOCKER_CLI, docker_env
from bot.sandbox.registry import AccessLogEntry, LocalRegistry

EXAMPLES = ROOT / "bot" / "sandbox" / "examples"
NODE = "library/node:lts-alpine3.10"
PYTHON = "library/python:3.11-slim-bookworm"


@dataclass(frozen=True)
class BuildExample:
    """A repository whose multi-platform build is measured: the bot's verify path against a bare buildx."""

    name: str
    directory: Path
    base: str  # its FROM, served by the bench registry
    nonce_file: str  # gets a line of its own per copy, inside what the build COPYs


BUILD_EXAMPLES = {
    # the demo: each platform builds in about a second, so the bot's fixed costs dominate
    "azurite": BuildExample("azurite", EXAMPLES / "azurite", NODE, "src/bench-nonce.txt"),
    # a realistic one: byte-compiling Python's standard library, emulated for arm64
    "python-app": BuildExample("python-app", ROOT / "bench" / "examples" / "python-app", PYTHON, "app.py"),
}
BOT_ROOT = ROOT  # where ``python -m bot`` finds the bot: the checkout, or a snapshot of it


@dataclass(frozen=True)
class BotRun:
    seconds: float
    rss_mb: float
    code: int
    report: dict[str, Any]
    stderr_tail: str


def snapshot_bot(into: Path) -> Path:
    """A copy of ``bot/`` as it is now, which every run of this benchmark uses: a working tree that changes
    meanwhile (a new config key changes the settings' fingerprint) must not turn a rerun into a first run.
    """
    shutil.rmtree(into, ignore_errors=True)
    shutil.copytree(ROOT / "bot", into / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    global BOT_ROOT
    BOT_ROOT = into
    return into


def run_bot(config: Path, *extra: str, token: str, out: Path) -> BotRun:
    report = out.with_suffix(".json")
    argv = [sys.executable, "-m", "bot", "run", "--config", str(config), "--report-json", str(report), *extra]
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}
    env |= {"MULTIARCH_BOT_TOKEN": token, "NO_PROXY": "127.0.0.1,localhost", "PYTHONPATH": str(BOT_ROOT)}
    with out.with_suffix(".out").open("wb") as stdout, out.with_suffix(".err").open("wb") as stderr:
        started = time.perf_counter()
        child = subprocess.Popen(argv, env=env, cwd=BOT_ROOT, stdout=stdout, stderr=stderr)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    document = json.loads(report.read_text()) if report.exists() else {}
    tail = " | ".join(out.with_suffix(".err").read_text(errors="replace").strip().splitlines()[-3:])
    return BotRun(round(seconds, 2), round(usage.ru_maxrss / 1024, 1), child.returncode, document, tail)


def write_config(path: Path, fleet: Fleet, registry: LocalRegistry, **settings: Any) -> Path:
    config = {
        "targets": list(fleet.names),
        "registry_mirrors": {"docker.io": registry.address},
        "github": {"api_url": fleet.github.api_url},
        "sources": {"link_upstream_issues": False},
        **settings,
    }
    path.write_text(yaml.safe_dump(config))
    return path


def clone_floor(fleet: Fleet, work: Path) -> float:
    """Plain sequential ``git clone --depth 1`` of every upstream, each deleted after (as the bot does)."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(work),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    started = time.perf_counter()
    for index, name in enumerate(fleet.names):
        target = work / f"clone-{index}"
        subprocess.run(
            ["git", "clone", "--quiet", "--depth", "1", fleet.clone_url(name), str(target)],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        shutil.rmtree(target)
    return round(time.perf_counter() - started, 2)


def registry_counts(entries: Sequence[AccessLogEntry]) -> dict[str, int]:
    """Requests by kind: the ping, manifest HEADs and GETs, blob GETs, anything else."""
    counts: Counter[str] = Counter()
    for entry in entries:
        path = entry.path.split("?", 1)[0]
        if path == "/v2/":
            counts["ping"] += 1
        elif "/manifests/" in path:
            counts[f"manifest_{entry.method.lower()}"] += 1
        elif "/blobs/" in path:
            counts[f"blob_{entry.method.lower()}"] += 1
        else:
            counts["other"] += 1
    counts["total"] = len(entries)
    return dict(sorted(counts.items()))


def looked_up(entries: Sequence[AccessLogEntry]) -> list[str]:
    """The distinct references (``repository:tag``) whose manifests were asked for by tag."""
    refs = set()
    for entry in entries:
        path = entry.path.split("?", 1)[0]
        if "/manifests/" in path and entry.status == 200:
            repository, reference = path.removeprefix("/v2/").split("/manifests/", 1)
            if not reference.startswith("sha256:"):
                refs.add(f"{repository}:{reference}")
    return sorted(refs)


def skopeo_inspect(registry: LocalRegistry, refs: Sequence[str]) -> None:
    for ref in refs:
        subprocess.run(
            ["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{registry.address}/{ref}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
        )


def docker_manifest_inspect(registry: LocalRegistry, refs: Sequence[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-docker-config-") as config:
        env = os.environ | {"DOCKER_CONFIG": config}
        for ref in refs:
            subprocess.run(
                [str(DOCKER_CLI), "manifest", "inspect", "--insecure", f"{registry.address}/{ref}"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=True,
            )


def build_contexts(work: Path, example: BuildExample, count: int) -> list[Path]:
    """Copies of ``example``, each with its own nonce so no build reuses another's layers."""
    contexts = []
    for index in range(count):
        context = work / f"{example.name}-{index}"
        shutil.rmtree(context, ignore_errors=True)
        shutil.copytree(example.directory, context)
        with (context / example.nonce_file).open("a") as nonce:
            nonce.write(f"# bench nonce {secrets.token_hex(16)}\n")
        contexts.append(context)
    return contexts


def bare_build(context: Path, registry: LocalRegistry, base: str) -> float:
    """``docker buildx build`` of both platforms, loaded, with the base from the bench registry."""
    tag = f"multiarch-bench-bare:{secrets.token_hex(4)}"
    argv = [
        str(DOCKER_CLI),
        "buildx",
        "build",
        "--platform",
        "linux/amd64,linux/arm64",
        "--network",
        "none",
        "--build-context",
        f"docker.io/{base}=docker-image://{registry.address}/{base}",
        "--load",
        "--tag",
        tag,
        str(context),
    ]
    started = time.perf_counter()
    subprocess.run(argv, env=docker_env(), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - started
    subprocess.run([str(DOCKER_CLI), "image", "rm", tag], env=docker_env(), capture_output=True, check=False)
    return round(seconds, 2)

"""The benchmark's world: its own registry (so its access log counts only the benchmark's requests), a
local GitHub per fleet size, and a fleet of N synthetic upstreams drawn from ``shapes``."""

from __future__ import annotations

import random
import shutil
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.shapes import BASES, build_scripts, repo_files
from bot.sandbox.github.exchange import Exchange
from bot.sandbox.github.server import LocalGitHub
from bot.sandbox.registry import AccessLogEntry, LocalRegistry
from bot.sandbox.seed import push_image

OWNER = "upstream"
BOT = "multiarch-bot"


def push_bases(registry: LocalRegistry) -> int:
    """Every base of the pool, pushed over the distribution API (small deterministic images)."""
    for base in BASES:
        push_image(
            registry.url,
            base.repository,
            base.tag,
            base.platforms,
            index_type="oci" if base.index_type == "oci" else "docker",
            attestations=base.attestations,
            force_index=len(base.platforms) > 1,
        )
    return len(BASES)


@dataclass
class Traffic:
    """What the local GitHub served: REST exchanges (through its observer) and git clones."""

    api: list[str] = field(default_factory=list)
    clones: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def observe(self, exchange: Exchange) -> None:
        with self.lock:
            self.api.append(f"{exchange.method} {exchange.route or exchange.path}")

    def reset(self) -> None:
        with self.lock:
            self.api.clear()
            self.clones = 0


@dataclass
class Fleet:
    github: LocalGitHub
    names: list[str]  # owner/name of each upstream
    token: str  # the bot's
    traffic: Traffic
    seconds_to_make: float = 0.0

    def clone_url(self, name: str) -> str:
        return self.github.clone_url(name)


def start_fleet(state: Path, size: int, *, seed: int = 7) -> Fleet:
    """A fresh local GitHub holding ``size`` upstreams under ``upstream/``, and the bot's account."""
    shutil.rmtree(state, ignore_errors=True)
    traffic = Traffic()
    github = LocalGitHub.start(state / "github", observer=traffic.observe)
    _count_clones(github, traffic)
    token = github.add_user(BOT)
    github.add_user(OWNER)
    rng = random.Random(seed)  # noqa: S311 - a reproducible fleet, not a secret
    scripts = build_scripts()
    staging = state / "staging"
    names = []
    for index in range(size):
        name = f"service-{index:04d}"
        directory = staging / name
        _write(directory, repo_files(rng, index, scripts).items())
        github.import_directory(directory, OWNER, name)
        shutil.rmtree(directory)
        names.append(f"{OWNER}/{name}")
    return Fleet(github, names, token, traffic)


def _count_clones(github: LocalGitHub, traffic: Traffic) -> None:
    """Count each fetch's ref advertisement (one ``info/refs?service=git-upload-pack`` per clone)."""
    serve_git = github.dispatcher.git

    def counting(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").endswith("/info/refs") and "git-upload-pack" in environ.get(
            "QUERY_STRING", ""
        ):
            with traffic.lock:
                traffic.clones += 1
        return serve_git(environ, start_response)

    github.dispatcher.git = counting  # type: ignore[assignment]


def _write(directory: Path, files: Iterable[tuple[str, str]]) -> None:
    for path, text in files:
        target = directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def entries_since(registry: LocalRegistry, since: int) -> list[AccessLogEntry]:
    return registry.access_entries()[since:]

"""A blocked repository on a rerun: recalled without a clone while its blocking bases stay where they
were, processed again the moment one of them moves in its registry (the repository itself unchanged)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from bot.cache import RepoCache
from bot.config import config_from_mapping
from bot.forge import github as forge
from bot.forge.publish import Forge
from bot.model import AMD64
from bot.outcome import RepoOutcome, RepoTarget, Verdict
from bot.pipeline import RunContext, run_repo
from bot.recall import UNCHANGED
from bot.sandbox.github.server import LocalGitHub
from bot.sandbox.seed import push_image
from bot.scan.manifest_disk_cache import DiskManifestCache
from bot.scan.registry import RegistryClient
from tests.support.local_github import FAST
from tests.support.registry import SeededRegistry

pytestmark = pytest.mark.registry


def test_a_blocked_repository_is_rescanned_only_when_a_blocking_base_moves(
    registry: SeededRegistry, local_github: LocalGitHub, tmp_path: Path
) -> None:
    base = f"acme/legacy-{uuid.uuid4().hex[:8]}"  # this test's own: it moves it
    push_image(registry.local.url, base, "2.4", [AMD64])
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    (upstream / "Dockerfile").write_text(f"FROM {registry.address}/{base}:2.4\nCOPY tool.sh /tool\n")
    (upstream / "tool.sh").write_text("#!/bin/sh\necho tool\n")
    (upstream / "Makefile").write_text(
        "release:\n\tdocker build -t acme/tool:1 .\n\tdocker push acme/tool:1\n"
    )
    local_github.import_directory(upstream, "acme", "tool")
    token = local_github.add_user("multiarch-bot")
    api: list[str] = []
    local_github.observer = lambda exchange: api.append(f"{exchange.method} {exchange.path}")

    def run() -> tuple[RepoOutcome, list[tuple[str, str]]]:
        """One run of a fresh process's making: a new cache object over the same directory."""
        config = config_from_mapping({"github": {"api_url": local_github.api_url}})
        behaviour = replace(FAST, api_url=local_github.api_url)
        gh = forge.connect(token, behaviour)
        session = Forge(gh, token, forge.whoami(gh), config.github, behaviour)
        api.clear()
        since = len(registry.access_entries())
        manifests = DiskManifestCache(tmp_path / "cache" / "manifests")
        with RegistryClient(timeout=5, total_budget=20, manifest_cache=manifests) as registry_client:
            cache = RepoCache(tmp_path / "cache")
            context = RunContext(config, session, registry_client, tmp_path, cache=cache, fingerprint="v1")
            outcome = run_repo(RepoTarget("acme/tool"), context)
        asked = [(e.method, e.path) for e in registry.access_entries()[since:] if base in e.path]
        return outcome, asked

    first, _ = run()
    assert first.verdict is Verdict.BLOCKED, first.reasons
    assert first.scan is not None
    assert any("missing-arm64" in reason for reason in first.reasons)

    again, asked = run()
    assert (again.verdict, again.reasons[0], again.scan) == (Verdict.BLOCKED, UNCHANGED, None)
    assert again.reasons[1:] == first.reasons
    assert [r for r in api if r != "GET /user"] == ["GET /repos/acme/tool"]  # no clone, no other call
    assert asked == [("HEAD", f"/v2/{base}/manifests/2.4")]  # the one blocking base, its digest only

    # the vendor republishes 2.4 (still amd64 only, a new digest): the bot must look again
    push_image(registry.local.url, base, "2.4", [AMD64], force_index=True)
    moved, _ = run()
    assert moved.verdict is Verdict.BLOCKED
    assert moved.reasons[0] != UNCHANGED  # cloned and scanned again
    assert moved.scan is not None
    settled, _ = run()
    assert settled.reasons[0] == UNCHANGED  # and remembered with the new digest

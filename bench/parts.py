"""The benchmark's parts, each returning plain figures (JSON-ready dicts)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from bench.fleet import OWNER, Fleet, Traffic, entries_since, start_fleet
from bench.measure import (
    BuildExample,
    bare_build,
    build_contexts,
    clone_floor,
    docker_manifest_inspect,
    looked_up,
    registry_counts,
    run_bot,
    skopeo_inspect,
    write_config,
)
from bot.sandbox.github.server import LocalGitHub
from bot.sandbox.registry import LocalRegistry


def fleet_part(
    size: int, registry: LocalRegistry, work: Path, *, compare_tools: bool, rerun: bool
) -> dict[str, Any]:
    """Scan vs the clone floor, registry requests cold and warm (and other tools'), rerun, RSS."""
    started = time.perf_counter()
    fleet = start_fleet(work / "fleet", size)
    figures: dict[str, Any] = {"size": size, "make_fleet_s": round(time.perf_counter() - started, 2)}
    try:
        figures["floor_s"] = clone_floor(fleet, _fresh(work / "clones"))
        figures |= _scan(fleet, registry, work, compare_tools=compare_tools)
        figures["rerun"] = _rerun(fleet, registry, work) if rerun else None
    finally:
        fleet.github.stop()
    return figures


def _scan(fleet: Fleet, registry: LocalRegistry, work: Path, *, compare_tools: bool) -> dict[str, Any]:
    cache = _fresh(work / "scan-cache")
    config = write_config(work / "scan.yaml", fleet, registry, cache_dir=str(cache))
    since = len(registry.access_entries())
    cold = run_bot(config, "--dry-run=scan", token=fleet.token, out=work / "scan-cold")
    cold_entries = entries_since(registry, since)
    since += len(cold_entries)
    warm = run_bot(config, "--dry-run=scan", token=fleet.token, out=work / "scan-warm")
    warm_entries = entries_since(registry, since)
    refs = looked_up(cold_entries)
    verdicts = cold.report.get("counts", {})
    scan: dict[str, Any] = {
        "scan_cold_s": cold.seconds,
        "scan_warm_s": warm.seconds,
        "scan_exit": cold.code,
        "scan_verdicts": verdicts,
        "scan_rss_mb": max(cold.rss_mb, warm.rss_mb),
        "distinct_refs": len(refs),
        "registry": {"bot_cold": registry_counts(cold_entries), "bot_warm": registry_counts(warm_entries)},
    }
    if cold.code not in (0, 1) or sum(verdicts.values()) != len(fleet.names):
        raise RuntimeError(f"the scan run did not finish (exit {cold.code}): {cold.stderr_tail}")
    if compare_tools:
        since = len(registry.access_entries())
        skopeo_inspect(registry, refs)
        scan["registry"]["skopeo"] = registry_counts(entries_since(registry, since))
        since = len(registry.access_entries())
        docker_manifest_inspect(registry, refs)
        scan["registry"]["docker_manifest_inspect"] = registry_counts(entries_since(registry, since))
    return scan


def _rerun(fleet: Fleet, registry: LocalRegistry, work: Path) -> dict[str, Any]:
    """A full run (no dry run: only full runs recall outcomes) and the same run again, nothing changed.

    The first run builds every repository that needs a change, for real; the fleet's bases are tiny
    images without a shell, so most builds fail fast (``failed``, remembered like any other verdict).
    """
    cache = _fresh(work / "run-cache")
    config = write_config(work / "run.yaml", fleet, registry, cache_dir=str(cache))
    fleet.traffic.reset()
    first = run_bot(config, token=fleet.token, out=work / "run-first")
    errors = [o for o in first.report.get("outcomes", []) if o.get("verdict") == "error"]
    if errors or first.code not in (0, 1):  # errors are never remembered: the rerun would mean nothing
        why = errors[0]["reasons"][:1] if errors else first.stderr_tail
        raise RuntimeError(f"the full run ended in {len(errors)} errors (exit {first.code}): {why}")
    first_api, first_clones = len(fleet.traffic.api), fleet.traffic.clones
    fleet.traffic.reset()
    again = run_bot(config, token=fleet.token, out=work / "run-again")
    size = len(fleet.names)
    outcomes = again.report.get("outcomes", [])
    recloned = [o["repo"] for o in outcomes if "unchanged since the last run" not in o["reasons"]]
    return {
        "first_s": first.seconds,
        "first_exit": first.code,
        "first_api_requests": first_api,
        "first_clones": first_clones,
        "first_verdicts": first.report.get("counts", {}),
        "again_s": again.seconds,
        "again_exit": again.code,
        "again_api_requests": len(fleet.traffic.api),
        "again_api_per_repo": round(len(fleet.traffic.api) / size, 3),
        "again_api_kinds": _kinds(fleet.traffic),
        "again_clones": fleet.traffic.clones,
        "again_processed_again": len(recloned),
        "again_verdicts": again.report.get("counts", {}),
        "again_over_first": round(again.seconds / first.seconds, 3) if first.seconds else None,
        "rss_mb": max(first.rss_mb, again.rss_mb),
    }


def build_part(registry: LocalRegistry, work: Path, example: BuildExample) -> dict[str, Any]:
    """One example: the bot's verify path end to end vs the bare buildx build of the same context."""
    work = work / example.name
    warmup, bare_context, bot_context = build_contexts(_fresh(work / "contexts"), example, 3)
    bare_build(warmup, registry, example.base)  # pulls the base into BuildKit once, for both measured builds
    bare = bare_build(bare_context, registry, example.base)
    traffic = Traffic()
    github = LocalGitHub.start(_fresh(work / "github"), observer=traffic.observe)
    try:
        token = github.add_user("multiarch-bot")
        github.import_directory(bot_context, OWNER, example.name)
        fleet = Fleet(github, [f"{OWNER}/{example.name}"], token, traffic)
        config = write_config(work / "build.yaml", fleet, registry, cache_dir=None)
        bot = run_bot(config, "--dry-run=build", token=token, out=work / "build-bot")
    finally:
        github.stop()
    verdicts = bot.report.get("counts", {})
    if verdicts != {"verified": 1}:
        raise RuntimeError(
            f"the bot did not verify {example.name} ({verdicts}, exit {bot.code}): {bot.stderr_tail}"
        )
    return {
        "example": example.name,
        "bare_s": bare,
        "bot_s": bot.seconds,
        "overhead": round(bot.seconds / bare - 1, 3),
        "bot_rss_mb": bot.rss_mb,
    }


def _kinds(traffic: Traffic) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for request in traffic.api:
        kinds[request] = kinds.get(request, 0) + 1
    return dict(sorted(kinds.items(), key=lambda item: -item[1]))


def _fresh(directory: Path) -> Path:
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    return directory

"""The figures as JSON, a Markdown table, and (when matplotlib is installed) a plot of time vs N."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCHEMA = "multiarch-bot/bench/v1"
_RERUN = (
    "first_s",
    "again_s",
    "again_over_first",
    "again_api_per_repo",
    "again_clones",
    "again_processed_again",
)


def write_reports(results: dict[str, Any], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "bench.json", out / "bench.md"]
    written[0].write_text(json.dumps({"schema": SCHEMA, **results}, indent=2) + "\n")
    written[1].write_text(markdown(results))
    plot = _plot(results, out / "bench.png")
    return [*written, *([plot] if plot else [])]


def markdown(results: dict[str, Any]) -> str:
    machine = results["machine"]
    lines = [
        f"multiarch-bot benchmark, {machine['date']}: {machine['cores']} cores, {machine['memory_gb']} GB, "
        f"Python {machine['python']}",
        "",
        "| N | clone floor s | scan s (cold / warm) | scan ÷ floor (cold / warm) | peak RSS MB |"
        " full run s (first / again) | again ÷ first | API req/repo again | clones again (of re-processed) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in results["sizes"]:
        rerun = size["rerun"] or dict.fromkeys(_RERUN, "-") | {"rss_mb": 0}
        lines.append(
            f"| {size['size']} | {size['floor_s']} | {size['scan_cold_s']} / {size['scan_warm_s']} "
            f"| {_ratio(size['scan_cold_s'], size['floor_s'])} "
            f"/ {_ratio(size['scan_warm_s'], size['floor_s'])} "
            f"| {max(size['scan_rss_mb'], rerun['rss_mb'])} | {rerun['first_s']} / {rerun['again_s']} "
            f"| {rerun['again_over_first']} | {rerun['again_api_per_repo']} "
            f"| {rerun['again_clones']} of {rerun['again_processed_again']} |"
        )
    lines += ["", "Registry requests per distinct image reference (the fleet's bases, looked up by tag):", ""]
    lines += [
        "| N | refs | bot cold | bot warm (cached digests) | manifest GETs warm | skopeo --raw |"
        " docker manifest inspect |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in results["sizes"]:
        registry, refs = size["registry"], size["distinct_refs"]
        lines.append(
            f"| {size['size']} | {refs} | {_per(registry['bot_cold'], refs)} "
            f"| {_per(registry['bot_warm'], refs)} "
            f"| {registry['bot_warm'].get('manifest_get', 0)} | {_per(registry.get('skopeo'), refs)} "
            f"| {_per(registry.get('docker_manifest_inspect'), refs)} |"
        )
    builds = results.get("builds") or []
    if "build" in results:  # a file of the first version: azurite only
        builds = [{"example": "azurite", **results["build"]}]
    if builds:
        lines += [
            "",
            "| build, linux/amd64 + linux/arm64 | bare buildx s | bot verify path s | overhead |",
            "|---|---:|---:|---:|",
        ]
        lines += [
            f"| {build['example']} | {build['bare_s']} | {build['bot_s']} | {build['overhead']:+.1%} "
            f"({build['bot_s'] - build['bare_s']:+.1f} s) |"
            for build in builds
        ]
    return "\n".join(lines) + "\n"


def _ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}" if denominator else "-"


def _per(counts: dict[str, int] | None, refs: int) -> str:
    if not counts or not refs:
        return "-"
    return f"{counts['total'] / refs:.2f}"


def _plot(results: dict[str, Any], path: Path) -> Path | None:
    try:
        import matplotlib  # type: ignore[import-not-found, unused-ignore]  # optional: the bench extra

        matplotlib.use("Agg")
        from matplotlib import pyplot  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None
    sizes = [s["size"] for s in results["sizes"]]
    figure, axes = pyplot.subplots(figsize=(5, 3.2))
    for key, label in (
        ("floor_s", "git clone --depth 1"),
        ("scan_cold_s", "bot scan, cold"),
        ("scan_warm_s", "bot scan, warm"),
    ):
        axes.plot(sizes, [s[key] for s in results["sizes"]], marker="o", label=label)
    reruns = [(s["size"], s["rerun"]["again_s"]) for s in results["sizes"] if s["rerun"]]
    axes.plot([n for n, _ in reruns], [t for _, t in reruns], marker="o", label="bot rerun")
    axes.set_xlabel("repositories (N)")
    axes.set_ylabel("seconds")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
    return path

"""The benchmark harness as a smoke test: every figure is produced (their values are not asserted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.__main__ import main
from tests.support.docker import DockerSandbox

pytestmark = pytest.mark.docker

SIZES = (10, 50)  # the full run and its rerun build, so only at the smaller size: 60-90 s in all


def test_the_benchmark_produces_every_figure(
    docker_sandbox: DockerSandbox,  # the engine, held by this test session while the bench builds
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    out = tmp_path / "bench"

    sizes = ",".join(map(str, SIZES))
    # the demo's build only: the realistic one (python-app) takes minutes of emulated arm64
    argv = ["--sizes", sizes, "--rerun-max", str(SIZES[0]), "--out", str(out), "--builds", "azurite"]
    assert main(argv) == 0

    results = json.loads((out / "bench.json").read_text())
    assert results["schema"] == "multiarch-bot/bench/v1"
    assert [fleet["size"] for fleet in results["sizes"]] == list(SIZES)
    for fleet in results["sizes"]:
        for figure in ("floor_s", "scan_cold_s", "scan_warm_s", "scan_rss_mb", "distinct_refs"):
            assert fleet[figure] > 0, figure
        assert sum(fleet["scan_verdicts"].values()) == fleet["size"]
        registry = fleet["registry"]
        for tool in ("bot_cold", "bot_warm", "skopeo", "docker_manifest_inspect"):
            assert registry[tool]["total"] > 0, tool
        assert registry["bot_warm"].get("manifest_get", 0) == 0  # the digests are cached on disk
    rerun = results["sizes"][0]["rerun"]
    for figure in ("first_s", "again_s", "again_over_first", "again_api_per_repo", "rss_mb"):
        assert rerun[figure] > 0, figure
    assert sum(rerun["again_verdicts"].values()) == SIZES[0]
    assert rerun["again_clones"] == rerun["again_processed_again"]
    assert results["sizes"][1]["rerun"] is None
    (build,) = results["builds"]
    assert build["example"] == "azurite"
    for figure in ("bare_s", "bot_s", "bot_rss_mb"):
        assert build[figure] > 0, figure
    assert "overhead" in build
    table = (out / "bench.md").read_text()
    assert all(f"| {size} |" in table for size in SIZES)
    assert "overhead" in table
    assert table in capsys.readouterr().out

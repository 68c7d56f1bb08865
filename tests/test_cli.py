"""The `scan` command: exit codes, text and JSON reports, git URLs, bad arguments."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from bot import cli
from bot.report.scan import SCAN_SCHEMA
from tests.support.registry import SeededRegistry

EXAMPLES = Path(__file__).parents[1] / "bot" / "sandbox" / "examples"


@pytest.fixture
def config(registry: SeededRegistry, tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(f"registry_mirrors:\n  docker.io: {registry.address}\nregistry: {{budget: 5}}\n")
    return path


@pytest.fixture(autouse=True)
def no_docker_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))


@pytest.mark.registry
def test_scan_prints_tables_build_paths_and_the_verdict(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["scan", str(EXAMPLES / "azurite"), "--config", str(config)])
    out = capsys.readouterr().out
    assert code == 10
    assert "node:lts-alpine3.10" in out
    assert "multi-arch" in out
    assert "package.json" in out
    assert "docker:build" in out
    assert "via npm run docker:build" in out
    assert "Verdict: needs-script-changes" in out


@pytest.mark.registry
def test_json_report_follows_the_versioned_schema(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["scan", str(EXAMPLES / "amd64-only"), "--config", str(config), "--json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 11
    assert document["schema"] == SCAN_SCHEMA
    assert document["readiness"] == "blocked"
    assert document["images"][0]["verdict"]["status"] == "not-found"
    assert set(document) == {
        "schema", "root", "wanted", "readiness", "reasons", "dockerfiles", "images", "build_paths", "hazards",
        "problems",
    }  # fmt: skip


@pytest.mark.registry
def test_platform_flag_narrows_what_is_wanted(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Dockerfile").write_text("FROM acme/amd64-only:1.0\n")
    code = cli.main(["scan", str(tmp_path), "--config", str(config), "--platform", "linux/amd64", "--json"])
    document = json.loads(capsys.readouterr().out)
    assert document["wanted"] == ["linux/amd64"]
    assert code == 10  # the base has amd64; only the (missing) build script remains


@pytest.mark.registry
def test_git_url_is_cloned_shallowly_and_scanned(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = shutil.copytree(EXAMPLES / "azurite", tmp_path / "work")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=work, check=True)
    subprocess.run([*git, "add", "-A"], cwd=work, check=True)
    subprocess.run([*git, "commit", "-qm", "one"], cwd=work, check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "two"], cwd=work, check=True)
    code = cli.main(["scan", f"file://{work}", "--config", str(config), "--json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 10
    assert document["root"] == f"file://{work}"
    assert {bp["name"] for bp in document["build_paths"]} >= {"docker:build"}


def test_clone_failure_exits_1_with_a_redacted_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["scan", "http://user:s3cret-token@127.0.0.1:9/o/r.git"])
    err = capsys.readouterr().err
    assert code == 1
    assert "cannot clone" in err
    assert "s3cret-token" not in err


def test_bad_platform_exits_2_before_doing_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["scan", str(tmp_path), "--platform", "linux/arm65"])
    assert code == 2
    assert "'linux/arm65' is not a platform" in capsys.readouterr().err


def test_invalid_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("platforms: [linux/amd64, linux/arm65]\n")
    assert cli.main(["scan", str(tmp_path), "--config", str(config)]) == 2
    assert "platforms[1]" in capsys.readouterr().err


def test_missing_path_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["scan", str(tmp_path / "absent")]) == 1
    assert "not a directory" in capsys.readouterr().err

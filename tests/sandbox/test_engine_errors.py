"""A missing piece of the engine is an error that names it and how to get it, before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.sandbox import engine
from bot.sandbox.engine import EngineError, ensure_engine, stop_engine


def test_missing_docker_cli_names_the_package_and_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "DOCKER_CLI", tmp_path / "docker")
    with pytest.raises(
        EngineError, match=r"docker is missing \(Debian package docker-cli from trixie\): run scripts/setup"
    ):
        ensure_engine(tmp_path / "state")


def test_missing_buildx_plugin_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cli = tmp_path / "docker"
    cli.write_text("#!/bin/sh\necho \"docker: 'buildx' is not a docker command.\" >&2\nexit 1\n")
    cli.chmod(0o755)
    monkeypatch.setattr(engine, "DOCKER_CLI", cli)
    monkeypatch.setattr(engine, "DOCKERD", cli)
    with pytest.raises(
        EngineError,
        match=r"^buildx plugin missing \(Debian package docker-buildx from trixie\): run scripts/setup",
    ):
        ensure_engine(tmp_path / "state")


def test_stop_engine_leaves_a_process_it_did_not_start_alone(tmp_path: Path) -> None:
    (tmp_path / "dockerd.pid").write_text("1\n")  # pid 1 is not a dockerd: a stale or foreign pid file
    assert stop_engine(tmp_path) is False
    assert not (tmp_path / "dockerd.pid").exists()

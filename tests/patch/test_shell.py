"""The shell-script patcher, on golden scripts."""

from __future__ import annotations

import pytest

from bot.model import DEFAULT_PLATFORMS
from bot.patch import shell
from bot.patch.base import Edited, PatchContext, PatchResult, Refused, Unchanged
from bot.scan.paths.shell import find
from tests.patch.golden_cases import Case, cases, golden_params, run

CASES = cases("shell")


@pytest.mark.parametrize(("case", "how"), golden_params(CASES))
def test_golden(case: Case, how: str) -> None:
    run(case, how, "release.sh", find, shell.patch)


def _patch(text: str) -> PatchResult:
    return shell.patch("build.sh", text, PatchContext(DEFAULT_PLATFORMS, tuple(find("build.sh", text))))


def test_a_script_without_builds_is_unchanged() -> None:
    assert _patch("#!/bin/sh\necho hi\n") == Unchanged()


def test_a_push_in_a_pipeline_is_refused_rather_than_guessed() -> None:
    result = _patch("docker build -t a .\ndocker push a | tee log\n")
    assert isinstance(result, Refused)


def test_a_build_that_already_pushes_only_gains_platforms() -> None:
    result = _patch("docker buildx build -t a --push .\n")
    assert isinstance(result, Edited)
    assert result.text == "docker buildx build --platform linux/amd64,linux/arm64 -t a --push .\n"


def test_a_pinned_platform_is_left_alone() -> None:
    result = _patch("docker buildx build --platform linux/amd64 -t a --push .\n")
    assert isinstance(result, Unchanged)
    assert [item.reason for item in result.left_alone] == [
        "pins --platform linux/amd64; left as the project chose"
    ]

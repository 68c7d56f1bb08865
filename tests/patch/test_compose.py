"""The Compose patcher, on golden compose files."""

from __future__ import annotations

import pytest

from bot.model import DEFAULT_PLATFORMS
from bot.patch import compose
from bot.patch.base import Edited, PatchContext, Unchanged
from bot.scan.paths.compose import find
from tests.patch.golden_cases import Case, cases, golden_params, run

CASES = cases("compose")


@pytest.mark.parametrize(("case", "how"), golden_params(CASES))
def test_golden(case: Case, how: str) -> None:
    run(case, how, "compose.yaml", find, compose.patch)


def test_a_compose_file_without_builds_is_unchanged() -> None:
    text = "services:\n  db:\n    image: postgres:16\n"
    assert compose.patch("compose.yaml", text, PatchContext(DEFAULT_PLATFORMS, ())) == Unchanged()


def test_a_short_build_on_the_last_line_without_a_final_newline() -> None:
    text = "services:\n  app:\n    image: acme/app\n    build: ."
    result = compose.patch("compose.yaml", text, PatchContext(DEFAULT_PLATFORMS, tuple(find("c.yaml", text))))
    assert isinstance(result, Edited)
    assert result.text == (
        "services:\n  app:\n    image: acme/app\n    build:\n      context: .\n"
        "      platforms: [linux/amd64, linux/arm64]"
    )


def test_platforms_beyond_the_wanted_ones_are_kept() -> None:
    text = "services:\n  app:\n    image: acme/app\n    build:\n      platforms: [linux/s390x]\n"
    result = compose.patch("compose.yaml", text, PatchContext(DEFAULT_PLATFORMS, tuple(find("c.yaml", text))))
    assert isinstance(result, Edited)
    assert "platforms: [linux/s390x, linux/amd64, linux/arm64]\n" in result.text

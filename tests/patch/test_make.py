"""The Makefile patcher, on golden Makefiles."""

from __future__ import annotations

import pytest

from bot.model import DEFAULT_PLATFORMS
from bot.patch import make
from bot.patch.base import Edited, PatchContext, Unchanged
from bot.scan.paths.make import find
from tests.patch.golden_cases import Case, cases, golden_params, run

CASES = cases("make")


@pytest.mark.parametrize(("case", "how"), golden_params(CASES))
def test_golden(case: Case, how: str) -> None:
    run(case, how, "Makefile", find, make.patch)


def test_a_makefile_without_builds_is_unchanged() -> None:
    text = "test:\n\tgo test ./...\n"
    assert (
        make.patch("Makefile", text, PatchContext(DEFAULT_PLATFORMS, tuple(find("Makefile", text))))
        == Unchanged()
    )


def test_a_continuation_on_the_last_line_is_read_not_crashed_on() -> None:
    text = "release:\n\tdocker build -t a . && docker push a \\\n"
    result = make.patch("Makefile", text, PatchContext(DEFAULT_PLATFORMS, tuple(find("Makefile", text))))
    assert isinstance(result, Edited)
    assert (
        result.text == "release:\n\tdocker buildx build --platform linux/amd64,linux/arm64 -t a --push . \\\n"
    )

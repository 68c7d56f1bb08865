"""The GitLab CI patcher, on golden pipelines."""

from __future__ import annotations

import pytest

from bot.model import DEFAULT_PLATFORMS
from bot.patch import gitlab_ci
from bot.patch.base import Edited, PatchContext, PatchResult, Refused, Unchanged
from bot.scan.paths.gitlab_ci import find
from tests.patch.golden_cases import Case, cases, golden_params, run

CASES = cases("gitlab-ci")
PATH = ".gitlab-ci.yml"


@pytest.mark.parametrize(("case", "how"), golden_params(CASES))
def test_golden(case: Case, how: str) -> None:
    run(case, how, PATH, find, gitlab_ci.patch)


def _patch(text: str) -> PatchResult:
    return gitlab_ci.patch(PATH, text, PatchContext(DEFAULT_PLATFORMS, tuple(find(PATH, text))))


def test_a_pipeline_without_builds_is_unchanged() -> None:
    assert _patch("test:\n  script:\n    - make test\n") == Unchanged()


def test_a_folded_build_item_is_refused_rather_than_guessed() -> None:
    result = _patch("b:\n  script:\n    - >\n      docker build -t a .\n    - docker push a\n")
    assert isinstance(result, Refused)


def test_an_escaped_quoted_build_item_is_refused() -> None:
    result = _patch('b:\n  script:\n    - "docker build -t \\"a\\" ."\n    - docker push a\n')
    assert isinstance(result, Refused)


def test_an_anchored_build_item_is_refused() -> None:
    text = "a:\n  script:\n    - &b docker build -t a .\n    - docker push a\nc:\n  script:\n    - *b\n"
    assert isinstance(_patch(text), Refused)


def test_an_existing_builder_is_not_set_up_again() -> None:
    text = "b:\n  script:\n    - docker buildx create --use\n    - docker build -t a .\n    - docker push a\n"
    result = _patch(text)
    assert isinstance(result, Edited)
    assert result.text == (
        "b:\n  script:\n    - docker buildx create --use\n"
        "    - docker buildx build --platform linux/amd64,linux/arm64 -t a --push .\n"
    )


def test_an_empty_last_item_does_not_crash() -> None:
    result = _patch("b:\n  script:\n    - docker build -t a .\n    -")
    assert isinstance(result, Unchanged)


def test_a_keep_chomped_block_elsewhere_in_the_job_does_not_block_the_patch() -> None:
    text = "b:\n  script:\n    - docker build -t a .\n    - docker push a\n    - |+\n      echo hi\n\n"
    result = _patch(text)
    assert isinstance(result, Edited)
    built = "    - docker buildx build --platform linux/amd64,linux/arm64 -t a --push .\n"
    assert built + "    - |+\n" in result.text

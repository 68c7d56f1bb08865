"""The Azure Pipelines patcher, on golden pipelines."""

from __future__ import annotations

import pytest

from bot.model import DEFAULT_PLATFORMS
from bot.patch import azure_pipelines
from bot.patch.base import Edited, PatchContext, PatchResult, Refused, Unchanged
from bot.scan.paths.azure_pipelines import find
from tests.patch.golden_cases import Case, cases, golden_params, run

CASES = cases("azure-pipelines")
PATH = "azure-pipelines.yml"


@pytest.mark.parametrize(("case", "how"), golden_params(CASES))
def test_golden(case: Case, how: str) -> None:
    run(case, how, PATH, find, azure_pipelines.patch)


def _patch(text: str) -> PatchResult:
    return azure_pipelines.patch(PATH, text, PatchContext(DEFAULT_PLATFORMS, tuple(find(PATH, text))))


def test_a_pipeline_without_builds_is_unchanged() -> None:
    assert _patch("steps:\n  - script: make test\n") == Unchanged()


def test_a_folded_build_step_is_refused_rather_than_guessed() -> None:
    result = _patch("steps:\n  - script: >\n      docker build -t a .\n  - script: docker push a\n")
    assert isinstance(result, Refused)


def test_an_existing_builder_is_not_set_up_again() -> None:
    text = (
        "steps:\n- script: docker buildx create --use\n"
        "- script: docker build -t a .\n- script: docker push a\n"
    )
    result = _patch(text)
    assert isinstance(result, Edited)
    assert result.text == (
        "steps:\n- script: docker buildx create --use\n"
        "- script: docker buildx build --platform linux/amd64,linux/arm64 -t a --push .\n"
    )

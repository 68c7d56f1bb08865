"""The package.json patcher, on golden package.json files."""

from __future__ import annotations

import json

import pytest

from bot.model import DEFAULT_PLATFORMS
from bot.patch import npm
from bot.patch.base import Edited, PatchContext, Unchanged
from bot.scan.paths.npm import find
from tests.patch.golden_cases import Case, cases, golden_params, run

CASES = cases("npm")


@pytest.mark.parametrize(("case", "how"), golden_params(CASES))
def test_golden(case: Case, how: str) -> None:
    run(case, how, "package.json", find, npm.patch)


def _patch(text: str) -> Edited | Unchanged:
    result = npm.patch(
        "package.json", text, PatchContext(DEFAULT_PLATFORMS, tuple(find("package.json", text)))
    )
    assert isinstance(result, Edited | Unchanged), result
    return result


def test_a_package_without_docker_scripts_is_unchanged() -> None:
    assert _patch('{"scripts": {"test": "jest"}}') == Unchanged()


def test_escaped_quotes_stay_escaped_and_the_file_reparses() -> None:
    text = '{"scripts": {"d": "docker build -f \\"docker/Dockerfile\\" -t a/b . && docker push a/b"}}'
    result = _patch(text)
    assert isinstance(result, Edited)
    script = json.loads(result.text)["scripts"]["d"]
    assert (
        script
        == 'docker buildx build --platform linux/amd64,linux/arm64 -f "docker/Dockerfile" -t a/b --push .'
    )
    assert '\\"docker/Dockerfile\\"' in result.text


def test_a_tag_then_push_adds_the_tag_to_the_build() -> None:
    script = "docker build -t a/b:1 . && docker tag a/b:1 a/b:latest && docker push a/b:latest"
    text = json.dumps({"scripts": {"r": script}})
    result = _patch(text)
    assert isinstance(result, Edited)
    script = json.loads(result.text)["scripts"]["r"]
    assert script == "docker buildx build --platform linux/amd64,linux/arm64 -t a/b:1 -t a/b:latest --push ."

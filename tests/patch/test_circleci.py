"""The CircleCI patcher, on golden configs."""

from __future__ import annotations

import pytest

from bot.model import DEFAULT_PLATFORMS
from bot.patch import circleci
from bot.patch.base import Edited, PatchContext, PatchResult, Refused, Unchanged
from bot.scan.paths.circleci import find
from tests.patch.golden_cases import Case, cases, golden_params, run

CASES = cases("circleci")
PATH = ".circleci/config.yml"


@pytest.mark.parametrize(("case", "how"), golden_params(CASES))
def test_golden(case: Case, how: str) -> None:
    run(case, how, PATH, find, circleci.patch)


def _patch(text: str) -> PatchResult:
    return circleci.patch(PATH, text, PatchContext(DEFAULT_PLATFORMS, tuple(find(PATH, text))))


def test_a_config_without_builds_is_unchanged() -> None:
    assert _patch("version: 2.1\njobs:\n  t:\n    steps:\n      - run: make test\n") == Unchanged()


def test_parameters_in_a_reusable_command_are_read_as_words_and_written_back_as_they_were() -> None:
    text = (
        "version: 2.1\ncommands:\n  publish:\n    steps:\n"
        "      - run: docker build --build-arg V=<< pipeline.parameters.v >> -t acme/nb:$CIRCLE_SHA1 .\n"
        "      - run: docker push acme/nb:$CIRCLE_SHA1\n"
    )
    result = _patch(text)
    assert isinstance(result, Edited)
    assert result.text.endswith(
        "    steps:\n      - run: |\n"
        "          docker run --privileged --rm tonistiigi/binfmt --install arm64\n"
        "          docker context create multiarch\n"
        "          docker buildx create --use multiarch\n"
        "      - run: docker buildx build --platform linux/amd64,linux/arm64"
        " --build-arg V=<< pipeline.parameters.v >> -t acme/nb:$CIRCLE_SHA1 --push .\n"
    )


def test_a_push_step_with_a_condition_is_refused_rather_than_dropped() -> None:
    text = (
        "jobs:\n  b:\n    machine: true\n    steps:\n      - run: docker build -t a .\n"
        "      - run:\n          command: docker push a\n          when: always\n"
    )
    result = _patch(text)
    assert isinstance(result, Refused)
    assert "has when" in result.reason


def test_an_existing_builder_is_not_set_up_again() -> None:
    text = (
        "jobs:\n  b:\n    machine: true\n    steps:\n      - run: docker buildx create --use\n"
        "      - run: docker build -t a .\n      - run: docker push a\n"
    )
    result = _patch(text)
    assert isinstance(result, Edited)
    assert result.text == (
        "jobs:\n  b:\n    machine: true\n    steps:\n      - run: docker buildx create --use\n"
        "      - run: docker buildx build --platform linux/amd64,linux/arm64 -t a --push .\n"
    )


def test_a_folded_command_is_refused_rather_than_guessed() -> None:
    text = (
        "jobs:\n  b:\n    machine: true\n    steps:\n      - run:\n          command: >\n"
        "            docker build -t a .\n      - run: docker push a\n"
    )
    result = _patch(text)
    assert isinstance(result, Refused)
    assert "does not map 1:1" in result.reason


def test_a_shared_anchored_step_is_refused() -> None:
    text = (
        "jobs:\n  a:\n    machine: true\n    steps:\n      - &build\n        run: docker build -t a .\n"
        "      - run: docker push a\n  c:\n    machine: true\n    steps:\n      - *build\n"
    )
    assert isinstance(_patch(text), Refused)


def test_the_orbs_build_step_in_a_job_is_left_alone() -> None:
    text = (
        "version: 2.1\norbs:\n  docker: circleci/docker@2.5.0\njobs:\n  b:\n    executor: docker/machine\n"
        "    steps:\n      - checkout\n      - docker/build:\n          image: acme/app\n"
    )
    result = _patch(text)
    assert isinstance(result, Unchanged)
    assert [item.line for item in result.left_alone] == [9]
    assert result.left_alone[0].reason == circleci.ORB

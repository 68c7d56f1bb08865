"""The GitHub Actions patcher, on golden workflows."""

from __future__ import annotations

import pytest

from bot.model import DEFAULT_PLATFORMS, Platform
from bot.patch import github_actions
from bot.patch.base import Edited, PatchContext, Refused, Unchanged
from bot.scan.paths.github_actions import find
from tests.patch.golden_cases import Case, cases, golden_params, run

CASES = cases("github-actions")


@pytest.mark.parametrize(("case", "how"), golden_params(CASES))
def test_golden(case: Case, how: str) -> None:
    path = f".github/workflows/{case.source.name}"
    run(case, how, path, find, github_actions.patch)


WORKFLOW = """\
jobs:
  image:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/build-push-action@v6
        with:
          push: true
"""


def test_a_file_without_publishing_build_steps_is_unchanged() -> None:
    text = "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n"
    result = github_actions.patch(
        "ci.yml", text, PatchContext(DEFAULT_PLATFORMS, tuple(find("ci.yml", text)))
    )
    assert result == Unchanged()


def test_the_step_the_scan_points_at_must_be_found() -> None:
    stale = tuple(find("w.yml", WORKFLOW))
    moved = "# a comment that moves every line\n" + WORKFLOW
    result = github_actions.patch("w.yml", moved, PatchContext(DEFAULT_PLATFORMS, stale))
    assert result == Unchanged()  # the pipeline passes the scan of this very text; a stale one finds nothing


def test_invalid_yaml_is_refused_not_patched() -> None:
    paths = tuple(find("w.yml", WORKFLOW))
    result = github_actions.patch("w.yml", WORKFLOW + "  bad: [\n", PatchContext(DEFAULT_PLATFORMS, paths))
    assert isinstance(result, Refused)
    assert "YAML" in result.reason


def patched(text: str) -> str:
    result = github_actions.patch("w.yml", text, PatchContext(DEFAULT_PLATFORMS, tuple(find("w.yml", text))))
    assert isinstance(result, Edited), result
    return result.text


def test_new_steps_follow_a_uses_then_name_order() -> None:
    text = WORKFLOW.replace(
        "      - uses: docker/build-push-action@v6\n",
        "      - uses: docker/build-push-action@v6\n        name: Push\n",
    )
    assert "      - uses: docker/setup-qemu-action@v3\n        name: Set up QEMU\n" in patched(text)


def test_a_sha_pinned_build_step_without_a_version_comment_gets_the_current_major() -> None:
    text = WORKFLOW.replace("@v6", "@" + "a" * 40)
    result = github_actions.patch("w.yml", text, PatchContext(DEFAULT_PLATFORMS, tuple(find("w.yml", text))))
    assert isinstance(result, Edited)
    assert "docker/setup-buildx-action@v4\n" in result.text
    assert any("not by commit SHA" in line for line in result.rationale)


def test_a_docker_driver_buildx_step_is_asked_about() -> None:
    text = WORKFLOW.replace(
        "      - uses: docker/build-push-action@v6\n",
        "      - uses: docker/setup-buildx-action@v3\n        with:\n          driver: docker\n"
        "      - uses: docker/build-push-action@v6\n",
    )
    result = github_actions.patch("w.yml", text, PatchContext(DEFAULT_PLATFORMS, tuple(find("w.yml", text))))
    assert isinstance(result, Edited)
    assert len(result.questions) == 1
    assert "driver: docker" in result.questions[0]


def test_inputs_shared_through_an_anchor_are_refused() -> None:
    text = (
        "x-inputs: &inputs\n  push: true\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: docker/build-push-action@v6\n        with: *inputs\n"
    )
    result = github_actions.patch("w.yml", text, PatchContext(DEFAULT_PLATFORMS, tuple(find("w.yml", text))))
    assert isinstance(result, Refused)
    assert "alias *inputs" in result.reason


def test_only_amd64_needs_no_emulation() -> None:
    only = (Platform.parse("linux/amd64"), Platform.parse("linux/386"))
    result = github_actions.patch("w.yml", WORKFLOW, PatchContext(only, tuple(find("w.yml", WORKFLOW))))
    assert isinstance(result, Edited)
    assert "setup-qemu-action" not in result.text
    assert "platforms: linux/amd64,linux/386" in result.text


def test_a_self_hosted_arm_runner_emulates_amd64() -> None:
    text = WORKFLOW.replace("runs-on: ubuntu-latest", "runs-on: [self-hosted, linux, ARM64]")
    result = github_actions.patch("w.yml", text, PatchContext(DEFAULT_PLATFORMS, tuple(find("w.yml", text))))
    assert isinstance(result, Edited)
    assert (
        "added docker/setup-qemu-action before step 1 of job 'image': linux/amd64 is emulated"
        in "\n".join(result.rationale)
    )


def test_an_empty_platforms_input_is_filled() -> None:
    text = WORKFLOW.replace("          push: true\n", "          platforms:\n          push: true\n")
    assert "          platforms: linux/amd64,linux/arm64\n" in patched(text)


RUN_STEPS = """\
jobs:
  image:
    runs-on: ubuntu-latest
    steps:
      - run: docker buildx create --use
      - run: docker build -t acme/app:1 .
      - run: docker push acme/app:1
{condition}"""


def _patch_runs(text: str) -> Edited | Refused | Unchanged:
    return github_actions.patch("w.yml", text, PatchContext(DEFAULT_PLATFORMS, tuple(find("w.yml", text))))


def test_a_run_step_that_creates_its_own_builder_gets_qemu_but_no_buildx_action() -> None:
    result = _patch_runs(RUN_STEPS.format(condition=""))
    assert isinstance(result, Edited)
    assert "setup-qemu-action" in result.text
    assert "setup-buildx-action" not in result.text
    assert "docker buildx build --platform linux/amd64,linux/arm64 -t acme/app:1 --push ." in result.text
    assert "docker push" not in result.text


def test_a_push_step_with_a_condition_is_refused_rather_than_dropped() -> None:
    result = _patch_runs(RUN_STEPS.format(condition="        if: github.ref == 'refs/heads/main'\n"))
    assert isinstance(result, Refused)
    assert "would have nothing left to run, but it has if" in result.reason

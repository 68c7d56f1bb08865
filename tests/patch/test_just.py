"""The justfile patcher, on golden justfiles."""

from __future__ import annotations

import pytest

from bot.model import DEFAULT_PLATFORMS
from bot.patch import just
from bot.patch.base import Edited, PatchContext, PatchResult, Refused, Unchanged
from bot.scan.paths.just import find
from tests.patch.golden_cases import Case, cases, golden_params, run

CASES = cases("just")
PATH = "justfile"


@pytest.mark.parametrize(("case", "how"), golden_params(CASES))
def test_golden(case: Case, how: str) -> None:
    run(case, how, PATH, find, just.patch)


def _patch(text: str) -> PatchResult:
    return just.patch(PATH, text, PatchContext(DEFAULT_PLATFORMS, tuple(find(PATH, text))))


def test_a_justfile_without_builds_is_unchanged() -> None:
    assert _patch("test:\n    cargo test\n") == Unchanged()


def test_a_build_after_a_blank_line_in_a_shebang_recipe_is_reported_at_its_own_line() -> None:
    text = "dev:\n    #!/bin/sh\n    set -e\n\n    docker build -t app:dev .\n    docker run --rm app:dev\n"
    result = _patch(text)
    assert isinstance(result, Unchanged)
    assert [(item.line, item.reason) for item in result.left_alone] == [
        (5, "local-only: its image is run here after the build")
    ]


def test_the_projects_own_platforms_setting_is_used_when_it_is_the_plans_list() -> None:
    text = (
        'image := "acme/a"\nplatforms := "linux/arm64,linux/amd64"\n\nr:\n    docker build -t {{ image }} .\n'
    )
    text += "    docker push {{ image }}\n"
    result = _patch(text)
    assert isinstance(result, Edited)
    assert result.text.endswith(
        "r:\n    docker buildx build --platform {{ platforms }} -t {{ image }} --push .\n"
    )
    assert result.text.startswith('image := "acme/a"\nplatforms := "linux/arm64,linux/amd64"\n\n')


def test_a_platforms_setting_with_another_list_is_not_used() -> None:
    text = 'image := "acme/a"\nplatforms := "linux/amd64"\n\nr:\n    docker build -t {{ image }} .\n'
    text += "    docker push {{ image }}\n"
    result = _patch(text)
    assert isinstance(result, Edited)
    assert "docker buildx build --platform linux/amd64,linux/arm64 -t {{ image }} --push .\n" in result.text
    assert result.text.count("platforms :=") == 1


def test_settings_the_builds_do_not_use_get_no_platforms_setting() -> None:
    text = 'python := "python3"\n\nr:\n    docker build -t acme/a .\n    docker push acme/a\n'
    result = _patch(text)
    assert isinstance(result, Edited)
    built = "    docker buildx build --platform linux/amd64,linux/arm64 -t acme/a --push .\n"
    assert result.text == 'python := "python3"\n\nr:\n' + built


def test_an_interpolation_with_spaces_and_quotes_stays_one_word() -> None:
    tag = '{{ "acme/a" + ":" + version }}'
    text = f"r:\n    docker build -t {tag} .\n    docker push {tag}\n"
    result = _patch(text)
    assert isinstance(result, Edited)
    assert result.text == (
        "r:\n    docker buildx build --platform linux/amd64,linux/arm64 "
        '-t {{ "acme/a" + ":" + version }} --push .\n'
    )


def test_recipes_run_by_powershell_are_refused_rather_than_read_as_sh() -> None:
    text = 'set shell := ["pwsh", "-c"]\n\nr:\n    docker build -t acme/a .\n    docker push acme/a\n'
    result = _patch(text)
    assert isinstance(result, Refused)
    assert "pwsh" in result.reason


def test_recipes_run_by_bash_are_rewritten() -> None:
    text = 'set shell := ["bash", "-uc"]\n\nr:\n    docker build -t acme/a .\n    docker push acme/a\n'
    assert isinstance(_patch(text), Edited)

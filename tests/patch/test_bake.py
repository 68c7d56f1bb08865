"""The bake patcher, on golden HCL and JSON bake files."""

from __future__ import annotations

import pytest

from bot.model import DEFAULT_PLATFORMS
from bot.patch import bake, hcl_spans, json_spans
from bot.patch.base import Edited, PatchContext, Refused
from bot.patch.spans import Unpatchable, splice
from bot.scan.paths.bake import find
from tests.patch.golden_cases import Case, cases, golden_params, run

CASES = cases("bake")


@pytest.mark.parametrize(("case", "how"), golden_params(CASES))
def test_golden(case: Case, how: str) -> None:
    run(case, how, f"docker-bake{case.source.suffix}", find, bake.patch)


def patched(text: str, path: str = "docker-bake.hcl") -> str:
    result = bake.patch(path, text, PatchContext(DEFAULT_PLATFORMS, tuple(find(path, text))))
    assert isinstance(result, Edited), result
    return result.text


def test_a_parent_is_not_used_when_a_target_inheriting_it_would_change_too() -> None:
    text = (
        'group "default" {\n  targets = ["a", "b"]\n}\ntarget "base" {\n  context = "."\n}\n'
        'target "a" {\n  inherits = ["base"]\n}\ntarget "b" {\n  inherits = ["base"]\n}\n'
        'target "c" {\n  inherits = ["base"]\n  output = ["type=docker"]\n}\n'
    )
    out = patched(text)
    assert out.count("platforms") == 2  # on a and b, not on the base that c also inherits
    assert 'target "base" {\n  context = "."\n}' in out


def test_the_later_parent_decides_which_list_is_widened() -> None:
    text = (
        'target "x" {\n  platforms = ["linux/amd64", "linux/arm64"]\n}\n'
        'target "y" {\n  platforms = ["linux/amd64"]\n}\n'
        'target "app" {\n  inherits = ["x", "y"]\n}\n'
    )
    assert 'target "y" {\n  platforms = ["linux/amd64", "linux/arm64"]\n}' in patched(text)


def test_an_empty_list_is_filled() -> None:
    assert 'platforms = ["linux/amd64", "linux/arm64"]' in patched('target "a" {\n  platforms = []\n}\n')


def test_duplicate_targets_are_refused() -> None:
    text = 'target "a" {\n  context = "."\n}\ntarget "a" {\n  context = "b"\n}\n'
    result = bake.patch("docker-bake.hcl", text, PatchContext(DEFAULT_PLATFORMS, tuple(find("x.hcl", text))))
    assert isinstance(result, Refused)
    assert "defined twice" in result.reason


def test_hcl_tokens_survive_templates_heredocs_and_comments() -> None:
    text = 'a = "x ${f("}")} y" // c {\nb = <<-EOT\n  }\n  EOT\n/* { */ c = 1\n'
    blocks_and_attrs = hcl_spans.tokenize(text)
    assert [t.text for t in blocks_and_attrs if t.kind == "string"] == ['"x ${f("}")} y"']
    assert [t.kind for t in blocks_and_attrs if t.kind == "heredoc"] == ["heredoc"]
    assert hcl_spans.parse('target "t" {\n  a = 1\n}\n')[0].attribute("a") is not None


@pytest.mark.parametrize("text", ['target "t" {\n  a = "open\n}\n', 'target "t" {\n', "/* never closed"])
def test_hcl_the_parser_does_not_understand_is_unpatchable(text: str) -> None:
    with pytest.raises(Unpatchable):
        hcl_spans.parse(text)


def test_json_lists_follow_the_files_separators() -> None:
    text = '{"a": {"b": ["x","y"]}, "c": {"d": 1}}'
    value = json_spans.parse(text)
    array = value.member("a")
    assert array is not None
    listed = array.member("b")
    assert listed is not None
    assert (
        splice(text, json_spans.extend_array(text, listed, ["z"]))
        == '{"a": {"b": ["x","y","z"]}, "c": {"d": 1}}'
    )
    assert json_spans.render_list(text, ["p", "q"], None) == '["p","q"]'

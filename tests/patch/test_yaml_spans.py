"""YAML edits located through the composer's marks."""

from __future__ import annotations

import pytest
import yaml

from bot.patch.spans import Span, Unpatchable, splice
from bot.patch.yaml_spans import (
    AliasNode,
    YamlText,
    compose_yaml,
    content_end,
    entry,
    indent_step,
    insert_entry,
    insert_items,
    lookup,
    node_at,
    replace_scalar,
    resolve,
    scalar,
)


def doc(text: str) -> YamlText:
    return compose_yaml(text, "test.yml")


def at(document: YamlText, *path: str | int) -> yaml.Node:
    found = node_at(document.root, *path)
    assert found is not None
    return found


def apply(document: YamlText, *spans: Span) -> str:
    return splice(document.text, spans)


STEP = """\
steps:
  - name: Build  # the image
    uses: docker/build-push-action@v6
    with:
      context: .   # root
      tags: |
        ghcr.io/acme/app:latest

      # push: true
  - run: echo done
"""


def test_insert_entry_after_a_key_keeps_its_trailing_comment_on_its_line() -> None:
    d = doc(STEP)
    out = apply(d, insert_entry(d, at(d, "steps", 0, "with"), ["platforms: linux/amd64"], after="context"))
    assert out == STEP.replace("# root\n", "# root\n      platforms: linux/amd64\n")


def test_insert_entry_at_the_end_goes_after_a_block_scalar_and_before_blank_lines_and_comments() -> None:
    d = doc(STEP)
    out = apply(d, insert_entry(d, at(d, "steps", 0, "with"), ["push: true"]))
    assert out == STEP.replace("app:latest\n", "app:latest\n      push: true\n")


def test_insert_entry_at_the_end_of_a_mapping_ending_in_a_nested_one() -> None:
    d = doc(STEP)
    out = apply(d, insert_entry(d, at(d, "steps", 0), ["id: build"]))
    assert out == STEP.replace("app:latest\n", "app:latest\n    id: build\n")


def test_insert_entry_after_an_empty_value() -> None:
    d = doc("a:\n  b:\n  c: 1\n")
    assert apply(d, insert_entry(d, at(d, "a"), ["x: 2"], after="b")) == "a:\n  b:\n  x: 2\n  c: 1\n"


def test_insert_entry_keeps_crlf_and_a_missing_final_newline() -> None:
    d = doc("with:\r\n  context: .\r\n  push: true")
    out = apply(d, insert_entry(d, at(d, "with"), ["platforms: linux/amd64"]))
    assert out == "with:\r\n  context: .\r\n  push: true\r\n  platforms: linux/amd64"


def test_insert_entry_refuses_a_flow_mapping() -> None:
    d = doc("with: {context: .}\n")
    with pytest.raises(Unpatchable, match="flow-style mapping"):
        insert_entry(d, at(d, "with"), ["push: true"])


def test_insert_entry_refuses_an_alias_and_a_shared_anchor() -> None:
    d = doc("base: &base\n  context: .\napp:\n  build: *base\n")
    alias = entry(at(d, "app"), "build")
    assert alias is not None
    assert isinstance(alias[1], AliasNode)
    with pytest.raises(Unpatchable, match=r"YAML alias \*base"):
        insert_entry(d, alias[1], ["platforms: [linux/amd64]"])
    with pytest.raises(Unpatchable, match="anchor that an alias reuses"):
        insert_entry(d, at(d, "base"), ["platforms: [linux/amd64]"])


def test_an_anchor_nobody_aliases_is_editable() -> None:
    d = doc("base: &base\n  context: .\n")
    assert apply(d, insert_entry(d, at(d, "base"), ["x: 1"])) == "base: &base\n  context: .\n  x: 1\n"


def test_merged_keys_are_read_but_not_edited_in_place() -> None:
    d = doc("x: &x\n  image: a\nsvc:\n  <<: *x\n  build: .\n")
    assert scalar(lookup(at(d, "svc"), "image")) == "a"
    assert scalar(lookup(at(d, "svc"), "build")) == "."
    assert entry(at(d, "svc"), "build") is not None
    with pytest.raises(Unpatchable, match="merge key"):
        entry(at(d, "svc"), "image")
    assert entry(at(d, "svc"), "platform") is None


def test_aliases_are_kept_where_written_and_resolved_for_reading() -> None:
    d = doc("a: &v 1\nb: *v\n")
    b = at(d, "b")
    assert isinstance(b, AliasNode)
    assert b.start_mark.line == 1
    assert scalar(b) == "1"
    assert resolve(b) is at(d, "a")


def test_compose_yaml_refuses_what_the_scan_refuses() -> None:
    with pytest.raises(Unpatchable, match="invalid YAML"):
        doc("a: [\n")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdef", "bcdefg", strict=True)
    )
    with pytest.raises(Unpatchable, match="alias bomb"):
        doc(bomb)


SEQUENCE = """\
steps:
  - uses: actions/checkout@v4

  # build it
  # and push it
  - name: Build
    uses: docker/build-push-action@v6
"""


def test_insert_items_goes_above_the_comments_introducing_the_item_and_keeps_blank_separators() -> None:
    d = doc(SEQUENCE)
    out = apply(d, insert_items(d, at(d, "steps"), [["name: QEMU", "uses: q@v3"]], before=1))
    assert out == SEQUENCE.replace("\n  # build it", "\n  - name: QEMU\n    uses: q@v3\n\n  # build it")


def test_insert_items_appends_in_the_spacing_of_the_list() -> None:
    text = "platforms:\n-   linux/amd64  # native\n"
    d = doc(text)
    out = apply(d, insert_items(d, at(d, "platforms"), [["linux/arm64"]]))
    assert out == text + "-   linux/arm64\n"


def test_insert_items_refuses_an_item_sharing_its_line_and_a_flow_list() -> None:
    d = doc("a: [x]\nb:\n- - x\n")
    with pytest.raises(Unpatchable, match="flow-style list"):
        insert_items(d, at(d, "a"), [["y"]])
    with pytest.raises(Unpatchable, match="shares its line"):
        insert_items(d, at(d, "b", 0), [["y"]], before=0)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("p: linux/amd64\n", "p: linux/amd64,linux/arm64\n"),
        ("p: 'linux/amd64'\n", "p: 'linux/amd64,linux/arm64'\n"),
        ('p: "linux/amd64" # x\n', 'p: "linux/amd64,linux/arm64" # x\n'),
        ("p: |\n    linux/amd64\nq: 1\n", "p: |\n    linux/amd64\n    linux/arm64\nq: 1\n"),
        ("p: |-\r\n  linux/amd64\r\n\r\nq: 1", "p: |-\r\n  linux/amd64\r\n  linux/arm64\r\n\r\nq: 1"),
        ("p: >\n  linux/amd64", "p: >\n  linux/amd64 linux/arm64"),
    ],
)
def test_replace_scalar_keeps_the_style(written: str, expected: str) -> None:
    d = doc(written)
    value = "linux/amd64\nlinux/arm64" if "|" in written else "linux/amd64,linux/arm64"
    value = "linux/amd64 linux/arm64" if ">" in written else value
    assert apply(d, replace_scalar(d, at(d, "p"), value)) == expected


def test_replace_scalar_quotes_a_plain_value_only_when_it_must() -> None:
    d = doc("p: x\n")
    assert apply(d, replace_scalar(d, at(d, "p"), "a: b")) == 'p: "a: b"\n'
    assert apply(d, replace_scalar(d, at(d, "p"), "true")) == 'p: "true"\n'


def test_replace_scalar_fills_an_empty_value() -> None:
    d = doc("p:\nq: 1\n")
    assert apply(d, replace_scalar(d, at(d, "p"), "linux/arm64")) == "p: linux/arm64\nq: 1\n"


def test_replace_scalar_refuses_keep_chomping_and_anchored_values() -> None:
    d = doc("p: |+\n  x\n\nq: &q y\n")
    with pytest.raises(Unpatchable, match="keeps blank lines"):
        replace_scalar(d, at(d, "p"), "z")
    with pytest.raises(Unpatchable, match="untagged"):
        replace_scalar(d, at(d, "q"), "z")


def test_content_end_skips_trailing_comments_after_a_collection() -> None:
    d = doc("a:\n  b: 1  # one\n  # later\nc: 2\n")
    assert d.text[: content_end(d, at(d, "a"))].endswith("b: 1")


@pytest.mark.parametrize(
    ("text", "step"), [("a:\n    b: 1\n", 4), ("a:\n  b:\n    c: 1\n", 2), ("a: 1\n", 2)]
)
def test_indent_step_is_the_files_own(text: str, step: int) -> None:
    assert indent_step(doc(text)) == step

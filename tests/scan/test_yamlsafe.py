"""Safe YAML/JSON loading: hostile input is refused with a clear InputError, never a crash."""

from __future__ import annotations

import pytest

from bot.errors import InputError
from bot.scan.yamlsafe import MAX_DEPTH, load_json, load_yaml, load_yaml_documents, load_yaml_with_lines

BILLION_LAUGHS = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
"""


def test_alias_bomb_is_refused_before_it_expands() -> None:
    with pytest.raises(InputError, match=r"bomb\.yml: .*alias bomb"):
        load_yaml(BILLION_LAUGHS, "bomb.yml")


def test_modest_aliases_load_normally() -> None:
    data = load_yaml("base: &base {image: alpine}\njob:\n  <<: *base\n  script: [make]\n", "ci.yml")
    assert data["job"] == {"image": "alpine", "script": ["make"]}


def test_self_referencing_alias_is_refused() -> None:
    with pytest.raises(InputError, match="refers to itself"):
        load_yaml("a: &a [*a]", "loop.yml")


def test_nesting_deeper_than_the_limit_is_refused() -> None:
    deep = "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)
    with pytest.raises(InputError, match="nested more than 100 levels"):
        load_yaml(deep, "deep.yml")


def test_invalid_yaml_names_file_and_line() -> None:
    with pytest.raises(InputError, match=r"^broken\.yml: invalid YAML at line 2"):
        load_yaml("a: [1, 2\nb: 3\n", "broken.yml")


def test_python_object_tags_are_refused() -> None:
    with pytest.raises(InputError):
        load_yaml("!!python/object/apply:os.system ['true']", "evil.yml")


def test_gitlab_reference_tag_loads_as_its_plain_list() -> None:
    assert load_yaml("script:\n  - !reference [.setup, script]\n", "ci.yml") == {
        "script": [[".setup", "script"]]
    }


def test_github_on_key_becomes_true_under_yaml_1_1() -> None:
    assert True in load_yaml("on: push\n", "wf.yml")


def test_single_document_loader_refuses_several_documents_clearly() -> None:
    with pytest.raises(InputError, match="several YAML documents"):
        load_yaml("a: 1\n---\nb: 2\n", "multi.yml")


def test_multi_document_files_load_every_document() -> None:
    assert load_yaml_documents("a: 1\n---\nb: 2\n", "multi.yml") == [{"a": 1}, {"b": 2}]


def test_line_map_points_at_keys_items_and_block_scalar_content() -> None:
    text = "jobs:\n  build:\n    steps:\n      - uses: actions/checkout@v4\n      - run: |\n          make\n"
    _, lines = load_yaml_with_lines(text, "wf.yml")
    assert lines.key("jobs", "build") == 2
    assert lines.key("jobs", "build", "steps", 1) == 5
    assert lines.value("jobs", "build", "steps", 1, "run") == 6  # the line after `run: |`
    assert lines.key("jobs", "build", "missing") == 2  # the nearest known ancestor


def test_empty_yaml_is_none() -> None:
    assert load_yaml("", "empty.yml") is None


def test_deeply_nested_json_is_refused_without_recursion() -> None:
    with pytest.raises(InputError, match="JSON nested more than 100 levels"):
        load_json("[" * 100_000 + "]" * 100_000, "package.json")


def test_brackets_inside_json_strings_do_not_count_as_nesting() -> None:
    assert load_json('{"a": "' + "[" * 500 + '"}', "x.json") == {"a": "[" * 500}


def test_malformed_json_names_line_and_column() -> None:
    with pytest.raises(InputError, match=r"package\.json: invalid JSON at line 2, column 1"):
        load_json('{"a": 1,\n}', "package.json")

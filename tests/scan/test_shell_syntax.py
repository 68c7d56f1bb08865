"""The one shell lexer that build-path discovery and the hazard rules share."""

from __future__ import annotations

import random
import time

import pytest

from bot.scan.shell_commands import lex, split_simple_commands
from bot.scan.shell_syntax import skip_substitution, tokenize


def words(script: str) -> list[tuple[str, ...]]:
    return [command.words for command in split_simple_commands(script)]


def test_word_offsets_point_at_the_text_as_written() -> None:
    text = "FOO='a b' curl -o \"$OUT\" $(uname -m)  # note\n"
    (command,) = lex(text).commands
    assert [text[w.start : w.end] for w in command.words] == [w.raw for w in command.words]
    assert [w.raw for w in command.words] == ["FOO='a b'", "curl", "-o", '"$OUT"', "$(uname -m)"]
    assert [w.value for w in command.words] == ["FOO=a b", "curl", "-o", "$OUT", "$(uname -m)"]


def test_both_views_see_the_same_words() -> None:
    script = 'if true; then\n  sudo docker build -t "$IMAGE" . 2>&1 | tee log\nfi\n'
    values = [tuple(w.value for w in c.words) for c in lex(script).commands]
    assert values == [("true",), ("sudo", "docker", "build", "-t", "$IMAGE", "."), ("tee", "log")]
    assert words(script) == values


def test_backticks_end_at_the_next_unescaped_backtick_as_in_bash() -> None:
    assert words("a=`echo 'x`; docker build .") == [("a=`echo 'x`",), ("docker", "build", ".")]
    assert words(r"v=`echo \`date\``; b") == [(r"v=`echo \`date\``",), ("b",)]


def test_substitutions_inside_backticks_are_still_known() -> None:
    text = "f=`curl https://example.com/${V}/tool`"
    closers = tokenize(text).closers
    assert closers[text.index("`")] == len(text)
    assert text[text.index("${") : closers[text.index("${")]] == "${V}"


def test_parameter_expansion_counts_its_braces() -> None:
    text = "echo ${A:-{b}} c"
    assert [w.raw for w in lex(text).commands[0].words] == ["echo", "${A:-{b}}", "c"]


def test_case_patterns_are_not_commands_and_clauses_are_found() -> None:
    script = 'case "$(uname -m)" in\n  x86_64|amd64) A=amd64 ;;\n  *) exit 1 ;;\nesac\ndocker build .'
    lexed = lex(script)
    (case,) = lexed.cases
    assert case.subject == '"$(uname -m)"'
    assert [[p.value for p in clause.patterns] for clause in case.clauses] == [["x86_64", "amd64"], ["*"]]
    assert words(script) == [("A=amd64",), ("exit", "1"), ("docker", "build", ".")]


@pytest.mark.parametrize("opener", ["<<\\EOF", "<<'EOF'", '<< "EOF"', "<<-EOF"])
def test_heredoc_bodies_are_data_however_the_delimiter_is_quoted(opener: str) -> None:
    terminator = "\tEOF" if "-" in opener else "EOF"
    script = f"cat {opener} > out\ndocker build .\n{terminator}\necho done"
    assert words(script) == [("cat",), ("echo", "done")]
    body = (script.index("docker"), script.index(f"\n{terminator}\n") + 1)
    assert tokenize(script).heredocs == [body]


def test_a_redirection_without_target_does_not_take_the_next_commands_word() -> None:
    script = "while read t; do check $t; done < <(list_targets)"
    assert ("list_targets",) in words(script)


def test_a_continuation_joins_a_word_but_is_not_part_of_its_span() -> None:
    script = "echo do\\\ncker x\\\n  y"
    (command,) = lex(script).commands
    assert [w.value for w in command.words] == ["echo", "docker", "x", "y"]
    assert command.words[2].raw == "x"


def test_a_comment_starts_only_where_a_word_could() -> None:
    assert words("echo a\\ #b $(x)#c # gone") == [("echo", "a #b", "$(x)#c")]


def test_skip_substitution_agrees_with_the_tokenizer() -> None:
    text = '$(echo ")" `b` $((1+2)))tail'
    assert text[skip_substitution(text, 0) :] == "tail"
    assert skip_substitution('"a $(b) c" d', 0) == len('"a $(b) c"')


def test_broken_shell_never_raises() -> None:
    rng = random.Random(7)
    alphabet = [
        *"ab $(){}`'\"\\\n;&|<>#=\t",
        "<<EOF\n",
        "\nEOF\n",
        "case ",
        " in ",
        "esac",
        ";;",
        "if ",
        "fi",
    ]
    for _ in range(3000):
        script = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30)))
        lexed = lex(script)
        for command in lexed.commands:
            assert all(script[w.start : w.end] == w.raw for w in command.words)
        split_simple_commands(script)


@pytest.mark.parametrize(
    "script",
    [
        pytest.param("docker build" + " " * 1_000_000 + ".", id="blank-run"),
        pytest.param("`" * 1_000_000, id="backticks"),
        pytest.param("${" + "{" * 500_000, id="braces"),
        pytest.param("a\\\n" * 300_000, id="continuations"),
        pytest.param("cat <<EOF\n" * 100_000, id="heredocs"),
    ],
)
def test_one_megabyte_of_hostile_shell_is_linear(script: str) -> None:
    started = time.perf_counter()
    split_simple_commands(script)
    lex(script)
    assert time.perf_counter() - started < 10

"""The escaping primitives the PR body is built from, one behaviour each."""

from __future__ import annotations

import pytest

from bot.forge.markdown import clean, code, fenced, fit, inline, prose_with_code, size


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("npm run build", "`npm run build`"),
        ("echo `date`", "`` echo `date` ``"),
        ("`", "`` ` ``"),
        ("a ``` b", "````a ``` b````"),
        ("  spaced   out  ", "`spaced out`"),
        ("", "(empty)"),
    ],
)
def test_a_code_span_is_fenced_longer_than_any_backtick_run_inside(text: str, span: str) -> None:
    assert code(text) == span


def test_a_code_span_in_a_table_escapes_its_pipes() -> None:
    assert code("a | b", in_table=True) == "`a \\| b`"


def test_a_fence_outlasts_the_longest_run_and_keeps_the_last_lines() -> None:
    block = fenced("one\n`````\nthree\nfour", max_lines=3)
    assert block == "``````text\n… (1 earlier line not shown)\n`````\nthree\nfour\n``````"


@pytest.mark.parametrize(
    ("text", "markdown"),
    [
        ("# title", "\\# title"),
        ("- item", "\\- item"),
        ("1. first", "1\\. first"),
        ("+ plus", "\\+ plus"),
        ("> quote", "\\> quote"),
        ("a <b> c", "a \\<b\\> c"),
        ("see @octo-cat and #12", "see @&#8203;octo-cat and #&#8203;12"),
        ("x_y*z", "x\\_y\\*z"),
        ("line one\nline two", "line one line two"),
    ],
)
def test_prose_cannot_start_a_block_or_reach_anyone(text: str, markdown: str) -> None:
    assert inline(text) == markdown


def test_backticked_parts_of_the_bots_own_sentences_become_code() -> None:
    assert (
        prose_with_code("`docker push a/b:1` now pushes <all>") == "`docker push a/b:1` now pushes \\<all\\>"
    )


def test_bidi_overrides_and_control_characters_are_dropped() -> None:
    assert clean("safe\u202e txt.exe\x1b[31m\r\nnext") == "safe txt.exe[31m\nnext"


def test_size_counts_what_a_utf16_limit_counts() -> None:
    assert size("ab") == 2
    assert size("🐳") == 2


def test_fit_keeps_the_tail_and_says_how_much_was_cut() -> None:
    body, cut = fit(["## head", "a" * 50, "b" * 50], "TAIL", 110, "({omitted} cut)")
    assert cut
    assert size(body) <= 110
    assert body == "## head\n" + "a" * 50 + "\n\n(1 cut)\n\nTAIL"
    assert fit(["x"], "TAIL", 100, "") == ("x\n\nTAIL", False)

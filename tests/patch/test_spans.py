"""The splicing toolkit: text spans and line arithmetic."""

from __future__ import annotations

import pytest

from bot.patch.spans import (
    Span,
    changed_lines,
    indentation,
    insert_lines,
    line_end,
    line_number,
    line_start,
    line_starts,
    newline_at,
    newline_of,
    splice,
)


def test_splice_applies_every_span_against_the_original_offsets() -> None:
    text = "alpha beta gamma"
    spans = [Span(11, 16, "GAMMA"), Span(0, 5, "A"), Span(6, 6, "new ")]
    assert splice(text, spans) == "A new beta GAMMA"


def test_splice_keeps_the_given_order_of_insertions_at_one_offset() -> None:
    assert splice("ab", [Span(1, 1, "1"), Span(1, 1, "2")]) == "a12b"


def test_splice_allows_an_insertion_touching_a_replacement() -> None:
    assert splice("abc", [Span(0, 1, "X"), Span(1, 1, "+"), Span(1, 2, "Y")]) == "X+Yc"


def test_splice_rejects_overlapping_spans() -> None:
    with pytest.raises(ValueError, match="overlaps"):
        splice("abcdef", [Span(0, 3, "x"), Span(2, 4, "y")])


@pytest.mark.parametrize("span", [Span(-1, 0, ""), Span(2, 1, ""), Span(0, 9, "")])
def test_splice_rejects_spans_outside_the_text(span: Span) -> None:
    with pytest.raises(ValueError, match="outside"):
        splice("abc", [span])


def test_splice_of_nothing_is_the_text_itself() -> None:
    assert splice("same\r\n", []) == "same\r\n"


def test_newline_style_comes_from_the_first_line_and_from_each_line() -> None:
    assert newline_of("a\r\nb\r\n") == "\r\n"
    assert newline_of("a\nb\r\n") == "\n"
    assert newline_of("no break") == "\n"
    mixed = "a\r\nb\nc"
    assert newline_at(mixed, 0) == "\r\n"
    assert newline_at(mixed, 3) == "\n"
    assert newline_at(mixed, 5) == "\r\n"  # the unterminated last line: the file's style


def test_line_arithmetic() -> None:
    text = "one\n  two\r\n\tthree"
    assert line_starts(text) == [0, 4, 11]
    assert line_starts("a\n") == [0]
    assert (line_start(text, 6), line_end(text, 6)) == (4, 11)
    assert line_end(text, 13) == len(text)
    assert line_number(text, 12) == 3
    assert indentation(text, 8) == "  "
    assert indentation(text, 12) == "\t"


def test_insert_lines_ends_them_with_the_break_of_the_line_before() -> None:
    text = "a: 1\r\nb: 2\r\n"
    assert splice(text, [insert_lines(text, 6, ["x: 3"])]) == "a: 1\r\nx: 3\r\nb: 2\r\n"
    assert splice(text, [insert_lines(text, len(text), ["c: 4"])]) == text + "c: 4\r\n"
    assert splice(text, [insert_lines(text, 0, ["# top"])]) == "# top\r\n" + text


def test_insert_lines_at_the_end_of_a_file_without_a_final_break_keeps_it_without() -> None:
    text = "a: 1\nb: 2"
    assert splice(text, [insert_lines(text, len(text), ["c: 3", "d: 4"])]) == "a: 1\nb: 2\nc: 3\nd: 4"
    crlf = "a: 1\r\nb: 2"
    assert splice(crlf, [insert_lines(crlf, len(crlf), ["c: 3"])]) == "a: 1\r\nb: 2\r\nc: 3"


def test_insert_lines_only_at_a_line_start() -> None:
    with pytest.raises(ValueError, match="start of a line"):
        insert_lines("abc\n", 1, ["x"])


def test_changed_lines_counts_what_a_reviewer_reads() -> None:
    assert changed_lines("a\nb\nc\n", "a\nb\nc\n") == 0
    assert changed_lines("a\nb\nc\n", "a\nx\nb\nc\n") == 1
    assert changed_lines("a\nb\nc\n", "a\nB\nc\n") == 2

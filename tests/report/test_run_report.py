"""The run's reports from constructed outcomes: table, JSON, Markdown job summary, HTML matrix."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from html.parser import HTMLParser

from bot.forge.records import PrRef, PrState
from bot.model import Outcome, PlatformBuild, PlatformResult
from bot.outcome import Gate, RepoOutcome, Verdict
from bot.report.platform_matrix import Cell, platform_cell, platform_columns
from bot.report.run import (
    RUN_SCHEMA,
    duration,
    run_document,
    run_markdown,
    run_to_json,
    summary_table,
)
from bot.report.run_html import run_html
from tests.report.fleet import (
    AMD64,
    ARM64,
    ARMV7,
    BLOCKED,
    FACTS,
    FAILED,
    FLEET,
    HOSTILE,
    HOSTILE_NAME,
    OPENED,
    SCANNED,
    passed,
    scan,
    verification,
)

CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


# ---------------------------------------------------------------------------------------------- terminal


def test_the_table_is_aligned_and_fits_the_width() -> None:
    text = summary_table(FLEET, FACTS, width=90)
    lines = text.splitlines()
    header, rows = lines[0], lines[1 : 1 + len(FLEET)]
    assert header.split() == ["repository", "verdict", "pull", "request", "/", "reason", "time"]
    verdict_at = header.index("verdict")
    assert [row[verdict_at:].split()[0] for row in rows] == [str(o.verdict) for o in FLEET]
    assert all(len(line) <= 90 for line in lines[: 1 + len(FLEET)])
    assert "http://127.0.0.1:8080/acme/tool/pull/12" in rows[0]
    assert rows[0].endswith("1m35s")
    assert rows[3].endswith("0.2s")


def test_long_reasons_and_names_are_cut_with_an_ellipsis() -> None:
    long = RepoOutcome("o/" + "r" * 80, Verdict.ERROR, ("x" * 400,), seconds=1.0)
    row = summary_table([long], FACTS, width=100).splitlines()[1]
    assert len(row) <= 100
    assert row.count("…") == 2


def test_hostile_text_cannot_drive_the_terminal() -> None:
    text = summary_table([HOSTILE], FACTS, width=300)
    assert not CONTROL.search(text.replace("\n", ""))
    row = text.splitlines()[1]
    assert row.startswith("evil/<script>")
    assert "::add-mask::" in row  # kept as text, on the same line: never a workflow command of its own
    assert not any(line.startswith("::") for line in text.splitlines())


def test_the_headline_counts_verdicts_and_says_gate_shard_and_what_was_not_reached() -> None:
    facts = replace(FACTS, gate=Gate.BUILD, shard="2/4", targets=7, stopped="interrupted (Ctrl-C)")
    last = summary_table(FLEET, facts).splitlines()[-1]
    assert last == (
        "5 repositories in 12m05s: 1 opened, 1 blocked, 1 failed, 1 error, 1 scanned; 2 not reached; "
        "dry run (build gate); shard 2/4; stopped: interrupted (Ctrl-C)"
    )


def test_durations_read_like_a_clock() -> None:
    assert [duration(s) for s in (0.04, 59.9, 60, 125.4, 3600, 7322)] == [
        "0.0s",
        "59.9s",
        "1m00s",
        "2m05s",
        "1h00m",
        "2h02m",
    ]


# ---------------------------------------------------------------------------------------------- matrix


def test_the_matrix_says_built_failed_blocked_and_not_built() -> None:
    assert platform_columns(FLEET) == (AMD64, ARM64)
    states = {o.target: [platform_cell(o, p).state for p in (AMD64, ARM64)] for o in FLEET}
    assert states == {
        "acme/tool": [Cell.PASSED, Cell.PASSED],
        "acme/legacy": [Cell.NOT_BUILT, Cell.BLOCKED],
        "acme/wrong-arch": [Cell.PASSED, Cell.FAILED],
        HOSTILE_NAME: [Cell.NOT_BUILT, Cell.NOT_BUILT],
        "acme/dry": [Cell.NOT_BUILT, Cell.NOT_BUILT],
    }
    assert platform_cell(FAILED, ARM64).detail == "/sbin/tini is amd64, expected arm64"
    assert "acme/legacy-runtime:2.4 has no linux/arm64" in platform_cell(BLOCKED, ARM64).detail


def test_a_platform_cut_from_the_plan_is_not_planned_with_the_reason() -> None:
    wants_v7 = replace(OPENED, scan=replace(scan(), wanted=(AMD64, ARM64, ARMV7)))
    assert platform_columns([wants_v7]) == (AMD64, ARMV7, ARM64)
    cell = platform_cell(wants_v7, ARMV7)
    assert (cell.state, cell.detail) == (Cell.NOT_PLANNED, "node:lts has no linux/arm/v7")


def test_a_build_that_timed_out_fails_and_one_without_machinery_is_unverified() -> None:
    timed_out = PlatformResult(PlatformBuild(ARM64, Outcome.TIMEOUT, 1800.0, error="killed after 1800 s"))
    missing = PlatformResult(PlatformBuild(ARM64, Outcome.UNVERIFIED, 0.0, error="no arm64 builder"))
    for result, state, detail in (
        (timed_out, Cell.FAILED, "build timeout: killed after 1800 s"),
        (missing, Cell.UNVERIFIED, "build unverified: no arm64 builder"),
    ):
        outcome = replace(FAILED, verification=verification(passed(AMD64), result))
        assert platform_cell(outcome, ARM64) == (platform_cell(outcome, ARM64).__class__(state, detail))


# ---------------------------------------------------------------------------------------------- JSON


def test_the_json_report_has_a_stable_versioned_shape() -> None:
    document = json.loads(run_to_json(FLEET, replace(FACTS, gate=Gate.PATCH, shard="1/2", targets=9)))
    assert list(document) == [
        "schema",
        "started",
        "finished",
        "seconds",
        "gate",
        "shard",
        "targets",
        "stopped",
        "counts",
        "platforms",
        "outcomes",
    ]
    assert document["schema"] == RUN_SCHEMA == "multiarch-bot/run/v1"
    assert (document["started"], document["finished"], document["seconds"]) == (
        "2026-11-28T09:00:00Z",
        "2026-11-28T09:12:05Z",
        725.0,
    )
    assert (document["gate"], document["shard"], document["targets"]) == ("patch", "1/2", 9)
    assert document["counts"] == {"opened": 1, "blocked": 1, "failed": 1, "error": 1, "scanned": 1}
    assert document["platforms"] == ["linux/amd64", "linux/arm64"]
    first = document["outcomes"][0]
    assert list(first) == [
        "repo",
        "verdict",
        "reasons",
        "pr",
        "pushed",
        "seconds",
        "readiness",
        "changed",
        "platforms",
        "verification",
    ]
    assert first["pr"] == {"number": 12, "url": "http://127.0.0.1:8080/acme/tool/pull/12", "state": "opened"}
    assert first["platforms"]["linux/arm64"] == {"state": "passed", "detail": "built, ran, own binaries only"}
    build = first["verification"]["builds"][0]
    assert build["cut"] == [{"platform": "linux/arm/v7", "reason": "node:lts has no linux/arm/v7"}]
    assert build["results"][1] == {
        "platform": "linux/arm64",
        "outcome": "passed",
        "build": {"outcome": "passed", "seconds": 42.0, "error": None},
        "smoke": {"outcome": "passed", "exit_code": 0, "seconds": 0.5, "error": None},
        "binaries": {"outcome": "passed", "checked": 12, "wrong": [], "error": None},
    }


def test_json_keeps_every_outcome_and_its_reasons_verbatim() -> None:
    document = run_document(FLEET, FACTS)
    hostile = document["outcomes"][3]
    assert (hostile["repo"], hostile["reasons"]) == (HOSTILE_NAME, [HOSTILE.reasons[0], "second reason"])
    assert (hostile["pr"], hostile["verification"], hostile["readiness"]) == (None, None, None)
    assert document["outcomes"][2]["verification"]["builds"][0]["results"][1]["binaries"]["wrong"] == [
        {"path": "/sbin/tini", "found": "amd64", "expected": "arm64"}
    ]
    assert document["targets"] == len(FLEET)
    assert json.loads(json.dumps(document)) == document


# ---------------------------------------------------------------------------------------------- Markdown


def test_the_job_summary_has_the_same_table_with_links() -> None:
    text = run_markdown(FLEET, FACTS)
    assert text.startswith("### multiarch-bot run\n")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert rows[0] == "| repository | verdict | pull request or reason | time |"
    assert rows[1] == "| acme/tool | opened | [#12](http://127.0.0.1:8080/acme/tool/pull/12) | 1m35s |"
    assert len(rows) == 1 + len(FLEET)


def test_hostile_text_in_the_job_summary_is_literal() -> None:
    text = run_markdown([HOSTILE], FACTS)
    row = next(line for line in text.splitlines() if line.startswith("| evil"))
    assert len(re.findall(r"(?<!\\)\|", row)) == 5  # four cells: no pipe of the text splits the row
    assert not re.search(r"(?<!\\)[<>]", text.replace("<sub>", "").replace("</sub>", ""))  # no raw HTML
    assert "@&#8203;everyone" in row  # no ping
    assert "#&#8203;1" in row  # no cross-reference
    assert not CONTROL.search(text.replace("\n", ""))


def test_a_pull_request_url_that_is_not_plain_http_is_not_linked() -> None:
    odd = replace(OPENED, pr=PrRef(3, "javascript:alert(1)//)", PrState.OPENED))
    row = run_markdown([odd], FACTS).splitlines()[-3]
    assert "](" not in row
    assert "javascript:alert(1)//)" in row


def test_a_huge_fleet_fits_the_summary_limit_and_says_where_the_rest_is() -> None:
    many = [replace(SCANNED, target=f"acme/repo-{i}") for i in range(3000)]
    text = run_markdown(many, FACTS, limit=20_000)
    assert len(text) <= 20_000
    assert "more rows are in the JSON report." in text
    assert text.rstrip().endswith("</sub>")


# ---------------------------------------------------------------------------------------------- HTML


def test_the_html_report_is_one_self_contained_page_with_the_matrix() -> None:
    page = run_html(FLEET, FACTS)
    assert page.startswith("<!DOCTYPE html>")
    assert "default-src 'none'" in page
    assert not re.search(r"<(script|link|img|iframe)\b", page)
    assert '<a href="http://127.0.0.1:8080/acme/tool/pull/12">#12 (opened)</a>' in page
    legacy = next(line for line in page.splitlines() if "acme/legacy<" in line)
    assert re.findall(r'class="cell ([a-z-]+)"', legacy) == ["not-built", "blocked"]
    wrong = next(line for line in page.splitlines() if "acme/wrong-arch<" in line)
    assert re.findall(r">(.)</td>", wrong)[:2] == ["✓", "✗"]
    assert "/sbin/tini is amd64, expected arm64" in wrong


def test_html_escapes_names_reasons_and_attributes() -> None:
    odd = replace(OPENED, target='a/"b" onmouseover="x', pr=PrRef(4, 'http://h/" onclick="x', PrState.OPENED))
    page = run_html([HOSTILE, odd], FACTS)
    assert not re.search(r"<(script|img)", page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not re.search(r'on(mouseover|click)="', page)
    assert "href=" not in page  # a URL with a quote is not linked at all
    assert not CONTROL.search(page.replace("\n", ""))


class HtmlRows(HTMLParser):
    """Cells per table row, and a check that rows, cells and links are closed in order."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[int] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("tr", "td", "th", "table", "a"):
            self.open.append(tag)
        if tag == "tr":
            self.rows.append(0)
        elif tag in ("td", "th"):
            self.rows[-1] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("tr", "td", "th", "table", "a"):
            assert self.open.pop() == tag


def test_every_html_row_has_a_cell_for_every_column() -> None:
    parser = HtmlRows()
    parser.feed(run_html([*FLEET, HOSTILE], FACTS))
    assert parser.open == []
    assert parser.rows == [6] * (len(FLEET) + 2)  # repository, verdict, two platforms, detail, time

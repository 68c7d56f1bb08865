"""Live progress: a redrawn area on a terminal, plain lines elsewhere, safe from many threads."""

from __future__ import annotations

import io
import re
import threading
from dataclasses import replace

import pytest

from bot.outcome import RepoOutcome, Verdict
from bot.report.progress import Progress
from tests.report.fleet import BLOCKED, HOSTILE, OPENED

ESCAPE = re.compile(r"\x1b\[(\d*)([A-Za-z])")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Closed(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError("the reader went away")


def screen(written: str) -> list[str]:
    """What a terminal shows after ``written``, for the two sequences the progress uses."""
    lines, row = [""], 0
    position = 0
    for match in [*ESCAPE.finditer(written), None]:
        text = written[position : match.start() if match else len(written)]
        for i, part in enumerate(text.split("\n")):
            if i:
                row += 1
                if row == len(lines):
                    lines.append("")
            lines[row] += part
        if match is None:
            break
        position = match.end()
        count, code = int(match[1] or 1), match[2]
        assert code in "FJ", f"unexpected escape {match[0]!r}"
        if code == "F":
            row = max(0, row - count)
        else:
            lines[row:] = [""]
    return lines[:-1] if lines[-1] == "" else lines


@pytest.fixture(autouse=True)
def _a_capable_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")


def test_not_a_terminal_gives_plain_lines_without_escape_codes() -> None:
    out = io.StringIO()
    progress = Progress(3, out)
    assert not progress.live
    progress.started("acme/tool")
    progress.stage("acme/tool", "scan")
    progress.finished(OPENED)
    progress.finished(BLOCKED)
    progress.close()
    assert out.getvalue().splitlines() == [
        "[...] acme/tool: scan",
        "[1/3] acme/tool: opened http://127.0.0.1:8080/acme/tool/pull/12 (1m35s)",
        "[2/3] acme/legacy: blocked docker.io/acme/legacy-runtime:2.4 has no linux/arm64 (3.0s)",
    ]
    assert "\x1b" not in out.getvalue()


def test_hostile_names_and_reasons_stay_on_one_plain_line() -> None:
    out = io.StringIO()
    progress = Progress(1, out)
    progress.stage(HOSTILE.target, "clone\x1b[2J\n::error::x")
    progress.finished(HOSTILE)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert all(line.startswith("[") for line in lines)  # never a workflow command line of its own
    assert not re.search(r"[\x00-\x1f\x7f-\x9f]", out.getvalue().replace("\n", ""))


def test_a_terminal_gets_one_live_area_redrawn_in_place() -> None:
    out = Terminal()
    progress = Progress(3, out, columns=80)
    assert progress.live
    progress.started("acme/tool")
    progress.started("acme/legacy")
    progress.stage("acme/tool", "build")
    assert screen(out.getvalue()) == [
        "multiarch-bot: 0/3 done, 2 running",
        "  acme/tool    build",
        "  acme/legacy  starting",
    ]
    progress.finished(OPENED)
    assert screen(out.getvalue()) == [
        "[1/3] acme/tool: opened http://127.0.0.1:8080/acme/tool/pull/12 (1m35s)",
        "multiarch-bot: 1/3 done, 1 running",
        "  acme/legacy  starting",
    ]
    progress.close()
    assert screen(out.getvalue()) == [
        "[1/3] acme/tool: opened http://127.0.0.1:8080/acme/tool/pull/12 (1m35s)"
    ]


def test_live_area_lines_are_cut_to_the_width_and_finished_lines_kept_whole() -> None:
    out = Terminal()
    with Progress(2, out, columns=30) as progress:
        progress.stage("acme/" + "x" * 50, "build")
        progress.finished(replace(OPENED, target="acme/" + "y" * 50))
        finished, *area = screen(out.getvalue())
        assert finished == f"[1/2] acme/{'y' * 50}: opened http://127.0.0.1:8080/acme/tool/pull/12 (1m35s)"
        assert area == ["multiarch-bot: 1/2 done, 1 r…", f"  acme/{'x' * 21}…"]


def test_wide_characters_count_as_two_cells() -> None:
    out = Terminal()
    Progress(1, out, columns=21).stage("acme/界界界界界界界界界", "scan")
    assert screen(out.getvalue())[1] == "  acme/界界界界界界…"


def test_many_running_repositories_are_counted_past_the_rows_shown() -> None:
    out = Terminal()
    progress = Progress(20, out, columns=80, max_rows=3)
    for i in range(15):
        progress.started(f"acme/r{i}")
    assert screen(out.getvalue())[-1] == "  … and 12 more"
    assert len(screen(out.getvalue())) == 5


def test_hostile_text_cannot_escape_the_live_area() -> None:
    out = Terminal()
    progress = Progress(1, out, columns=200)
    progress.stage(HOSTILE.target, "scan\x1b[10A")
    progress.finished(HOSTILE)
    codes = {match[0] for match in ESCAPE.finditer(out.getvalue())}
    assert codes <= {"\x1b[J", "\x1b[1F", "\x1b[2F"}


@pytest.mark.parametrize("stream", [io.StringIO(), Terminal()], ids=["plain", "terminal"])
def test_concurrent_workers_never_interleave_lines(stream: io.StringIO) -> None:
    workers, each = 8, 40
    progress = Progress(workers * each, stream, columns=120)

    def work(worker: int) -> None:
        for i in range(each):
            name = f"acme/w{worker}-{i}"
            progress.started(name)
            for stage in ("clone", "scan", "patch", "build"):
                progress.stage(name, stage)
            progress.finished(RepoOutcome(name, Verdict.UP_TO_DATE, seconds=1.0))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    progress.close()
    shown = screen(stream.getvalue())
    finished = [line for line in shown if not line.startswith("[...]")]
    assert progress.done == workers * each
    assert [
        int(re.match(r"\[(\d+)/320\] acme/w\d+-\d+: up-to-date \(1\.0s\)$", line)[1]) for line in finished
    ] == list(range(1, workers * each + 1))


def test_a_broken_stream_never_stops_the_run() -> None:
    progress = Progress(1, Closed())
    progress.stage("acme/tool", "scan")
    progress.finished(OPENED)
    progress.close()
    assert progress.done == 1

"""Live progress of a fleet run: a status area redrawn in place on a terminal, plain lines anywhere else.

Repositories run on several threads, so every call takes one lock and writes whole lines in one write.
On a terminal the finished repositories scroll above a live area (repositories done/total, then each
running repository and its stage) that is erased and redrawn with two escape sequences; each line of
the area is cut to the terminal's width, since a wrapped line would throw the redraw's count off. Anywhere
else (CI logs) each event is one plain line, ``[3/40] owner/repo: opened https://…``, without escape codes.

Names and reasons are untrusted: they lose control characters (an escape sequence in a reason must not
drive the terminal) and stay on their line (a reason cannot start a GitHub Actions ``::command::`` line).
No dependency for this: the redraw is two escape codes, and events are rare (a few stages per
repository), so nothing needs a refresh thread.
"""

from __future__ import annotations

import os
import shutil
import threading
import unicodedata
from types import TracebackType
from typing import TextIO

from bot.outcome import RepoOutcome
from bot.report.run import duration, outcome_detail, plain

_UP_AND_CLEAR = "\x1b[{n}F\x1b[J"  # to the start of the line n lines up, then clear to the screen's end


class Progress:
    """What the run calls: ``started(repo)``, ``stage(repo, stage)`` (the pipeline's ``on_stage``),
    ``finished(outcome)``, and ``close()`` at the end (or use it as a context manager)."""

    def __init__(
        self,
        total: int,
        stream: TextIO,
        *,
        live: bool | None = None,  # None: live when the stream is a terminal that can take escape codes
        columns: int | None = None,  # None: the terminal's width, read at each redraw
        max_rows: int = 12,  # running repositories shown; the rest are counted
    ) -> None:
        self.total = total
        self.done = 0
        self._stream = stream
        self._live = _is_terminal(stream) if live is None else live
        self._columns = columns
        self._max_rows = max_rows
        self._running: dict[str, str] = {}  # repository → its current stage, in start order
        self._drawn = 0  # lines of the live area now on the screen
        self._lock = threading.Lock()
        self._broken = False  # the stream failed: progress must never stop the run

    @property
    def live(self) -> bool:
        return self._live

    def started(self, repo: str) -> None:
        with self._lock:
            self._running[repo] = "starting"
            if self._live:
                self._write([])

    def stage(self, repo: str, stage: str) -> None:
        with self._lock:
            self._running[repo] = stage
            if self._live:
                self._write([])
            else:
                self._write([f"[...] {plain(repo, 140)}: {plain(stage, 40)}"])

    def finished(self, outcome: RepoOutcome) -> None:
        with self._lock:
            self._running.pop(outcome.target, None)
            self.done += 1
            self._write([self._finished_line(outcome)])

    def close(self) -> None:
        """Erase the live area; the finished lines stay."""
        with self._lock:
            self._running.clear()
            if self._live and self._drawn:
                self._emit(_UP_AND_CLEAR.format(n=self._drawn))
                self._drawn = 0

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def _finished_line(self, outcome: RepoOutcome) -> str:
        detail = plain(outcome_detail(outcome), 300)
        text = f"[{self.done}/{self.total}] {plain(outcome.target, 140)}: {outcome.verdict}"
        return text + (f" {detail}" if detail else "") + f" ({duration(outcome.seconds)})"

    def _write(self, lines: list[str]) -> None:
        """Plain: the lines. Live: the lines above a redrawn area, in one write."""
        if not self._live:
            self._emit("".join(line + "\n" for line in lines))
            return
        width = max(20, (self._columns or shutil.get_terminal_size((100, 24)).columns) - 1)
        area = self._area()
        erase = _UP_AND_CLEAR.format(n=self._drawn) if self._drawn else ""
        # finished lines may wrap (they scroll away above the area); the area's lines must not
        self._emit(
            erase
            + "".join(line + "\n" for line in lines)
            + "".join(_fit(line, width) + "\n" for line in area)
        )
        self._drawn = len(area)

    def _area(self) -> list[str]:
        running = list(self._running.items())
        lines = [f"multiarch-bot: {self.done}/{self.total} done, {len(running)} running"]
        shown = running[: self._max_rows]
        repo_width = max((len(plain(repo, 60)) for repo, _ in shown), default=0)
        lines += [f"  {plain(repo, 60):<{repo_width}}  {plain(stage, 40)}" for repo, stage in shown]
        if len(running) > len(shown):
            lines.append(f"  … and {len(running) - len(shown)} more")
        return lines

    def _emit(self, text: str) -> None:
        if self._broken or not text:
            return
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: the run goes on without progress
            self._broken = True


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False


def _fit(line: str, width: int) -> str:
    """``line`` within ``width`` terminal cells (wide East Asian characters take two, combining ones none)."""
    cells = [
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in line
    ]
    if sum(cells) <= width:
        return line
    used = 0
    for index, cell in enumerate(cells):
        if used + cell > width - 1:
            return line[:index] + "…"
        used += cell
    return line

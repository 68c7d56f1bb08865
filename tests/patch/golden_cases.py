"""Golden cases for the patchers: ``tests/patch/golden/<kind>/<case>/`` holds

* ``in.<ext>``: the file as a project has it (required);
* ``out.<ext>``: the file the patcher must produce, byte for byte; absent means "nothing to change";
* ``rationale.txt``: the rationale lines, in order (optional);
* ``left_alone.txt``: ``<line>: <reason>`` per build path left alone, in order (optional);
* ``refused.txt``: text the refusal's reason must contain; the patcher must refuse (optional);
* ``platforms.txt``: the platforms to build, comma-separated (default ``linux/amd64,linux/arm64``).

The context holds the build paths the real scan finds in ``in``, as the pipeline would pass them. Each
case also runs as CRLF and without its final newline, derived from the same files, so every case
checks that line endings and the missing final newline survive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from _pytest.mark.structures import ParameterSet

from bot.model import DEFAULT_PLATFORMS, BuildPath, Platform
from bot.patch.base import Edited, PatchContext, PatchResult, Refused, Unchanged

GOLDEN = Path(__file__).parent / "golden"
VARIANTS = ("as-written", "crlf", "no-final-newline")

Finder = Callable[[str, str], list[BuildPath]]
PatchFunction = Callable[[str, str, PatchContext], PatchResult]


@dataclass(frozen=True)
class Case:
    directory: Path

    @property
    def name(self) -> str:
        return self.directory.name

    def _read(self, stem: str) -> str | None:
        found = sorted(self.directory.glob(stem + ".*")) + sorted(self.directory.glob(stem))
        return found[0].read_bytes().decode("utf-8") if found else None

    @property
    def source(self) -> Path:
        return next(self.directory.glob("in.*"))

    @property
    def before(self) -> str:
        return self.source.read_bytes().decode("utf-8")

    @property
    def after(self) -> str | None:
        return self._read("out")

    def lines(self, name: str) -> list[str] | None:
        text = self._read(name)
        return None if text is None else text.splitlines()

    @property
    def platforms(self) -> tuple[Platform, ...]:
        text = self._read("platforms")
        return tuple(Platform.parse(p) for p in text.strip().split(",")) if text else DEFAULT_PLATFORMS


def cases(kind: str) -> list[Case]:
    return [Case(d) for d in sorted((GOLDEN / kind).iterdir()) if d.is_dir()]


def variant(text: str, how: str) -> str:
    if how == "crlf":
        return text.replace("\r\n", "\n").replace("\n", "\r\n")
    if how == "no-final-newline":
        return text.rstrip("\r\n")
    return text


def golden_params(cases: list[Case]) -> list[ParameterSet]:
    """(case, variant) pairs, leaving out variants that say nothing new, so no test is skipped."""
    return [
        pytest.param(case, how, id=f"{case.name}-{how}")
        for case in cases
        for how in VARIANTS
        if applies(case, how)
    ]


def applies(case: Case, how: str) -> bool:
    """Whether a derived variant says anything new (a CRLF case is its own CRLF variant)."""
    before = case.before
    return how == "as-written" or variant(before, how) != before


def run(case: Case, how: str, path: str, find: Finder, patch: PatchFunction) -> None:
    """Patch the case's input (in the variant), check the result against the files, then re-patch."""
    before = variant(case.before, how)
    context = PatchContext(case.platforms, tuple(find(path, before)))
    result = patch(path, before, context)
    refused = case.lines("refused")
    if refused is not None:
        assert isinstance(result, Refused), result
        assert refused[0] in result.reason
        return
    assert not isinstance(result, Refused), result.reason
    expected = case.after
    if expected is None:
        assert isinstance(result, Unchanged), getattr(result, "text", result)
    else:
        assert isinstance(result, Edited), result
        want = variant(expected, how)
        assert result.text.splitlines(keepends=True) == want.splitlines(keepends=True)
        assert result.text == want
    rationale = case.lines("rationale")
    if rationale is not None:
        assert list(getattr(result, "rationale", ())) == rationale
    left_alone = case.lines("left_alone")
    if left_alone is not None:
        assert [f"{item.line}: {item.reason}" for item in result.left_alone] == left_alone
        assert all(item.path == path for item in result.left_alone)
    if isinstance(result, Edited):
        again = patch(path, result.text, PatchContext(case.platforms, tuple(find(path, result.text))))
        assert isinstance(again, Unchanged), getattr(again, "text", again)

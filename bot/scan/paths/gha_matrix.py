"""GitHub Actions matrices: the values ``${{ matrix.x }}`` takes, so each combination's build is listed.

A job that builds ``platforms: ${{ matrix.platform }}`` over ``[linux/amd64, linux/arm64]`` builds both
platforms; a job over ``dockerfile: [a, b]`` builds two images. Computed matrices (``fromJSON(…)``)
cannot be expanded and stay as written.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from bot.model import BuildPath
from bot.scan.paths.common import as_text, sequence

MAX_COMBINATIONS = 256  # a bigger matrix is rare; listing its first combinations is enough to find builds
_REFERENCE = re.compile(r"\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}")


def matrix_rows(matrix: Any) -> list[dict[str, str]]:
    """The combinations ``strategy.matrix`` runs, following GitHub's include/exclude rules."""
    if not isinstance(matrix, dict):
        return []
    base: dict[str, list[str]] = {}
    for key, values in matrix.items():
        texts = [as_text(value) for value in sequence(values)]
        if key not in ("include", "exclude") and texts and all(t is not None for t in texts):
            base[str(key)] = [t for t in texts if t is not None]
    combos = itertools.islice(itertools.product(*base.values()), MAX_COMBINATIONS) if base else []
    rows = [dict(zip(base, combo, strict=True)) for combo in combos]
    for excluded in sequence(matrix.get("exclude")):
        wanted = _texts(excluded)
        rows = [row for row in rows if not all(row.get(k) == v for k, v in wanted.items())]
    originals = [dict(row) for row in rows]
    for included in sequence(matrix.get("include")):
        extra = _texts(included)
        # an include extends every combination whose original values it does not contradict…
        matches = [i for i, o in enumerate(originals) if all(o[k] == v for k, v in extra.items() if k in o)]
        for i in matches if base else ():
            rows[i].update({k: v for k, v in extra.items() if k not in originals[i]})
        if not matches or not base:  # …and becomes a combination of its own when it fits none
            rows.append(extra)
            originals.append({})
    return rows[:MAX_COMBINATIONS]


def _texts(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): t for k, v in value.items() if (t := as_text(v)) is not None}


def rows_for(rows: list[dict[str, str]], texts: Iterable[str | None]) -> list[dict[str, str]]:
    """The combinations worth expanding for these texts: none unless they mention the matrix."""
    if rows and any(text and _REFERENCE.search(text) for text in texts):
        return rows
    return [{}]


def substitute(text: str | None, row: dict[str, str]) -> str | None:
    """``${{ matrix.platform }}`` → ``linux/arm64`` for the keys this combination sets."""
    if text is None or not row:
        return text
    return _REFERENCE.sub(lambda m: row.get(m.group(1), m.group()), text)


def merge_platforms(paths: list[BuildPath]) -> list[BuildPath]:
    """One BuildPath per build that differs across combinations only by platform, platforms united."""
    merged: dict[BuildPath, list[str]] = {}
    for found in paths:
        platforms = merged.setdefault(replace(found, platforms=()), [])
        platforms.extend(p for p in found.platforms if p not in platforms)
    return [replace(found, platforms=tuple(platforms)) for found, platforms in merged.items()]

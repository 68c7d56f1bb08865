"""What the last runs learnt, so an unchanged repository costs one API call and no clone.

A repository is unchanged when its ``pushed_at`` (from the one ``GET /repos/{owner}/{repo}`` every run
makes anyway) and the settings that shape its result (the bot's version, the config, the target's
overrides, the gate) are what they were when its outcome was recorded. The pull requests opened in the
last hour are kept here too, for the per-hour cap. One JSON file, written atomically; a corrupt or
foreign file is ignored (the cache is an optimisation, never a source of truth: GitHub is).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = "multiarch-bot/cache/v1"
MAX_BYTES = 32 << 20
HOUR = 3600.0


@dataclass(frozen=True)
class Remembered:
    verdict: str
    reasons: tuple[str, ...]
    pr_number: int | None = None
    pr_url: str | None = None
    bases: tuple[tuple[str, str | None], ...] = ()  # blocked: each blocking base and its digest then


class RepoCache:
    def __init__(self, directory: Path) -> None:
        self.path = directory / "repos.json"
        self._lock = threading.Lock()
        self._repos: dict[str, dict[str, Any]] = {}
        self._opened: list[float] = []
        self._load()

    def recall(self, repo: str, pushed_at: str, fingerprint: str) -> Remembered | None:
        """The outcome recorded for ``repo`` when nothing that shapes it has changed since."""
        with self._lock:
            entry = self._repos.get(repo.lower())
        if not entry or entry.get("pushed_at") != pushed_at or entry.get("fingerprint") != fingerprint:
            return None
        bases = _bases(entry.get("bases"))
        if bases is None:
            return None  # damaged: a wrong belief about what blocks a repository costs more than a clone
        reasons = entry.get("reasons")
        number, url = entry.get("pr_number"), entry.get("pr_url")
        return Remembered(
            str(entry.get("verdict")),
            tuple(str(r) for r in reasons) if isinstance(reasons, list) else (),
            number if isinstance(number, int) else None,
            url if isinstance(url, str) else None,
            bases,
        )

    def remember(self, repo: str, pushed_at: str, fingerprint: str, verdict: Remembered) -> None:
        with self._lock:
            self._repos[repo.lower()] = {
                "pushed_at": pushed_at,
                "fingerprint": fingerprint,
                "verdict": verdict.verdict,
                "reasons": list(verdict.reasons)[:10],
                "pr_number": verdict.pr_number,
                "pr_url": verdict.pr_url,
                "bases": [list(base) for base in verdict.bases],
                "at": time.time(),
            }
            self._save()

    def forget(self, repo: str) -> None:
        with self._lock:
            if self._repos.pop(repo.lower(), None) is not None:
                self._save()

    def opened_within_hour(self, now: float | None = None) -> int:
        now = time.time() if now is None else now
        with self._lock:
            return sum(1 for at in self._opened if now - at < HOUR)

    def note_opened(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self._lock:
            self._opened = [at for at in self._opened if now - at < HOUR] + [now]
            self._save()

    def _load(self) -> None:
        try:
            raw = self.path.read_bytes()[: MAX_BYTES + 1]
            data = json.loads(raw) if len(raw) <= MAX_BYTES else None
        except (OSError, ValueError):
            return
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            return
        repos, opened = data.get("repos"), data.get("opened")
        if isinstance(repos, dict):
            self._repos = {str(k): v for k, v in repos.items() if isinstance(v, dict)}
        if isinstance(opened, list):
            self._opened = [float(at) for at in opened if isinstance(at, int | float)]

    def _save(self) -> None:
        """Atomically: a run killed mid-write leaves the previous file, never half of one."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"schema": SCHEMA, "repos": self._repos, "opened": self._opened}
        fd, temporary = tempfile.mkstemp(prefix=".repos-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, sort_keys=True)
            os.replace(temporary, self.path)
        except OSError:
            Path(temporary).unlink(missing_ok=True)
            raise


def _bases(raw: object) -> tuple[tuple[str, str | None], ...] | None:
    """``[[reference, digest or null], ...]`` (missing: none); None when malformed."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(_is_base(pair) for pair in raw):
        return None
    return tuple((pair[0], pair[1]) for pair in raw)


def _is_base(pair: object) -> bool:
    return (
        isinstance(pair, list)
        and len(pair) == 2
        and isinstance(pair[0], str)
        and (pair[1] is None or isinstance(pair[1], str))
    )


def settings_fingerprint(*parts: object) -> str:
    """A stable digest of whatever shapes a repository's outcome (reprs of frozen records and strings)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(repr(part).encode() + b"\0")
    return digest.hexdigest()[:24]

"""A fleet run: every target through the pipeline, a bounded number at a time, each on its own.

Targets are split deterministically over shards (by a hash of the name, so adding a repository moves
no other), run concurrently up to ``config.concurrency``, and each one's failure is that repository's
outcome only. A first Ctrl-C stops starting new repositories and lets the running ones finish (their
state is GitHub's own, so a rerun resumes); the pull-request caps per run and per hour hold across
the workers.
"""

from __future__ import annotations

import hashlib
import re
import threading
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from bot.cache import RepoCache
from bot.outcome import RepoOutcome, RepoTarget, Verdict
from bot.proc import redact

_SHARD = re.compile(r"^([1-9][0-9]{0,3})/([1-9][0-9]{0,3})$")


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based, as a job matrix writes it: 1/4 … 4/4
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        found = _SHARD.match(text.strip())
        if not found or not 1 <= int(found.group(1)) <= int(found.group(2)):
            raise ValueError(f"{text!r} is not a shard: write i/n with 1 <= i <= n, e.g. 2/4")
        return cls(int(found.group(1)), int(found.group(2)))

    def holds(self, full_name: str) -> bool:
        digest = hashlib.sha256(full_name.lower().encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1


def select(targets: Sequence[RepoTarget], only: Sequence[str], shard: Shard | None) -> list[RepoTarget]:
    """The targets this run processes: ``--only`` names (case-insensitive), then this shard's share."""
    wanted = {name.lower() for name in only}
    chosen = [t for t in targets if not wanted or t.full_name.lower() in wanted]
    return [t for t in chosen if shard is None or shard.holds(t.full_name)]


class PrBudget:
    """The pull-request caps, per run and per hour (the hour across runs, through the cache)."""

    def __init__(self, per_run: int, per_hour: int, cache: RepoCache | None) -> None:
        self._lock = threading.Lock()
        self._left = per_run
        self._per_hour = per_hour
        self._cache = cache
        self._opened_here = 0

    def take(self) -> bool:
        with self._lock:
            in_hour = self._cache.opened_within_hour() if self._cache else self._opened_here
            if self._left <= 0 or in_hour >= self._per_hour:
                return False
            self._left -= 1
            self._opened_here += 1
            if self._cache is not None:
                self._cache.note_opened()
            return True


def run_fleet(
    targets: Sequence[RepoTarget],
    process: Callable[[RepoTarget], RepoOutcome],
    *,
    concurrency: int,
    on_done: Callable[[RepoOutcome], None] = lambda outcome: None,
    stop: threading.Event | None = None,  # set (the first Ctrl-C): no new repository starts
) -> list[RepoOutcome]:
    """Run ``process`` (the pipeline: ``lambda t: run_repo(t, context)``) over ``targets``, ``concurrency``
    at a time; outcomes in the targets' order.

    A repository not started because of ``stop`` is absent from the result."""
    stop = stop if stop is not None else threading.Event()
    outcomes: dict[str, RepoOutcome] = {}
    pending = list(targets)
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="repo") as pool:
        running: dict[Future[RepoOutcome], RepoTarget] = {}
        while pending or running:
            while pending and len(running) < concurrency and not stop.is_set():
                target = pending.pop(0)
                running[pool.submit(_isolated, process, target)] = target
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                target = running.pop(future)
                outcome = future.result()
                outcomes[target.full_name] = outcome
                on_done(outcome)
    return [outcomes[t.full_name] for t in targets if t.full_name in outcomes]


def _isolated(process: Callable[[RepoTarget], RepoOutcome], target: RepoTarget) -> RepoOutcome:
    """One repository, whatever happens in it: a bug in one is that repository's error, not the run's."""
    try:
        return process(target)
    except Exception as error:
        where = traceback.extract_tb(error.__traceback__)[-1]
        detail = redact(
            f"{type(error).__name__}: {error} (at {where.filename.rsplit('/', 1)[-1]}:{where.lineno})"
        )
        return RepoOutcome(target.full_name, Verdict.ERROR, (f"unexpected failure, please report: {detail}",))

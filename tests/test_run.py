"""The fleet run's own logic: shards, selection, the pull-request caps, isolation and a clean stop."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from bot.cache import RepoCache
from bot.outcome import RepoOutcome, RepoTarget, Verdict
from bot.run import PrBudget, Shard, run_fleet, select

FLEET = [RepoTarget(f"owner{i % 7}/repo-{i}") for i in range(200)]


def test_shards_split_the_fleet_without_overlap_or_gaps() -> None:
    shards = [Shard.parse(f"{i}/4") for i in range(1, 5)]
    held = Counter(t.full_name for shard in shards for t in select(FLEET, (), shard))
    assert set(held) == {t.full_name for t in FLEET}
    assert set(held.values()) == {1}
    assert all(len(select(FLEET, (), shard)) > 20 for shard in shards)  # roughly even, not all in one


def test_adding_a_repository_moves_no_other_between_shards() -> None:
    shard = Shard.parse("2/3")
    before = {t.full_name for t in select(FLEET, (), shard)}
    after = {t.full_name for t in select([*FLEET, RepoTarget("new/repo")], (), shard)}
    assert after - {"new/repo"} == before


@pytest.mark.parametrize("text", ["0/4", "5/4", "1/0", "a/b", "1-4", "", "2/4/1"])
def test_a_bad_shard_is_refused_with_the_form_to_use(text: str) -> None:
    with pytest.raises(ValueError, match="write i/n"):
        Shard.parse(text)


def test_only_selects_by_name_case_insensitively() -> None:
    assert [t.full_name for t in select(FLEET, ["OWNER1/Repo-1"], None)] == ["owner1/repo-1"]


def test_the_run_cap_and_the_hourly_cap_both_hold(tmp_path: Path) -> None:
    budget = PrBudget(per_run=3, per_hour=100, cache=None)
    assert [budget.take() for _ in range(5)] == [True, True, True, False, False]
    cache = RepoCache(tmp_path)
    assert [PrBudget(10, 2, cache).take() for _ in range(3)] == [True, True, False]  # across runs


def test_one_repository_blowing_up_does_not_stop_the_others() -> None:
    def process(target: RepoTarget) -> RepoOutcome:
        if target.full_name == "owner3/repo-3":
            raise RuntimeError("a bug")
        return RepoOutcome(target.full_name, Verdict.NOTHING_TO_DO)

    outcomes = run_fleet(FLEET[:10], process, concurrency=3)
    assert [o.target for o in outcomes] == [t.full_name for t in FLEET[:10]]
    broken = outcomes[3]
    assert broken.verdict is Verdict.ERROR
    assert "RuntimeError: a bug" in broken.reasons[0]
    assert {o.verdict for o in outcomes[:3] + outcomes[4:]} == {Verdict.NOTHING_TO_DO}


def test_concurrency_is_bounded() -> None:
    lock, now, peak = threading.Lock(), [0], [0]

    def process(target: RepoTarget) -> RepoOutcome:
        with lock:
            now[0] += 1
            peak[0] = max(peak[0], now[0])
        time.sleep(0.01)
        with lock:
            now[0] -= 1
        return RepoOutcome(target.full_name, Verdict.NOTHING_TO_DO)

    assert len(run_fleet(FLEET[:30], process, concurrency=4)) == 30
    assert peak[0] == 4


def test_a_stop_lets_running_repositories_finish_and_starts_no_more() -> None:
    stop = threading.Event()

    def process(target: RepoTarget) -> RepoOutcome:
        if target.full_name == "owner2/repo-2":
            stop.set()  # as the first Ctrl-C does
        return RepoOutcome(target.full_name, Verdict.NOTHING_TO_DO)

    outcomes = run_fleet(FLEET[:20], process, concurrency=1, stop=stop)
    assert [o.target for o in outcomes] == [t.full_name for t in FLEET[:3]]

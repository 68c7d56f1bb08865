"""Crash safety: ``multiarch-bot run`` SIGKILLed at random points of a 50-repository run, 20 times, then
one clean run: every eligible repository has exactly one pull request, and no branch is left behind, nor
a killed run's verify image or container in the Docker engine.

Half of the kills come after a seeded random delay (most land in a clone, a scan or a build; the longer
ones let a repository finish, so the kills move through the fleet); the other half right after the local
GitHub has done one of the bot's writes (a fork, a sync, a pull request, a push) and before the bot has
heard the answer: the windows where a crash could leave half of a change.
"""

from __future__ import annotations

import json
import random
import subprocess
import threading
import time
from pathlib import Path

import pytest

from bot.build.container import LABEL, RUN_LABEL
from bot.build.verify_tags import OWNED_VERIFY_IMAGES, verify_tag_owner
from bot.cache import SCHEMA
from bot.sandbox.github.exchange import Exchange
from bot.workspace import PREFIX, run_place
from tests.hardening.conftest import CheapFleet, Kind, MakeFleet
from tests.support.images import docker_client

pytestmark = pytest.mark.docker

SEED = 20261128
KILLS = 20
REPOS = 50
# Ten eligible repositories (built, forked, proposed) among 40 cheap ones (five blocked, 35 already
# multi-arch): builds are what costs, and the forge's windows are what the kills must hit.
KINDS = [Kind.ELIGIBLE if i % 5 == 0 else Kind.BLOCKED if i % 10 == 3 else Kind.READY for i in range(REPOS)]
KILLING_LIMIT = 240.0  # seconds for all the kills, whatever the machine
WRITE_WAIT = 10.0  # seconds a kill waits for its write before killing anyway


class Writes:
    """Counts the bot's writes as the local GitHub does them: REST writes and git pushes."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self.count = 0

    def seen(self) -> None:
        with self._condition:
            self.count += 1
            self._condition.notify_all()

    def observe(self, exchange: Exchange) -> None:
        if exchange.method != "GET" and exchange.status < 400:
            self.seen()

    def wait_for(self, count: int, timeout: float, running: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + timeout
        with self._condition:
            while self.count < count and running.poll() is None and time.monotonic() < deadline:
                self._condition.wait(0.05)


def hook_writes(fleet: CheapFleet) -> Writes:
    writes = Writes()
    fleet.github.observer = writes.observe  # called before the answer is sent
    git = fleet.github.dispatcher.git
    pushed = git.after_push

    def after_push(full_name: str) -> None:
        pushed(full_name)
        writes.seen()

    git.after_push = after_push
    return writes


def check_cache(cache: Path) -> None:
    """The cache a killed run left is whole: the last complete write, never half of one."""
    path = cache / "repos.json"
    if path.exists():
        assert json.loads(path.read_text())["schema"] == SCHEMA


def engine_leftovers(root: Path) -> list[str]:
    """The verify images and labelled containers of runs whose workspaces were below ``root``.

    Only those: the engine is shared with the other tests (and other checkouts' runs).
    """
    place = run_place(root)
    with docker_client() as client:
        found = [
            tag
            for image in client.images.list(filters={"reference": OWNED_VERIFY_IMAGES})
            for tag in image.tags
            if (verify_tag_owner(tag) or "").startswith(f"{place}-")
        ]
        found += [
            f"container {container.id}"
            # sparse: no inspect per container, which another test may be removing meanwhile
            for container in client.containers.list(all=True, sparse=True, filters={"label": LABEL})
            if (container.attrs.get("Labels") or {}).get(RUN_LABEL, "").startswith(f"{place}-")
        ]
    return found


def test_sigkill_at_random_points_then_one_clean_run_leaves_one_pr_per_repo_and_no_orphan_branch(
    cheap_fleet: MakeFleet, tmp_path: Path
) -> None:
    fleet = cheap_fleet(REPOS, kinds=KINDS, concurrency=2)
    writes = hook_writes(fleet)
    rng = random.Random(SEED)
    scratch = tmp_path / "scratch"  # the runs' workspaces: a killed run cannot delete its own
    scratch.mkdir()
    environment = fleet.environment() | {"TMPDIR": str(scratch)}
    kills, finished, started = 0, 0, time.monotonic()
    while kills < KILLS and time.monotonic() - started < KILLING_LIMIT:
        log = (tmp_path / f"killed-run-{kills + finished}.log").open("wb")
        running = subprocess.Popen(
            fleet.command(), env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        if rng.random() < 0.5:
            deadline = time.monotonic() + rng.uniform(0.5, 6.0)
            while running.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
        else:
            writes.wait_for(writes.count + rng.randint(1, 4), WRITE_WAIT, running)
            time.sleep(rng.uniform(0, 0.03))
        if running.poll() is None:
            running.kill()
            kills += 1
        else:
            finished += 1  # it ended by itself before its kill (little or nothing left to do)
        running.wait(timeout=30)
        log.close()
        check_cache(tmp_path / "cache")
        assert fleet.duplicate_pulls() == {}
    killing = time.monotonic() - started
    assert kills == KILLS, f"{kills} kills in {killing:.0f} s ({finished} runs finished on their own)"
    left_in_engine = len(engine_leftovers(scratch))

    final_started = time.monotonic()
    final = fleet.run_subprocess(env=environment)
    final_seconds = time.monotonic() - final_started
    assert final.code == 0, final.output[-3000:]
    fleet.assert_every_eligible_repo_has_one_pr_and_nothing_else()
    again = fleet.run_subprocess(env=environment)
    assert again.code == 0, again.output[-3000:]
    assert set(again.verdicts().values()) <= {"up-to-date", "blocked", "nothing-to-do"}
    fleet.assert_every_eligible_repo_has_one_pr_and_nothing_else()
    left = sorted(path.name for path in scratch.iterdir())
    assert [name for name in left if name.startswith(PREFIX)] == []  # the killed runs' clones are gone
    assert engine_leftovers(scratch) == []  # and their verify images and smoke containers
    print(
        f"\n{kills} kills in {killing:.0f} s ({writes.count} writes seen, {finished} ended by themselves),"
        f" final run {final_seconds:.0f} s,"
        f" {len(left)} scratch directories left by killed builds,"
        f" {left_in_engine} images and containers of killed runs in the engine before the final run"
    )

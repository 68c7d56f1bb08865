"""Run workspaces: locked while their run lives, removed by the next run once it is gone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from bot.workspace import LOCK, PREFIX, remove_abandoned, run_workspace

HOLD = """
import sys, time
from pathlib import Path
from bot.workspace import run_workspace
with run_workspace(Path(sys.argv[1])) as workspace:
    (workspace / "clone").mkdir()
    print(workspace, flush=True)
    time.sleep(60)
"""


def test_a_killed_runs_workspace_is_removed_by_the_next_run_and_a_live_ones_is_not(tmp_path: Path) -> None:
    env = os.environ | {"PYTHONPATH": str(Path(__file__).parents[1])}
    killed = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, env=env)
    alive = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, env=env)
    try:
        assert killed.stdout is not None
        assert alive.stdout is not None
        dead_one, live_one = (
            Path(killed.stdout.readline().decode().strip()),
            Path(alive.stdout.readline().decode().strip()),
        )
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=10)
        assert (dead_one / "clone").is_dir()  # SIGKILL: nothing cleaned up
        with run_workspace(tmp_path) as mine:
            assert not dead_one.exists()
            assert (live_one / "clone").is_dir()
            assert (mine / LOCK).is_file()
            assert remove_abandoned(tmp_path) == []  # its own is locked too
        assert not mine.exists()
    finally:
        alive.kill()
        alive.wait(timeout=10)


def test_only_locked_workspaces_of_this_kind_are_judged(tmp_path: Path) -> None:
    unlocked = tmp_path / f"{PREFIX}older"
    unlocked.mkdir()
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / LOCK).parent.mkdir()
    (elsewhere / LOCK).write_text("")
    (tmp_path / f"{PREFIX}link").symlink_to(elsewhere)
    assert remove_abandoned(tmp_path) == []
    assert unlocked.is_dir()
    assert (elsewhere / LOCK).is_file()

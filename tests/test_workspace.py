"""Run workspaces: locked while their run lives, removed by the next run once it is gone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from bot.workspace import LOCK, PREFIX, dead_runs, remove_abandoned, run_id, run_workspace

HOLD = """
import sys, time
from pathlib import Path
from bot.workspace import run_workspace
with run_workspace(Path(sys.argv[1])) as workspace:
    (workspace / "clone").mkdir()
    print(workspace, flush=True)
    time.sleep(60)
"""


def hold(root: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """A live process holding a run workspace below ``root`` (kill it after), and that workspace."""
    env = os.environ | {"PYTHONPATH": str(Path(__file__).parents[1])}
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(root)], stdout=subprocess.PIPE, env=env)
    assert holder.stdout is not None
    return holder, Path(holder.stdout.readline().decode().strip())


def test_a_killed_runs_workspace_is_removed_by_the_next_run_and_a_live_ones_is_not(tmp_path: Path) -> None:
    (killed, dead_one), (alive, live_one) = hold(tmp_path), hold(tmp_path)
    try:
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


def test_dead_runs_are_the_killed_and_the_gone_never_the_live_or_anothers(tmp_path: Path) -> None:
    root, elsewhere = tmp_path / "tmp", tmp_path / "elsewhere"
    root.mkdir()
    elsewhere.mkdir()
    (killed, dead_one), (alive, live_one) = hold(root), hold(root)
    dead_id, live_id = run_id(dead_one), run_id(live_one)
    try:
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=10)
        with run_workspace(root) as finished:
            gone_id = run_id(finished)
        with run_workspace(elsewhere) as other_place:
            other_id = run_id(other_place)
        ids = [dead_id, live_id, gone_id, other_id]
        assert all(isinstance(rid, str) for rid in ids)
        assert len(set(ids)) == 4
        assert dead_runs(root, [rid for rid in ids if rid] + ["not-a-run", ""]) == {dead_id, gone_id}
        assert dead_runs(elsewhere, [rid for rid in ids if rid]) == {other_id}  # its workspace is gone
    finally:
        alive.kill()
        alive.wait(timeout=10)


def test_only_a_locked_run_workspace_has_a_run_id(tmp_path: Path) -> None:
    assert run_id(tmp_path) is None  # not a workspace: its leftovers could never be judged
    plain = tmp_path / f"{PREFIX}plain"
    plain.mkdir()
    assert run_id(plain) is None  # no lock
    with run_workspace(tmp_path) as workspace:
        assert run_id(workspace) == run_id(workspace)
        assert dead_runs(tmp_path, [str(run_id(workspace))]) == set()  # our own run is alive


def test_another_users_workspace_is_not_judged(tmp_path: Path) -> None:
    with run_workspace(tmp_path) as workspace:
        rid = str(run_id(workspace))
    theirs = tmp_path / workspace.name  # the same name again, unlocked
    theirs.mkdir()
    (theirs / LOCK).write_text("")
    assert dead_runs(tmp_path, [rid]) == {rid}  # ours, and its lock is free
    if os.getuid() == 0:
        os.chown(theirs, 65534, 65534)  # another user's (everything root makes is root's)
    else:
        theirs.chmod(0)  # as another user's workspace is to us: a directory we cannot look into
    try:
        assert dead_runs(tmp_path, [rid]) == set()
    finally:
        theirs.chmod(0o700)  # for pytest's clean-up (root removes it anyway)

"""bot.proc against real processes: output, exit codes, timeouts that kill a whole group, redaction."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bot import proc
from bot.errors import BotError


@pytest.fixture(autouse=True)
def _no_leaked_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(proc, "_secrets", set())


def test_captures_output_exit_code_and_duration(tmp_path: Path) -> None:
    done = proc.run(
        ["sh", "-c", 'echo "out $GREETING"; echo err >&2; pwd; exit 3'],
        timeout=10,
        env={"GREETING": "hi", "PATH": os.environ["PATH"]},
        cwd=tmp_path,
        check=False,
    )
    assert done.argv[0] == "sh"
    assert done.returncode == 3
    assert done.out.splitlines() == ["out hi", str(tmp_path)]
    assert done.stderr == b"err\n"
    assert 0 <= done.duration < 10


def test_input_goes_to_stdin() -> None:
    assert proc.run(["cat"], timeout=10, input=b"fed\n").stdout == b"fed\n"


def test_failure_names_the_command_the_code_and_the_last_lines_of_stderr() -> None:
    script = 'for i in 1 2 3 4 5 6 7 8; do echo "line $i" >&2; done; exit 7'
    with pytest.raises(proc.ProcError) as caught:
        proc.run(["sh", "-c", script], timeout=10)
    message = str(caught.value)
    assert message.startswith("sh exited with 7: ")
    assert "line 8" in message
    assert "line 1 " not in message  # only the tail
    assert caught.value.returncode == 7
    assert isinstance(caught.value, BotError)


def test_command_name_keeps_subcommands_but_not_options_or_paths() -> None:
    argv = ["/usr/bin/docker", "buildx", "build", "--push", "."]
    assert proc.command_name(argv) == "docker buildx build"
    assert proc.command_name(["/bin/sleep", "5"]) == "sleep 5"
    assert proc.command_name(["git", "--git-dir=/x", "push"]) == "git"


def test_missing_program_is_a_proc_error() -> None:
    with pytest.raises(proc.ProcError, match=r"^no-such-program-here: cannot start"):
        proc.run(["no-such-program-here"], timeout=5)


def test_a_string_is_refused_rather_than_run_as_a_program_name() -> None:
    with pytest.raises(TypeError, match="not a string"):
        proc.run("echo hi", timeout=5)
    with pytest.raises(TypeError, match="non-empty"):
        proc.run([], timeout=5)


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    # The grandchild would outlive a kill of `sh` alone: it is in the same group, so it must die too.
    script = f"sleep 60 & echo $! > {pid_file}; echo started >&2; wait"
    started = time.monotonic()
    with pytest.raises(proc.ProcTimeout) as caught:
        proc.run(["sh", "-c", script], timeout=1)
    assert time.monotonic() - started < 10
    assert str(caught.value) == "sh timed out after 1s and was killed: started"
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while proc.is_running(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not proc.is_running(grandchild)


def test_registered_secrets_never_reach_the_message() -> None:
    proc.register_secret("s3cr3t-token")
    proc.register_secret("")  # ignored, or every message would be masked between each character
    with pytest.raises(proc.ProcError) as caught:
        proc.run(["sh", "-c", "echo auth failed for s3cr3t-token >&2; exit 1", "s3cr3t-token"], timeout=5)
    assert "s3cr3t-token" not in str(caught.value)
    assert "auth failed for ***" in str(caught.value)
    assert "s3cr3t-token" not in " ".join(caught.value.argv)


def test_redact_masks_the_longer_of_overlapping_secrets_whole() -> None:
    assert proc.redact("a abcdef b abc", ["abc", "abcdef"]) == "a *** b ***"
    assert proc.redact("nothing here", []) == "nothing here"


def test_spawn_daemon_logs_and_stop_daemon_stops_it(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "daemon.log"
    pid = proc.spawn_daemon(["sh", "-c", "echo ready; exec sleep 60"], log, env={"PATH": os.environ["PATH"]})
    assert os.getpgid(pid) == pid  # its own session, so Ctrl-C in our terminal does not reach it
    deadline = time.monotonic() + 5
    while "ready" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.is_running(pid)
    assert log.read_text() == "ready\n"
    proc.stop_daemon(pid, timeout=5)
    assert not proc.is_running(pid)


def test_stop_daemon_kills_the_group_of_one_that_ignores_sigterm(tmp_path: Path) -> None:
    pid = proc.spawn_daemon(
        ["sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"], tmp_path / "log"
    )
    deadline = time.monotonic() + 5
    while "ready" not in (tmp_path / "log").read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    started = time.monotonic()
    proc.stop_daemon(pid, timeout=0.5)
    assert not proc.is_running(pid)
    assert time.monotonic() - started < 5

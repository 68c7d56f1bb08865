"""The smoke run's and the binary check's decisions, without an engine: what runs, what an exit means."""

from __future__ import annotations

import pytest

from bot.build.container import ImageConfig, _path_stat
from bot.build.inspect import directories, interpreter_of
from bot.build.smoke import Attempt, AttemptRun, crash_error, default_attempts, exec_error, judge, start_error
from bot.model import AMD64, ARM64, Outcome

PATH = (("PATH", "/opt/app/bin:/usr/bin:relative"),)


def config(entrypoint: tuple[str, ...] = (), cmd: tuple[str, ...] = (), workdir: str = "/") -> ImageConfig:
    return ImageConfig(entrypoint, cmd, PATH, workdir, "arm64")


def argvs(image: ImageConfig) -> list[tuple[str, ...]]:
    return [attempt.argv for attempt in default_attempts(image)]


def test_program_is_probed_with_version_then_help_then_its_own_command() -> None:
    attempts = default_attempts(config(("/usr/bin/azurite",), ("-l", "/data")))
    assert [a.argv for a in attempts] == [
        ("/usr/bin/azurite", "--version"),
        ("/usr/bin/azurite", "--help"),
        ("/usr/bin/azurite", "-l", "/data"),
    ]
    assert [(a.entrypoint, a.command) for a in attempts] == [
        (("/usr/bin/azurite",), ("--version",)),
        (("/usr/bin/azurite",), ("--help",)),
        (None, None),  # the image's own, exactly as docker run would
    ]
    assert all(a.running_passes for a in attempts)


def test_cmd_program_is_probed_without_its_arguments() -> None:
    assert argvs(config(cmd=("node", "server.js")))[0] == ("node", "--version")


def test_init_wrapper_probes_the_program_it_starts() -> None:
    probes = argvs(config(("/sbin/tini", "--"), ("node", "server.js")))[:2]
    assert probes == [("/sbin/tini", "--", "node", "--version"), ("/sbin/tini", "--", "node", "--help")]


def test_entrypoint_script_gets_the_flag_itself() -> None:
    # docker-entrypoint.sh scripts commonly hand a leading flag to their program.
    assert argvs(config(("docker-entrypoint.sh",), ("postgres",)))[0] == ("docker-entrypoint.sh", "--version")


def test_shell_image_runs_uname_and_checks_the_machine() -> None:
    first, own = default_attempts(config(cmd=("/bin/sh",)))
    assert (first.argv, first.machine_check, first.running_passes) == (
        ("/bin/sh", "-c", "uname -m"),
        True,
        False,
    )
    assert own.argv == ("/bin/sh",)


def test_shell_form_runs_only_the_image_command() -> None:
    assert argvs(config(("/bin/sh", "-c", "exec server --port 80"))) == [
        ("/bin/sh", "-c", "exec server --port 80")
    ]


def test_nothing_to_run_makes_no_attempt() -> None:
    assert default_attempts(config()) == []


def ran(attempt: Attempt, exit_code: int | None, *tail: str) -> AttemptRun:
    return AttemptRun(attempt, exit_code, 1.0, tail)


PROBE = Attempt(("x", "--version"), ("x",), ("--version",), 0.25, running_passes=True)
CONFIGURED = Attempt(("x",), None, ("x",), 1.0, running_passes=False)
UNAME = Attempt(("sh", "-c", "uname -m"), ("sh", "-c", "uname -m"), (), 0.25, False, machine_check=True)


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        (ran(PROBE, 0, "x 1.0"), Outcome.PASSED),
        (ran(PROBE, None), Outcome.PASSED),  # kept running: a server ignoring the flag
        (ran(CONFIGURED, None), Outcome.TIMEOUT),  # a configured command was meant to finish
        (ran(PROBE, 2, "unknown flag --version"), None),  # next attempt
        (ran(PROBE, 139), Outcome.FAILED),  # SIGSEGV ends the run at once
        (ran(PROBE, 1, "exec /x: exec format error"), Outcome.FAILED),
        (ran(UNAME, 0, "aarch64"), Outcome.PASSED),
        (ran(UNAME, 0, "x86_64"), Outcome.FAILED),
        (ran(UNAME, 127, "sh: uname: not found"), None),
    ],
)
def test_judge(run: AttemptRun, expected: Outcome | None) -> None:
    assert judge(run, ARM64)[0] is expected


def test_oom_kill_is_named() -> None:
    outcome, error = judge(AttemptRun(PROBE, 137, 2.0, (), oom_killed=True), ARM64)
    assert (outcome, error) == (Outcome.FAILED, "killed: out of memory (the smoke run's limit is 1 GiB)")


def test_exec_errors_say_what_they_likely_mean() -> None:
    assert exec_error(["exec /usr/local/bin/tini: exec format error"]).startswith(
        "exec format error: the kernel cannot run /usr/local/bin/tini: a binary for another architecture"
    )
    missing_loader = exec_error(["exec /app/server: no such file or directory"])
    assert "its ELF interpreter (dynamic loader) is missing" in missing_loader
    assert exec_error(["server: exec format error in config"]) == ""  # a program's own words do not count


@pytest.mark.parametrize(
    ("explanation", "expected"),
    [
        (
            "failed to create task for container: failed to create shim task: OCI runtime create failed: "
            'runc create failed: unable to start container process: exec: "/nonexistent": '
            "stat /nonexistent: no such file or directory: unknown",
            "the entrypoint /nonexistent does not exist in the image",
        ),
        (
            'unable to start container process: exec: "nope": executable file not found in $PATH: unknown',
            "the entrypoint nope is not on the image's PATH",
        ),
        (
            'unable to start container process: exec: "/etc/passwd": permission denied: unknown',
            "the entrypoint /etc/passwd is not executable (permission denied)",
        ),
        ("something else entirely", "the container did not start: something else entirely"),
    ],
)
def test_start_errors(explanation: str, expected: str) -> None:
    assert start_error(explanation) == expected


def test_crash_under_emulation_says_so() -> None:
    assert crash_error(4, ARM64).startswith("crashed with SIGILL: an instruction this CPU lacks")
    assert "QEMU" in crash_error(11, ARM64)
    assert crash_error(11, AMD64) == "crashed with SIGSEGV"
    assert crash_error(63, AMD64) == "crashed with signal 63"


def test_interpreter_of_scripts() -> None:
    assert interpreter_of(b"#!/bin/sh\necho") == ("/bin/sh",)
    assert interpreter_of(b"#! /usr/bin/env python3 -u\n") == ("/usr/bin/env", "python3")
    assert interpreter_of(b"#!/usr/bin/env -S node --flag\n") == ("/usr/bin/env",)
    assert interpreter_of(b"\x7fELF\x02\x01\x01") == ()
    assert interpreter_of(b"#!\n") == ()


def test_directories_read_path_then_standard_then_workdir() -> None:
    found = directories(config(workdir="/srv/app"))
    assert found[:2] == ("/opt/app/bin", "/usr/bin")  # the image's PATH first, relative entries dropped
    assert found[-1] == "/srv/app"
    assert len(found) == len(set(found)) == 8
    assert "/" not in directories(config(workdir="/"))


def test_archive_stat_decodes_go_file_modes() -> None:
    link = _path_stat({"name": "sh", "size": 12, "mode": 134218239, "linkTarget": "/bin/busybox"})
    assert (link.is_symlink, link.is_dir, link.link_target) == (True, False, "/bin/busybox")
    directory = _path_stat({"name": "bin", "size": 4096, "mode": 2147484141, "linkTarget": ""})
    assert (directory.is_symlink, directory.is_dir) == (False, True)

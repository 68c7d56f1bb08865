"""The only GitPython code: every git command the bot runs, on clones of untrusted repositories.

Every command runs with no hooks (``core.hooksPath=/dev/null``), no ``ext::`` transport, no system or
global git config (a credential helper or an ``url.*.insteadOf`` there could store the token or send a
push elsewhere), no terminal prompt, and without the caller's ``GIT_*`` variables: a stray ``GIT_DIR``
would redirect a commit, ``GIT_TRACE_CURL`` with ``GIT_TRACE_REDACT=0`` would print the token.
GitPython starts every command from a copy of ``os.environ`` and can only add to it, so inherited
``GIT_*`` variables are removed by ``env -u`` in front of git. What git prints, and every error, passes
through ``bot.proc.redact`` and ``redact_url``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import git

from bot import proc
from bot.errors import GitError
from bot.proc import redact

_SAFE_CONFIG = (
    "core.hooksPath=/dev/null",  # a repo's hooks never run
    "protocol.ext.allow=never",
    "submodule.recurse=false",
)
_CLONE_CONFIG = (*_SAFE_CONFIG, "core.symlinks=true", "advice.detachedHead=false")
_CREDENTIALS_IN_URL = re.compile(r"(?<=://)[^/@\s]+@")
_ENV = "/usr/bin/env"
# Kept from the caller: where to find CA certificates (a TLS-inspecting proxy needs its CA). They decide
# whom git trusts, not where it goes or what it prints.
_KEPT = frozenset({"GIT_SSL_CAINFO", "GIT_SSL_CAPATH"})
TIMEOUT = 300.0  # seconds for one git command; a clone of a big repository over a slow link included


@dataclass(frozen=True)
class GitRun:
    """One finished git command; ``stdout`` and ``stderr`` are already redacted."""

    status: int
    stdout: str
    stderr: str

    @property
    def last_error_line(self) -> str:
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else f"git exited with {self.status}"

    @property
    def cause(self) -> str:
        """The first ``error:``/``fatal:`` line, which says why: a failed checkout ends its stderr with
        advice ("and retry with 'git restore …'") after the line that names the invalid path."""
        said = [line.strip() for line in self.stderr.splitlines() if line.startswith(("error:", "fatal:"))]
        return said[0] if said else self.last_error_line


def redact_url(text: str) -> str:
    """Remove ``user:secret@`` from every URL in a text."""
    return _CREDENTIALS_IN_URL.sub("***@", text)


def scrubbed_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment git runs in: the caller's without GIT_* (but CA paths) and without any variable that
    holds a registered secret (the bot's token stays in the bot), plus ours, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if (not k.startswith("GIT_") or k in _KEPT) and not proc.holds_secret(v)
    }
    env["GIT_TERMINAL_PROMPT"] = "0"  # never wait for a password on a terminal
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_CONFIG_GLOBAL"] = os.devnull
    env.update(extra or {})
    return env


def looks_like_git_url(text: str) -> bool:
    return bool(re.match(r"^(https?|ssh|git|file)://", text)) or bool(re.match(r"^[\w.-]+@[\w.-]+:", text))


def run_git(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT,
    check: bool = True,
) -> GitRun:
    """``git -c <safe config> args…`` in ``cwd``; ``env`` adds variables for this one command only.

    Raises GitError (redacted) when git cannot start or, with ``check``, exits non-zero.
    """
    environment = scrubbed_env(env)
    inherited = sorted(k for k in os.environ if k.startswith("GIT_") and k not in environment)
    unset = [arg for name in inherited for arg in ("-u", name)]
    executable = git.Git.GIT_PYTHON_GIT_EXECUTABLE or "git"
    safe = [arg for item in _SAFE_CONFIG for arg in ("-c", item)]
    command = [_ENV, *unset, "--", executable, *safe, *args]
    runner = git.Git(str(cwd) if cwd is not None else None)
    try:
        status, stdout, stderr = runner.execute(
            command,
            env=environment,
            kill_after_timeout=timeout,
            with_extended_output=True,
            with_exceptions=False,
        )
    except git.GitCommandNotFound:
        raise GitError("git is not installed (or not on PATH)") from None
    result = GitRun(status, _clean(stdout), _clean(stderr))
    if check and status != 0:
        raise GitError(f"git {_verb(args)} failed: {result.last_error_line}")
    return result


def shallow_clone(url: str, dest: Path, *, branch: str | None = None) -> Path:
    """Clone the tip of ``branch`` (default: the remote's HEAD) into ``dest``; return ``dest``."""
    if url.startswith("-"):
        raise GitError(f"refusing a repository URL that starts with '-': {redact_url(url)!r}")
    if url.startswith("ext::"):
        raise GitError(f"cannot clone {redact_url(url)}: unsafe transport refused")
    options = [f"--config={item}" for item in _CLONE_CONFIG]
    options += ["--depth=1", "--single-branch", "--no-tags", "--no-recurse-submodules"]
    if branch:
        options.append(f"--branch={branch}")
    result = run_git(["clone", *options, "--", url, str(dest)], check=False)
    if result.status != 0:
        detail = result.cause
        if len(detail) > 1 and detail[0] == detail[-1] == "'":
            detail = detail[1:-1]
        if "transport 'ext' not allowed" in detail:
            detail = "unsafe transport refused"
        raise GitError(f"cannot clone {redact_url(url)}: {detail}")
    return dest


def _clean(output: str | bytes) -> str:
    text = output.decode(errors="replace") if isinstance(output, bytes) else output
    return redact_url(redact(text))


def _verb(args: Sequence[str]) -> str:
    """The subcommand, for messages: ``push`` for ``-c x=y push …``."""
    words = iter(args)
    for word in words:
        if word == "-c":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return "command"

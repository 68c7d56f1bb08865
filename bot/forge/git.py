"""The only GitPython code: clones of untrusted repositories.

Clones are shallow (one commit of one branch), run no hooks, fetch no submodules and refuse the
`ext::` transport; the caller's GIT_* variables are scrubbed so a stray GIT_DIR or GIT_SSH_COMMAND in
the environment cannot redirect what happens.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import git

from bot.errors import GitError

_CLONE_CONFIG = (
    "core.hooksPath=/dev/null",  # a repo's hooks never run
    "protocol.ext.allow=never",
    "submodule.recurse=false",
    "core.symlinks=true",
    "advice.detachedHead=false",
)
_CREDENTIALS_IN_URL = re.compile(r"(?<=://)[^/@\s]+@")


def redact_url(text: str) -> str:
    """Remove ``user:secret@`` from every URL in a text."""
    return _CREDENTIALS_IN_URL.sub("***@", text)


def scrubbed_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_TERMINAL_PROMPT"] = "0"  # never wait for a password on a terminal
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    return env


def looks_like_git_url(text: str) -> bool:
    return bool(re.match(r"^(https?|ssh|git|file)://", text)) or bool(re.match(r"^[\w.-]+@[\w.-]+:", text))


def shallow_clone(url: str, dest: Path, *, branch: str | None = None) -> Path:
    """Clone the tip of ``branch`` (default: the remote's HEAD) into ``dest``; return ``dest``."""
    if url.startswith("-"):
        raise GitError(f"refusing a repository URL that starts with '-': {redact_url(url)!r}")
    options = [f"--config={item}" for item in _CLONE_CONFIG]
    options += ["--depth=1", "--single-branch", "--no-tags", "--no-recurse-submodules"]
    if branch:
        options.append(f"--branch={branch}")
    try:
        # our own fixed --config options: GitPython's unsafe-option guard exists for caller-supplied ones
        git.Repo.clone_from(url, dest, multi_options=options, env=scrubbed_env(), allow_unsafe_options=True)
    except git.GitCommandError as err:
        lines = str(err.stderr or "").strip().strip("'").splitlines()
        detail = redact_url(lines[-1].strip()) if lines else "git failed"
        raise GitError(f"cannot clone {redact_url(url)}: {detail}") from None
    except git.UnsafeProtocolError:
        raise GitError(f"cannot clone {redact_url(url)}: unsafe transport refused") from None
    return dest

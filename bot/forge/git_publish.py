"""Commit a Patch in a clone and push it to one branch of the bot's fork, with a lease.

The token reaches git only through the environment of the one command that needs it, as
``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_n``/``GIT_CONFIG_VALUE_n`` entries that set an HTTP extra header
for exactly the fork's URL: never in a URL, never in ``.git/config``, never in argv (where GitPython's
error text and /proc would show it). Redirects are not followed with it, so the header cannot travel
to another host. Every git command goes through ``bot.forge.git.run_git`` (the GitPython code).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bot.errors import GitError
from bot.forge.git import TIMEOUT, redact_url, run_git
from bot.forge.pr_body import pr_title
from bot.model import Patch, Platform
from bot.patch.propose import write_patch
from bot.proc import redact, register_secret

_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_BRANCH = re.compile(r"^(?!-)(?!.*(?:\.\.|//|@\{|\.lock(?:/|$)|/\.))[A-Za-z0-9._/-]+(?<![./])$")
_IDENTITY_FORBIDDEN = re.compile(r"[<>\n\r\x00]")


@dataclass(frozen=True)
class GitIdentity:
    """Who the bot's commits are by (author and committer), and whom a Signed-off-by names."""

    name: str
    email: str


class LeaseRejected(GitError):
    """The fork's branch is not where we expected it (someone pushed, or it appeared or vanished)."""


class PushRejected(GitError):
    """The fork refused the push for another reason (authentication, permissions, a server hook)."""


def commit_message(patch: Patch, platforms: Sequence[Platform]) -> str:
    """Subject, why, and what changed per file: the message says why, the diff says how."""
    lines = [
        pr_title(platforms),
        "",
        "arm64 machines (Apple Silicon, AWS Graviton, Raspberry Pi) get an amd64-only image today and run",
        "it under emulation, or cannot run it at all. The base images already publish these platforms, so",
        "the build only has to ask for them.",
        "",
    ]
    for edit in patch.edits:
        lines.append(f"{_plain(edit.path)}:")
        lines += [f"- {_plain(why)}" for why in edit.rationale]
    return "\n".join(lines).rstrip() + "\n"


def commit_patch(
    checkout: Path,
    patch: Patch,
    *,
    identity: GitIdentity,
    message: str,
    signoff: bool,
    date: str | None = None,
) -> str:
    """Write ``patch`` into ``checkout`` and commit exactly its files; return the new commit's sha.

    ``signoff`` adds ``Signed-off-by: name <email>`` (the DCO). ``date`` (e.g. the base commit's date)
    makes the commit reproducible: the same patch on the same base gives the same sha, so "nothing new
    to push" is a comparison with the fork's tip.
    """
    for value in (identity.name, identity.email):
        if not value.strip() or _IDENTITY_FORBIDDEN.search(value):
            raise GitError(f"not a usable commit identity: {value!r}")
    if not patch.edits:
        raise GitError("nothing to commit: the patch has no edits")
    paths = write_patch(checkout, patch)
    run_git(["add", "--", *paths], cwd=checkout)
    if run_git(["diff", "--cached", "--quiet"], cwd=checkout, check=False).status == 0:
        raise GitError("nothing to commit: the checkout already holds every edit of the patch")
    dates = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date} if date else {}
    command = ["-c", f"user.name={identity.name}", "-c", f"user.email={identity.email}"]
    command += ["-c", "commit.gpgSign=false", "commit", "--no-verify", "--quiet", "-m", message]
    command += ["--signoff"] if signoff else []
    run_git(command, cwd=checkout, env=dates)
    return head_sha(checkout)


def head_sha(checkout: Path) -> str:
    return run_git(["rev-parse", "--verify", "HEAD^{commit}"], cwd=checkout).stdout.strip()


def commit_date(checkout: Path, rev: str = "HEAD") -> str:
    """The committer date of ``rev`` (strict ISO 8601), e.g. to date the bot's commit reproducibly."""
    return run_git(["log", "-1", "--format=%cI", rev, "--"], cwd=checkout).stdout.strip()


def remote_branch_sha(url: str, branch: str, token: str | None, *, timeout: float = 60.0) -> str | None:
    """The tip of ``branch`` on the repository at ``url``; None when the branch does not exist."""
    _check_target(url, branch)
    ref = f"refs/heads/{branch}"
    result = run_git(
        ["ls-remote", "--refs", "--", url, ref], env=_auth_env(url, token), timeout=timeout, check=False
    )
    if result.status != 0:
        raise _push_error(f"cannot read {ref} of {redact_url(url)}", result.stderr, "", result.status)
    for line in result.stdout.splitlines():
        sha, _, name = line.partition("\t")
        if name == ref and _SHA.match(sha):
            return sha
    return None


def push_branch(
    checkout: Path,
    url: str,
    branch: str,
    token: str,
    *,
    expected_sha: str | None,
    timeout: float = TIMEOUT,
) -> str:
    """Push HEAD to ``refs/heads/<branch>`` at ``url`` if that branch is still at ``expected_sha``.

    ``expected_sha=None`` means the branch must not exist yet. A branch already at HEAD is left as it is
    (git has nothing to send, so the lease is not consulted). Returns the pushed sha. Raises
    LeaseRejected when the branch moved, PushRejected when the server refused (bad token, no access).
    """
    _check_target(url, branch)
    if expected_sha is not None and not _SHA.match(expected_sha):
        raise GitError(f"not a commit sha: {expected_sha!r}")
    ref = f"refs/heads/{branch}"
    lease = f"--force-with-lease={ref}:{expected_sha or ''}"
    command = [
        "push",
        "--porcelain",
        "--no-verify",
        "--no-recurse-submodules",
        lease,
        "--",
        url,
        f"HEAD:{ref}",
    ]
    result = run_git(command, cwd=checkout, env=_auth_env(url, token), timeout=timeout, check=False)
    if result.status == 0:
        return head_sha(checkout)
    where = f"push to {branch} on {redact_url(url)}"
    if "stale info" in result.stdout:
        expected = expected_sha[:12] if expected_sha else "absent"
        raise LeaseRejected(f"{where} refused: the branch is no longer where it was expected ({expected})")
    raise _push_error(f"{where} refused", result.stderr, result.stdout, result.status)


def _auth_env(url: str, token: str | None) -> dict[str, str]:
    """Config entries for this one command: the token as an extra header for exactly ``url``."""
    entries = [("credential.helper", ""), ("http.followRedirects", "false")]
    if token:
        header = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        register_secret(token)
        register_secret(header)
        entries.append((f"http.{url}.extraHeader", f"Authorization: Basic {header}"))
    env = {"GIT_CONFIG_COUNT": str(len(entries))}
    for n, (key, value) in enumerate(entries):
        env[f"GIT_CONFIG_KEY_{n}"] = key
        env[f"GIT_CONFIG_VALUE_{n}"] = value
    return env


def _check_target(url: str, branch: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise GitError(f"the fork's URL must be http(s): {redact_url(url)!r}")
    if parts.username or parts.password:
        raise GitError(f"the fork's URL carries credentials; pass the token separately: {redact_url(url)!r}")
    if not _BRANCH.match(branch):
        raise GitError(f"not a usable branch name: {branch!r}")


def _push_error(what: str, stderr: str, stdout: str, status: int) -> GitError:
    """What the server said (its ``remote:`` lines, GitHub's reasons) and git's verdict on the ref."""
    said = [
        line.removeprefix("remote:").strip() for line in stderr.splitlines() if line.startswith("remote:")
    ]
    said = [line for line in said if line and not set(line) <= set("-=* ")]
    refused = [line.split("\t")[-1] for line in stdout.splitlines() if line.startswith("!")]
    others = [line.strip() for line in stderr.splitlines() if line.strip() and not line.startswith("remote:")]
    text = " | ".join([*said[-3:], *refused[-1:]] or others[-2:]) or f"git exited with {status}"
    text = redact_url(redact(text))
    if re.search(r"Authentication failed|returned error: (401|403)|could not read Username", stderr):
        return PushRejected(f"{what}: the token was not accepted or cannot write there ({text})")
    return PushRejected(f"{what}: {text}")


def _plain(text: str) -> str:
    """Repository text on one commit-message line: masked, no control characters, bounded."""
    line = " ".join(redact(text).split())
    return re.sub(r"[\x00-\x1f\x7f]", "", line)[:300]

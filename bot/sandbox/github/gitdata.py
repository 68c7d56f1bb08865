"""Git operations on the local GitHub's bare repositories, all through ``bot.proc`` and the git binary.

The REST API answers from these repositories (refs, branches, file contents, pull request counters), so
what it says always agrees with what a clone sees.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot import proc
from bot.sandbox.github.hooks import install_hooks

_TIMEOUT = 60.0
ZERO_SHA = "0" * 40
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's well-known empty tree
_AUTHOR = ("Sandbox Seeder", "seeder@sandbox.invalid")


def git_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """A minimal environment: no user or system git config may change what the server does."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C",
        "HOME": tempfile.gettempdir(),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
    }
    env.update(extra or {})
    return env


def git(git_dir: Path, *args: str, check: bool = True, env: dict[str, str] | None = None) -> proc.Completed:
    return proc.run(("git", f"--git-dir={git_dir}", *args), timeout=_TIMEOUT, env=git_env(env), check=check)


@dataclass(frozen=True)
class RefEntry:
    ref: str  # refs/heads/main
    sha: str
    type: str  # commit, tag, …


@dataclass(frozen=True)
class DiffFacts:
    commits: int
    additions: int
    deletions: int
    changed_files: int
    mergeable: bool


def init_bare(git_dir: Path, default_branch: str) -> None:
    git_dir.parent.mkdir(parents=True, exist_ok=True)
    proc.run(
        ("git", "init", "--quiet", "--bare", f"--initial-branch={default_branch}", str(git_dir)),
        timeout=_TIMEOUT,
        env=git_env(),
    )
    install_hooks(git_dir)


def commit_directory(git_dir: Path, directory: Path, branch: str, message: str) -> str:
    """Commit every file of ``directory`` (as ``git add --all`` sees it) on ``branch``; the new sha."""
    with tempfile.TemporaryDirectory() as scratch:
        env = {
            "GIT_INDEX_FILE": str(Path(scratch) / "index"),
            "GIT_WORK_TREE": str(directory),
            "GIT_AUTHOR_NAME": _AUTHOR[0],
            "GIT_AUTHOR_EMAIL": _AUTHOR[1],
            "GIT_COMMITTER_NAME": _AUTHOR[0],
            "GIT_COMMITTER_EMAIL": _AUTHOR[1],
        }
        git(git_dir, "add", "--all", ".", env=env)
        tree = git(git_dir, "write-tree", env=env).out.strip()
        parent = resolve(git_dir, f"refs/heads/{branch}")
        parents = ("-p", parent) if parent else ()
        sha = git(git_dir, "commit-tree", tree, *parents, "-m", message, env=env).out.strip()
    git(git_dir, "update-ref", f"refs/heads/{branch}", sha)
    return sha


def copy_for_fork(upstream: Path, fork: Path, *, branch: str | None) -> None:
    """A fork's repository: the upstream's branches and tags, sharing its objects through alternates.

    Shared objects are what lets a fork's branch be set to any upstream sha, as on GitHub's fork network.
    """
    fork.parent.mkdir(parents=True, exist_ok=True)
    argv = ["git", "clone", "--quiet", "--bare", "--shared"]
    if branch:
        argv += ["--single-branch", f"--branch={branch}"]
    proc.run((*argv, str(upstream), str(fork)), timeout=_TIMEOUT, env=git_env())
    git(fork, "remote", "remove", "origin")
    install_hooks(fork)


def remove(git_dir: Path) -> None:
    shutil.rmtree(git_dir, ignore_errors=True)


def resolve(git_dir: Path, ref: str) -> str | None:
    """The commit ``ref`` names, or None when there is no such ref or object."""
    result = git(git_dir, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
    return result.out.strip() or None if result.returncode == 0 else None


def object_type(git_dir: Path, sha: str) -> str | None:
    result = git(git_dir, "cat-file", "-t", sha, check=False)
    return result.out.strip() if result.returncode == 0 else None


def list_refs(git_dir: Path, prefix: str = "refs/") -> list[RefEntry]:
    fmt = "%(refname) %(objectname) %(objecttype)"
    lines = git(git_dir, "for-each-ref", f"--format={fmt}", prefix).out.splitlines()
    return [RefEntry(*line.split(" ", 2)) for line in lines if line]


def update_ref(git_dir: Path, ref: str, sha: str) -> None:
    git(git_dir, "update-ref", ref, sha)


def delete_ref(git_dir: Path, ref: str) -> None:
    git(git_dir, "update-ref", "-d", ref)


def is_ancestor(git_dir: Path, ancestor: str, descendant: str) -> bool:
    return git(git_dir, "merge-base", "--is-ancestor", ancestor, descendant, check=False).returncode == 0


def fetch_into(git_dir: Path, source: Path, source_ref: str, target_ref: str) -> None:
    git(git_dir, "fetch", "--quiet", "--no-tags", str(source), f"+{source_ref}:{target_ref}")


def count_commits(git_dir: Path, base: str, head: str) -> int:
    return int(git(git_dir, "rev-list", "--count", f"{base}..{head}").out.strip())


def compare(git_dir: Path, base: str, head: str) -> DiffFacts:
    """What GitHub shows for a pull request: commits ahead, the three-dot diff's size, whether it merges."""
    additions = deletions = files = 0
    for line in git(git_dir, "diff", "--numstat", f"{base}...{head}").out.splitlines():
        added, deleted, _ = line.split("\t", 2)
        files += 1
        # Binary files show "-": GitHub counts them as changed with no lines.
        additions += int(added) if added.isdigit() else 0
        deletions += int(deleted) if deleted.isdigit() else 0
    merges = git(git_dir, "merge-tree", "--write-tree", base, head, check=False).returncode == 0
    return DiffFacts(count_commits(git_dir, base, head), additions, deletions, files, merges)


@dataclass(frozen=True)
class TreeEntry:
    path: str
    name: str
    type: str  # blob, tree, commit
    sha: str
    size: int


def tree_entry(git_dir: Path, ref: str, path: str) -> TreeEntry | None:
    result = git(git_dir, "ls-tree", "--long", "--full-tree", ref, "--", path.strip("/"), check=False)
    return _tree_entries(result.out)[0] if result.returncode == 0 and result.out.strip() else None


def list_tree(git_dir: Path, ref: str, path: str) -> list[TreeEntry]:
    prefix = path.strip("/") + "/" if path.strip("/") else ""
    return _tree_entries(git(git_dir, "ls-tree", "--long", "--full-tree", ref, "--", prefix).out)


def _tree_entries(text: str) -> list[TreeEntry]:
    entries = []
    for line in text.splitlines():
        meta, path = line.split("\t", 1)
        _, kind, sha, size = meta.split()
        entries.append(
            TreeEntry(path, path.rsplit("/", 1)[-1], kind, sha, int(size) if size.isdigit() else 0)
        )
    return entries


def read_blob(git_dir: Path, sha: str) -> bytes:
    return git(git_dir, "cat-file", "blob", sha).stdout


def commit_summary(git_dir: Path, sha: str) -> dict[str, str]:
    fmt = "%H%n%T%n%an%n%ae%n%aI%n%cn%n%ce%n%cI%n%B"
    lines = git(git_dir, "show", "-s", f"--format={fmt}", sha).out.split("\n", 8)
    keys: tuple[str, ...] = ("sha", "tree", "author_name", "author_email", "author_date")
    keys += ("committer_name", "committer_email", "committer_date", "message")
    values = [line.strip() for line in lines[:8]] + [lines[8].rstrip("\n") if len(lines) > 8 else ""]
    return dict(zip(keys, values, strict=True))


def parents(git_dir: Path, sha: str) -> list[str]:
    return git(git_dir, "rev-list", "--parents", "-n", "1", sha).out.split()[1:]


def merge_commit(git_dir: Path, ours: str, theirs: str, message: str) -> str | None:
    """A merge commit of ``theirs`` into ``ours``, or None when they conflict."""
    result = git(git_dir, "merge-tree", "--write-tree", ours, theirs, check=False)
    if result.returncode != 0:
        return None
    tree = result.out.splitlines()[0].strip()
    env = {
        "GIT_AUTHOR_NAME": "GitHub",
        "GIT_AUTHOR_EMAIL": "noreply@github.invalid",
        "GIT_COMMITTER_NAME": "GitHub",
        "GIT_COMMITTER_EMAIL": "noreply@github.invalid",
    }
    return git(git_dir, "commit-tree", tree, "-p", ours, "-p", theirs, "-m", message, env=env).out.strip()


@dataclass(frozen=True)
class FileChange:
    path: str
    status: str  # added, removed, modified (renames are not detected, as with --no-renames)
    additions: int
    deletions: int
    blob_sha: str  # the file's blob after the change (before it, for a removal)
    patch: str | None  # the unified hunks; None for binary files


def changed_files(git_dir: Path, base: str, head: str, *, two_dot: bool = False) -> list[FileChange]:
    """The files of a pull request's three-dot diff (``two_dot``: of ``base`` → ``head``, for a commit)."""
    span = f"{base}..{head}" if two_dot else f"{base}...{head}"
    raw = git(git_dir, "diff", "--no-renames", "--raw", "--no-abbrev", span).out.splitlines()
    counts: dict[str, tuple[int, int, bool]] = {}
    for line in git(git_dir, "diff", "--no-renames", "--numstat", span).out.splitlines():
        plus, minus, path = line.split("\t", 2)
        # Binary files show "-" for both counts: GitHub lists them with no lines and no patch.
        counts[path] = (int(plus) if plus.isdigit() else 0, int(minus) if minus.isdigit() else 0, plus == "-")
    patches = _split_patch(git(git_dir, "diff", "--no-renames", span).out)
    changes = []
    for line in raw:
        meta, path = line.split("\t", 1)
        _, _, old_sha, new_sha, letter = meta.split()
        status = {"A": "added", "D": "removed"}.get(letter, "modified")
        additions, deletions, binary = counts.get(path, (0, 0, False))
        blob = old_sha if status == "removed" else new_sha
        patch = None if binary else patches.get(path, "")
        changes.append(FileChange(path, status, additions, deletions, blob, patch))
    return changes


def _split_patch(diff: str) -> dict[str, str]:
    patches: dict[str, str] = {}
    for section in diff.split("\ndiff --git "):
        header, _, rest = section.partition("\n@@")
        first = header.removeprefix("diff --git ").split("\n", 1)[0]
        path = first.split(" b/", 1)[-1] if " b/" in first else ""
        if path and rest:
            patches[path] = "@@" + rest.rstrip("\n")
    return patches


def commits_between(git_dir: Path, base: str, head: str) -> list[str]:
    """The commits a pull request adds, oldest first (GitHub's order for ``…/pulls/{n}/commits``)."""
    return git(git_dir, "rev-list", "--reverse", f"{base}..{head}").out.split()

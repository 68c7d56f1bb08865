"""Hostile upstream repositories through the real pipeline: each is a git repository served by the local
GitHub over smart HTTP, built object by object (so it can hold what ``git add`` never would: trees named
``..`` or ``.git``, gitlinks, symlinks anywhere), and run through ``run_repo`` as a fleet run would.

What holds for every one: the bot reads nothing outside its clone (an audit hook records every file the
process opens), runs none of the repository's code (marker files that a filter, hook, submodule transport
or injected option would create never appear), and ends with an outcome whose reason or scan problems
name what it met, in bounded time: never a crash report, never a hang.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from bot import proc
from bot.build.run import build_platform
from bot.config import config_from_mapping
from bot.forge import github as forge
from bot.forge.publish import Forge
from bot.model import ARM64, BuildPlan, Outcome
from bot.outcome import Gate, RepoOutcome, RepoTarget, Verdict
from bot.pipeline import RunContext, run_repo
from bot.sandbox.github import gitdata
from bot.sandbox.github.server import LocalGitHub
from bot.scan.registry import RegistryClient
from tests.support.docker import DockerSandbox
from tests.support.local_github import FAST
from tests.support.registry import SeededRegistry

pytestmark = pytest.mark.registry

AZURITE = Path(__file__).parents[2] / "bot" / "sandbox" / "examples" / "azurite"
SECONDS = 60  # far above what any of these takes; a hang would blow it


@dataclass(frozen=True)
class Link:
    """A symlink in the repository, pointing at ``target``."""

    target: str


@dataclass(frozen=True)
class Script:
    """An executable file."""

    text: str


@dataclass(frozen=True)
class Gitlink:
    """A submodule's commit in the tree (what ``git submodule add`` records)."""

    sha: str


Entry = str | bytes | Link | Script | Gitlink


# -- every file the process opens, while a hostile repository is processed ------------------------------

_opened: list[str] = []
_recording = threading.Event()


def _audit(event: str, args: tuple[object, ...]) -> None:
    if _recording.is_set() and event == "open" and isinstance(args[0], str | bytes):
        path = args[0].decode(errors="replace") if isinstance(args[0], bytes) else args[0]
        _opened.append(os.path.realpath(path))


sys.addaudithook(_audit)  # audit hooks cannot be removed: it records only while _recording is set


# -- seeding: a repository written object by object into the local GitHub's bare repository -------------


def _git(git_dir: Path, *args: str, stdin: bytes | None = None, env: Mapping[str, str] | None = None) -> str:
    argv = ("git", f"--git-dir={git_dir}", *args)
    return proc.run(argv, timeout=60, env=gitdata.git_env(dict(env or {})), input=stdin).out.strip()


def _write_tree(git_dir: Path, entries: Mapping[str, Entry]) -> str:
    """A tree from ``entries`` (paths split on "/"; any component name git stores, ``..`` and ``.git``
    included); its sha."""
    here: dict[str, Entry] = {}
    below: dict[str, dict[str, Entry]] = {}
    for path, entry in entries.items():
        first, slash, rest = path.partition("/")
        if slash:
            below.setdefault(first, {})[rest] = entry
        else:
            here[first] = entry
    lines = [f"040000 tree {_write_tree(git_dir, sub)}\t{name}" for name, sub in below.items()]
    for name, entry in here.items():
        if isinstance(entry, Gitlink):
            lines.append(f"160000 commit {entry.sha}\t{name}")
            continue
        mode, data = _blob(entry)
        blob = _git(git_dir, "hash-object", "-w", "--stdin", stdin=data)
        lines.append(f"{mode} blob {blob}\t{name}")
    return _git(git_dir, "mktree", "-z", "--missing", stdin="".join(f"{line}\0" for line in lines).encode())


def _blob(entry: str | bytes | Link | Script) -> tuple[str, bytes]:
    """The tree mode and the content of a file entry."""
    if isinstance(entry, Link):
        return "120000", entry.target.encode()
    if isinstance(entry, Script):
        return "100755", entry.text.encode()
    return "100644", entry.encode() if isinstance(entry, str) else entry


def _directory_entries(directory: Path) -> dict[str, Entry]:
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


@dataclass
class Hostile:
    github: LocalGitHub
    registry: str  # the address docker.io is mirrored to
    token: str
    workspace: Path  # where the bot clones: <workspace>/repo-*/checkout
    outside: Path  # beside the workspace: what a symlink or traversal out of a clone would reach
    markers: Path  # code that ran would leave a file here
    opened: list[str] = field(default_factory=list)

    def seed(
        self, name: str, files: Mapping[str, Entry], *, base: Path | None = AZURITE, branch: str = "main"
    ) -> str:
        """``hostile/<name>`` holding ``base``'s files plus ``files``, on ``branch``; the commit's sha."""
        self.github.import_directory(AZURITE, "hostile", name)
        git_dir = self.github.git_dir(f"hostile/{name}")
        entries = (_directory_entries(base) if base is not None else {}) | dict(files)
        tree = _write_tree(git_dir, entries)
        author = {
            f"GIT_{who}_{what}": value
            for who in ("AUTHOR", "COMMITTER")
            for what, value in (("NAME", "Mallory"), ("EMAIL", "mallory@example.invalid"))
        }
        sha = _git(git_dir, "commit-tree", tree, "-m", "Nothing to see here", env=author)
        _git(git_dir, "update-ref", f"refs/heads/{branch}", sha)
        if branch != "main":
            _git(git_dir, "symbolic-ref", "HEAD", f"refs/heads/{branch}")
            self.set_default_branch(name, branch)
        return sha

    def set_default_branch(self, name: str, branch: str) -> None:
        """What the API answers as ``default_branch`` (a lying server may answer anything)."""
        with self.github.store.changing() as state:
            state.repos[f"hostile/{name}"].default_branch = branch

    def run(self, name: str, gate: Gate | None = Gate.PATCH) -> RepoOutcome:
        config = config_from_mapping(
            {
                "registry_mirrors": {"docker.io": self.registry},
                "github": {"api_url": self.github.api_url},
            }
        )
        behaviour = replace(FAST, api_url=self.github.api_url)
        gh = forge.connect(self.token, behaviour)
        session = Forge(gh, self.token, forge.whoami(gh), config.github, behaviour)
        with RegistryClient(mirrors=config.registry_mirrors, timeout=5, total_budget=20) as registry:
            context = RunContext(config, session, registry, self.workspace, gate)
            _opened.clear()
            _recording.set()
            try:
                outcome = run_repo(RepoTarget(f"hostile/{name}"), context)
            finally:
                _recording.clear()
                self.opened = list(_opened)
        assert outcome.seconds < SECONDS, f"{name} took {outcome.seconds}s"
        assert not outcome.reasons or "unexpected failure" not in outcome.reasons[0]
        return outcome

    def read_outside(self) -> list[str]:
        """Files opened outside the workspace that no bot code needs: the planted ones, /etc, /proc."""
        planted = str(self.outside.resolve())
        return sorted(
            {
                path
                for path in self.opened
                if path.startswith((planted, "/etc/passwd", "/etc/shadow", "/root/"))
                or (path.startswith("/proc/") and path.endswith(("/environ", "/cmdline", "/mem")))
            }
        )


@pytest.fixture
def hostile(
    local_github: LocalGitHub, registry: SeededRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Hostile]:
    outside, markers, workspace = tmp_path / "outside", tmp_path / "markers", tmp_path / "workspace"
    for directory in (outside, markers, workspace):
        directory.mkdir()
    (outside / "Dockerfile").write_text("FROM scratch\n# the operator's secret: ghp_outside-the-clone\n")
    (outside / "package.json").write_text('{"scripts": {"docker:build": "docker build -t leak ."}}\n')
    token = local_github.add_user("multiarch-bot")
    yield Hostile(local_github, registry.address, token, workspace, outside, markers)
    assert sorted(p.name for p in markers.iterdir()) == [], "repository code ran"
    assert not list(tmp_path.rglob("pwned")), "a file was written outside the clone"
    assert list(workspace.iterdir()) == [], "a clone was left behind"


def problems(outcome: RepoOutcome) -> dict[str, str]:
    assert outcome.scan is not None, outcome
    return {problem.path: problem.message for problem in outcome.scan.problems}


# -- symlinks ---------------------------------------------------------------------------------------------


def test_symlinks_leaving_the_clone_are_reported_and_never_read(hostile: Hostile) -> None:
    # from <workspace>/repo-*/checkout/docker/: four levels up is the directory holding `outside`
    hostile.seed(
        "symlinks",
        {
            "package.json": Link("../../"),
            "Dockerfile": Link("/etc/passwd"),
            "docker/Dockerfile": Link("../../../../outside/Dockerfile"),
            "web/package.json": Link(str(hostile.outside / "package.json")),
            "azure-pipelines.yml": Link("/proc/self/environ"),
            ".github/workflows/ci.yml": Link("/dev/zero"),  # read, it would never end
            "scripts": Link(str(hostile.outside)),  # a directory: scripts/Dockerfile is outside too
        },
    )
    outcome = hostile.run("symlinks")
    found = problems(outcome)
    for path in (
        "package.json",
        "Dockerfile",
        "docker/Dockerfile",
        "web/package.json",
        "azure-pipelines.yml",
    ):
        assert found[path] == "symlink to a path outside the repository, not read", path
    assert ".github/workflows/ci.yml" in found
    assert outcome.verdict is Verdict.BLOCKED
    assert outcome.reasons == ("no Dockerfile that builds an image was found",)
    assert hostile.read_outside() == []
    assert "ghp_outside-the-clone" not in repr(outcome)


def test_symlink_loops_are_reported_not_a_crash(hostile: Hostile) -> None:
    # Path.resolve() raised RuntimeError on a loop, which reached the run as "unexpected failure".
    hostile.seed(
        "loops",
        {
            "Dockerfile.loop": Link("Dockerfile.loop"),
            "a/package.json": Link("b"),
            "a/b": Link("package.json"),
        },
    )
    outcome = hostile.run("loops")
    assert outcome.verdict is Verdict.PATCHED, outcome.reasons
    found = problems(outcome)
    assert found["Dockerfile.loop"] == "symlink loop, not read"
    assert found["a/package.json"] == "symlink loop, not read"


# -- names git itself must refuse to check out ------------------------------------------------------------


def test_traversal_and_dot_git_entries_never_land_outside_the_clone(hostile: Hostile) -> None:
    marker = hostile.markers / "dot-git-hook"
    hostile.seed(
        "traversal",
        {
            "../../../../outside/pwned": "written through ..\n",
            ".git/hooks/post-checkout": Script(f"#!/bin/sh\ntouch {marker}\n"),
            ".git/config": f"[core]\n\tfsmonitor = touch {marker}\n",
        },
    )
    outcome = hostile.run("traversal")
    assert outcome.verdict is Verdict.ERROR
    assert outcome.reasons[0].startswith("cannot clone ")
    assert outcome.reasons[0].endswith("error: invalid path '../../../../outside/pwned'"), outcome.reasons
    assert hostile.read_outside() == []


# -- size, encoding and structure bombs -------------------------------------------------------------------


def test_huge_binary_and_undecodable_files_are_reported_and_not_read(hostile: Hostile) -> None:
    hostile.seed(
        "huge",
        {
            "Dockerfile.big": "FROM node:lts-alpine3.10\n" + "# padding\n" * 220_000,  # 2.1 MiB
            "bin.Dockerfile": b"FROM node:lts-alpine3.10\n\x00\x01\x02\xff",
            "Makefile": "build:\n\tdocker build -t caf\xe9 .\n".encode("latin-1"),
            "assets/blob.bin": os.urandom(24 << 20),  # never a candidate: never opened
        },
    )
    outcome = hostile.run("huge")
    assert outcome.verdict is Verdict.PATCHED, outcome.reasons  # the rest of the repository still counts
    found = problems(outcome)
    assert found["Dockerfile.big"] == "too large to scan (2.1 MiB; the limit is 1 MiB)"
    assert found["bin.Dockerfile"] == "binary file (contains NUL bytes), not scanned"
    assert found["Makefile"] == "not UTF-8 text (invalid byte at offset 27)"
    assert not any(path.endswith("blob.bin") for path in hostile.opened)


def _alias_bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for n in range(1, levels):
        lines.append(f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


def test_alias_bombs_deep_nesting_and_pathological_text_are_refused_in_bounded_time(hostile: Hostile) -> None:
    hostile.seed(
        "bombs",
        {
            ".gitlab-ci.yml": _alias_bomb(),
            ".github/workflows/ci.yml": "on: push\n" + _alias_bomb(),
            "compose.yaml": "services:\n  app: " + "[" * 50_000 + "]" * 50_000 + "\n",
            "docker-bake.json": "[" * 400_000 + "]" * 400_000,
            "docker-bake.hcl": 'target "app" ' + "{ x = " * 5_000 + "1" + " }" * 5_000 + "\n",
            "tools/package.json": '{"scripts": {"a": "' + '\\"' * 450_000,  # was quadratic: 12 s at 60 KB
            "justfile": "build:\n  " + "{{" * 450_000 + "\n",  # was quadratic: 15 s at 60 KB
        },
    )
    outcome = hostile.run("bombs")
    assert outcome.verdict is Verdict.PATCHED, outcome.reasons
    assert outcome.seconds < 30
    found = problems(outcome)
    assert "alias bomb" in found[".gitlab-ci.yml"]
    assert "alias bomb" in found[".github/workflows/ci.yml"]
    assert "nesting depth" in found["compose.yaml"]
    assert "JSON nested more than 100 levels deep" in found["docker-bake.json"]
    assert "invalid HCL" in found["docker-bake.hcl"] or "nested too deeply" in found["docker-bake.hcl"]
    assert "invalid JSON" in found["tools/package.json"]


# -- code a repository could make git run ----------------------------------------------------------------


def test_submodules_with_ext_and_file_urls_are_never_fetched_and_are_reported(hostile: Hostile) -> None:
    secret_repo = hostile.outside / "secret-repo"
    proc.run(("git", "init", "--quiet", str(secret_repo)), timeout=30, env=gitdata.git_env())
    marker = hostile.markers / "ext-transport"
    some_commit = "0123456789abcdef0123456789abcdef01234567"
    hostile.seed(
        "submodules",
        {
            ".gitmodules": (
                '[submodule "ext"]\n'
                "\tpath = vendor/ext\n"
                f"\turl = ext::sh -c touch% {marker}\n"
                '[submodule "file"]\n'
                "\tpath = vendor/file\n"
                f"\turl = file://{secret_repo}\n"
                '[submodule "relative"]\n'
                "\tpath = vendor/relative\n"
                "\turl = ../../../../outside/secret-repo\n"
            ),
            "vendor/ext": Gitlink(some_commit),
            "vendor/file": Gitlink(some_commit),
            "vendor/relative": Gitlink(some_commit),
        },
    )
    outcome = hostile.run("submodules")
    assert outcome.verdict is Verdict.PATCHED, outcome.reasons
    found = problems(outcome)
    for path in ("vendor/ext", "vendor/file", "vendor/relative"):
        assert found[path] == "a git submodule: not fetched, so nothing in it was scanned"
    assert hostile.read_outside() == []


# -- names that would be options -------------------------------------------------------------------------


def test_option_like_names_of_the_repository_branch_and_files_stay_names(hostile: Hostile) -> None:
    marker = hostile.markers / "upload-pack"
    hostile.seed(
        "--upload-pack",
        {
            "-rf": "not an option\n",
            f"--upload-pack=touch {marker}": "a file whose path would be an option\n",
            "Dockerfile.--output=type=local,dest=pwned": "FROM node:lts-alpine3.10\n",
            "build.sh": (
                '#!/bin/sh\ndocker build --build-arg "A B=c" -t "--output=type=local,dest=pwned"'
                ' -f "Dockerfile.--output=type=local,dest=pwned" -t acme/app:1 .\ndocker push acme/app:1\n'
            ),
        },
        branch="--upload-pack=touch",
    )
    outcome = hostile.run("--upload-pack")
    assert outcome.verdict is Verdict.PATCHED, outcome.reasons
    assert outcome.patch is not None
    assert "build.sh" in [edit.path for edit in outcome.patch.edits]

    # A server may answer any default branch; this one would be an option without the `=` it gets.
    hostile.set_default_branch("--upload-pack", f"--upload-pack=touch {marker}")
    refused = hostile.run("--upload-pack")
    assert refused.verdict is Verdict.ERROR
    assert "Remote branch --upload-pack=touch" in refused.reasons[0]
    assert "not found" in refused.reasons[0]


def test_a_build_path_whose_arguments_would_be_options_is_refused_not_run(tmp_path: Path) -> None:
    # From a build script's `docker build --build-arg "A B=c" --target -x`: never handed to buildx, and
    # said as the outcome of that platform, not raised out of the verification as a crash.
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    for plan in (
        BuildPlan("Dockerfile", ".", build_args=(("A B", "c"),)),
        BuildPlan("Dockerfile", ".", build_args=(("-Z", "1"),)),
        BuildPlan("Dockerfile", ".", target="--output=type=local,dest=pwned"),
    ):
        build = build_platform(
            plan, ARM64, tmp_path, builder=None, timeout=5, tag="multiarch-bot-verify/x:arm64"
        )
        assert build.outcome is Outcome.UNVERIFIED
        assert build.error.startswith("not built: "), build.error
    assert not (tmp_path / "pwned").exists()


def _hostile_git_config(home: Path, markers: Path) -> dict[str, str]:
    """An operator's git setup that would run a repository's code: a filter and a diff driver that a
    repository's .gitattributes can name, hooks taken from the work tree, a template with a hook. Every
    place git reads config from points at it; the variables are what the bot's environment then holds."""
    template = home / "template"
    (template / "hooks").mkdir(parents=True)
    (template / "hooks" / "post-checkout").write_text(f"#!/bin/sh\ntouch {markers}/template-hook\n")
    (template / "hooks" / "post-checkout").chmod(0o755)
    text = (
        f'[filter "evil"]\n\tclean = touch {markers}/filter-clean; cat\n'
        f"\tsmudge = touch {markers}/filter-smudge; cat\n"
        f'[diff "evil"]\n\ttextconv = touch {markers}/textconv; cat\n'
        f"[core]\n\thooksPath = .githooks\n[init]\n\ttemplateDir = {template}\n"
    )
    (home / ".gitconfig").write_text(text)
    (home / ".config" / "git").mkdir(parents=True)
    (home / ".config" / "git" / "config").write_text(text)
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GIT_CONFIG_SYSTEM": str(home / ".gitconfig"),
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "core.hooksPath",
        "GIT_CONFIG_VALUE_0": ".githooks",
        "GIT_CONFIG_PARAMETERS": f"'filter.evil2.smudge'='touch {markers}/filter-parameters; cat'",
    }


@pytest.mark.docker
def test_filters_and_hooks_a_repository_names_never_run_in_a_whole_run(
    hostile: Hostile, docker_sandbox: DockerSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hooks = {
        f"{where}/{hook}": Script(f"#!/bin/sh\ntouch {hostile.markers}/{hook}-from-{where.strip('.')}\n")
        for where in (".githooks", ".husky", "hooks")
        for hook in (
            "post-checkout",
            "pre-commit",
            "commit-msg",
            "post-commit",
            "pre-push",
            "fsmonitor-watchman",
        )
    }
    hostile.seed(
        "filters",
        {
            ".gitattributes": "Dockerfile filter=evil diff=evil merge=evil\nMakefile filter=evil\n"
            "*.sh filter=evil2\n",
            "Dockerfile": 'FROM busybox:stable\nCOPY hello.sh /usr/local/bin/hello\nCMD ["hello"]\n',
            "hello.sh": Script("#!/bin/sh\necho hello\n"),
            "Makefile": "IMAGE ?= acme/hello:1\nrelease:\n"
            "\tdocker build -t $(IMAGE) .\n\tdocker push $(IMAGE)\n",
            **hooks,
        },
        base=None,
    )
    operator = _hostile_git_config(tmp_path / "home", hostile.markers)
    # The trap is armed: a plain clone with this configuration runs the repository's filter and hooks.
    naive = tmp_path / "naive-clone"
    proc.run(
        ("git", "clone", "--quiet", hostile.github.clone_url("hostile/filters"), str(naive)),
        timeout=60,
        env={"PATH": os.environ["PATH"], **operator},
    )
    ran = {p.name for p in hostile.markers.iterdir()}
    assert {"filter-smudge", "filter-parameters", "post-checkout-from-githooks"} <= ran
    for marker in hostile.markers.iterdir():
        marker.unlink()

    for name, value in operator.items():
        monkeypatch.setenv(name, value)
    hostile.registry = docker_sandbox.registry.address
    outcome = hostile.run("filters", gate=None)  # clone, scan, patch, commit, build, push, pull request
    assert outcome.verdict is Verdict.OPENED, outcome.reasons
    assert outcome.pushed
    # the fixture then checks that no marker appeared

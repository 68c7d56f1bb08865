"""Debian bookworm packages laid into a root filesystem: the sandbox's real Python 3.11 and git.

The bot's own image (the top-level Dockerfile) needs a base with CPython 3.11, pip and git, and the
sandbox pulls nothing from any image registry. So, as with busybox, the packages come from apt:

* the package set is the dependency closure of ``ROOTS`` read from ``apt-cache depends --recurse``
  (Depends and Pre-Depends; the first alternative; a virtual package's first provider), pruned at
  ``PRUNED``: packages a running Python and ``git clone``/``fetch``/``commit``/``push`` over HTTPS do not
  need (perl and git's perl helpers, dpkg, debconf, documentation, MIME helpers);
* each .deb (``apt-get download``, the candidate version, cached by its exact file name) is read with
  ``dpkg-deb --fsys-tarfile`` and its members copied into the layer, without documentation, man pages and
  translations; maintainer scripts are not run, so what they would make is made here: the CA bundle
  (``update-ca-certificates``), ``python3``/``python``/``pip`` in /usr/local/bin like the official image;
* pip is Debian's own wheel (python3-pip-whl, vendored dependencies) unpacked into /usr/local's
  dist-packages; Debian's EXTERNALLY-MANAGED marker is left out, as the official image has none.

The loader finds the libraries without an ld.so.cache: Debian's glibc searches the multiarch directories
(/lib/<triplet>, /usr/lib/<triplet>) by default. The arm64 packages are never executed here.
"""

from __future__ import annotations

import io
import re
import tarfile
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bot import proc
from bot.errors import BotError

ROOTS = ("python3.11-minimal", "libpython3.11-stdlib", "git", "ca-certificates", "python3-pip-whl")
PRUNED = frozenset(
    {
        "perl", "perl-base", "perl-modules-5.36", "libperl5.36", "liberror-perl", "git-man",
        "dpkg", "debconf", "install-info", "tar", "openssl", "mime-support", "mailcap", "readline-common",
    }
)  # fmt: skip
# Left out of the layer: documentation, translations, perl's and gitweb's files, iconv's converters
# (Python has its own codecs; git needs them only to re-encode non-UTF-8 commits), and git's programs for
# serving, mailing and dumb-HTTP pushing, which the bot never runs.
_DROPPED = re.compile(
    r"usr/share/(doc|man|info|locale|lintian|gitweb|perl5|bash-completion|python-wheels)/"
    r"|usr/lib/[^/]+-linux-gnu/gconv/"
    r"|usr/lib/git-core/(git-daemon|git-http-backend|git-http-fetch|git-http-push|git-imap-send|git-shell"
    r"|git-sh-i18n--envsubst|scalar)$"
    r"|usr/bin/(git-shell|scalar)$"
    r"|usr/lib/python3\.11/EXTERNALLY-MANAGED$"
)
_DEPENDS = re.compile(r"^ (?P<alt>[ |])(?:Pre)?Depends: (?P<name>\S+)$")
_PROVIDER = re.compile(r"^    (?P<name>\S+)$")
_URI = re.compile(r"^'(?P<uri>[^']+)' (?P<file>\S+\.deb) (?P<size>\d+) ")
_TIMEOUT = 300.0
ARCH_INDEPENDENT = frozenset({"ca-certificates", "python3-pip-whl"})
# An empty dpkg status: the candidate is bookworm's even where a newer version is installed from
# elsewhere (this machine's libgcc-s1 may come from trixie with Docker), so every machine gets one set.
_BOOKWORM_ONLY = ("-o", "Dir::State::status=/dev/null")
_SETUP = "run scripts/setup (it adds the arm64 architecture to apt)"
GIT = "../lib/git-core/git"
PIP_LAUNCHER = """#!/usr/bin/python3.11
# multiarch-bot sandbox: Debian's pip wheel, unpacked into /usr/local (as the official image has it)
import sys
from pip._internal.cli.main import main
sys.exit(main())
"""


class DebianLayerError(BotError):
    """The packages for the Python base image could not be resolved, fetched or unpacked."""


@dataclass(frozen=True)
class Member:
    """One entry of the layer: a tar header and, for a regular file, its bytes."""

    info: tarfile.TarInfo
    data: bytes | None = None


def package_closure(arch: str, roots: Sequence[str] = ROOTS, pruned: Iterable[str] = PRUNED) -> list[str]:
    """The packages ``roots`` need on ``arch``, named as apt prints (and downloads) them, sorted.

    apt names a package of the machine's own architecture, or an ``all`` one, bare, and a foreign one
    ``name:arch``; so ``roots`` are asked for qualified, except the ``all`` ones.
    """
    native = proc.run(["dpkg", "--print-architecture"], timeout=30).out.strip()
    asked = [root if root in ARCH_INDEPENDENT else f"{root}:{arch}" for root in roots]
    flags = ["--no-recommends", "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces"]
    argv = ["apt-cache", *_BOOKWORM_ONLY, "depends", "--recurse", *flags, "--no-enhances", *asked]
    try:
        graph = parse_depends(proc.run(argv, timeout=120).out)
    except proc.ProcError as exc:
        raise DebianLayerError(f"cannot resolve {', '.join(roots)} for {arch} ({exc}): {_SETUP}") from None
    skip = {name for prune in pruned for name in (prune, f"{prune}:{arch}")}
    keep: set[str] = set()
    pending = [name.removesuffix(f":{native}") for name in asked]
    while pending:
        name = pending.pop()
        if name not in keep and name not in skip:
            keep.add(name)
            pending += graph.get(name, [])
    return sorted(keep)


def parse_depends(text: str) -> dict[str, list[str]]:
    """``apt-cache depends --recurse`` output → {package: the dependencies chosen}, names as printed.

    Of alternatives (``|Depends:`` continues on the next line) the first is taken; a virtual package
    (``<name>``) stands for its first provider (the indented lines after it).
    """
    graph: dict[str, list[str]] = {}
    current: list[str] | None = None
    chosen = False  # the current alternative group has its package
    virtual = False  # the last dependency was virtual and waits for its first provider
    continued = False  # the last dependency line was "|Depends:": the group goes on
    for line in text.splitlines():
        if line and not line.startswith(" "):
            current = graph.setdefault(line.strip(), [])
            continued = virtual = False
            continue
        if current is None:
            continue
        depends, provider = _DEPENDS.match(line), _PROVIDER.match(line)
        if depends:
            if not continued:
                chosen = False
            continued, virtual = depends["alt"] == "|", False
            if not chosen and depends["name"].startswith("<"):
                virtual = True
            elif not chosen:
                current.append(depends["name"])
                chosen = True
        elif provider and virtual and not chosen:
            current.append(provider["name"])
            chosen, virtual = True, False
    return graph


def fetch_debs(packages: Sequence[str], arch: str, cache: Path) -> list[Path]:
    """The candidate .deb of each package, downloaded into ``cache`` unless its exact file is there."""
    cache.mkdir(parents=True, exist_ok=True)
    try:
        # elsewhere than in the cache: apt leaves out the files already in its working directory
        with tempfile.TemporaryDirectory() as empty:
            argv = ["apt-get", *_BOOKWORM_ONLY, "download", "--print-uris", *packages]
            listed = proc.run(argv, timeout=120, cwd=empty).out
    except proc.ProcError as exc:
        raise DebianLayerError(f"cannot locate the .debs ({exc}): {_SETUP}") from None
    files = [match["file"] for match in map(_URI.match, listed.splitlines()) if match]
    if len(files) != len(packages):
        raise DebianLayerError(f"apt lists {len(files)} .debs for {len(packages)} packages: {_SETUP}")
    foreign = [file for file in files if not file.endswith((f"_{arch}.deb", "_all.deb"))]
    if foreign:
        raise DebianLayerError(f"not {arch} packages: {', '.join(foreign)}")
    by_name = {file.partition("_")[0]: file for file in files}  # apt lists them in its own order
    missing = [p for p in packages if not (cache / by_name.get(p.partition(":")[0], "-")).is_file()]
    if missing:
        try:
            proc.run(["apt-get", *_BOOKWORM_ONLY, "download", *missing], timeout=_TIMEOUT, cwd=cache)
        except proc.ProcError as exc:
            raise DebianLayerError(f"cannot download {len(missing)} .debs ({exc}): {_SETUP}") from None
    absent = [file for file in files if not (cache / file).is_file()]
    if absent:
        raise DebianLayerError(f"apt-get download left no {', '.join(absent)} in {cache}")
    return [cache / file for file in files]


def layer_members(debs: Sequence[Path], mtime: int) -> list[Member]:
    """Every kept file of ``debs`` plus what their maintainer scripts would have made; paths relative."""
    members: dict[str, Member] = {}
    certificates: dict[str, bytes] = {}
    pip_wheel: bytes | None = None
    for deb in debs:
        tar_bytes = proc.run(["dpkg-deb", "--fsys-tarfile", str(deb)], timeout=120).stdout
        with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
            for info in tar:
                path = _relative(info.name)
                if not path or path in members:
                    continue
                data = tar.extractfile(info).read() if info.isreg() else None  # type: ignore[union-attr]
                if path.startswith("usr/share/python-wheels/pip-") and data is not None:
                    pip_wheel = data
                if path.startswith("usr/share/ca-certificates/") and path.endswith(".crt") and data:
                    certificates[path] = data
                if _DROPPED.match(path):
                    continue
                if path == "usr/bin/git":  # the same program as git-core/git: one copy, linked to
                    info = tarfile.TarInfo(path)
                    info.type, info.linkname, info.mode, info.mtime = tarfile.SYMTYPE, GIT, 0o777, mtime
                    data = None
                info.name = path
                if info.islnk():
                    info.linkname = _relative(info.linkname)
                info.uname = info.gname = "root"
                members[path] = Member(info, data)
    if pip_wheel is None:
        raise DebianLayerError("python3-pip-whl carries no pip wheel")
    extra = {
        "etc/ssl/certs/ca-certificates.crt": b"".join(certificates[key] for key in sorted(certificates)),
        "usr/local/bin/pip": PIP_LAUNCHER.encode(),
        "usr/local/bin/pip3": PIP_LAUNCHER.encode(),
    }
    extra |= _unzipped(pip_wheel, "usr/local/lib/python3.11/dist-packages")
    for path, data in extra.items():
        members[path] = _file(path, data, 0o755 if path.startswith("usr/local/bin/") else 0o644, mtime)
    for link, target in {
        "usr/bin/python3": "python3.11",
        "usr/local/bin/python3": "/usr/bin/python3.11",
        "usr/local/bin/python": "/usr/bin/python3.11",
    }.items():
        info = tarfile.TarInfo(link)
        info.type, info.linkname, info.mode, info.mtime = tarfile.SYMTYPE, target, 0o777, mtime
        members[link] = Member(info)
    return list(members.values())


def _unzipped(wheel: bytes, prefix: str) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(wheel)) as archive:
        return {
            f"{prefix}/{name}": archive.read(name) for name in archive.namelist() if not name.endswith("/")
        }


def _file(path: str, data: bytes, mode: int, mtime: int) -> Member:
    info = tarfile.TarInfo(path)
    info.size, info.mode, info.mtime = len(data), mode, mtime
    info.uname = info.gname = "root"
    return Member(info, data)


def _relative(name: str) -> str:
    path = PurePosixPath("/", name)  # "./usr/bin/git" and "usr/bin/git" alike
    if ".." in path.parts:
        raise DebianLayerError(f"a .deb member leaves the root: {name!r}")
    return str(path)[1:]

"""The sandbox's base images, built from Debian packages: nothing is pulled from any image registry.

busybox-static for amd64 and arm64 comes from apt (``apt-get download``), each is unpacked with
``dpkg-deb -x`` and laid into a root filesystem tarball by Python (``busybox --install -s`` semantics:
every applet a symlink to /bin/busybox), and one ``FROM scratch`` Dockerfile picks the tarball matching
``TARGETARCH``. The arm64 binary is never executed here; only the host's lists the applets.

The images are stand-ins named after the bases the bundled examples use:

* ``library/busybox:stable`` and ``library/debian:bookworm-slim``: busybox, amd64 + arm64.
* ``library/node:lts-alpine3.10``: busybox plus ``node`` and ``npm`` shell scripts in /usr/local/bin
  that answer ``--version`` and accept ``ci``, ``run build``, ``install -g`` … by doing nothing. They
  are NOT Node.js: they let a Dockerfile's npm steps run so the build itself can be proven.
* ``acme/legacy-runtime:2.4``: busybox, amd64 only (the base that blocks an arm64 build).
* ``library/python:3.11-slim-bookworm`` (``PYTHON_IMAGES``, built on request: the bot's own image is
  built on it): busybox plus Debian bookworm's real CPython 3.11, pip and git with the libraries they
  need, amd64 + arm64 (see ``debian_layer``). Unlike the official image it already has git, because a
  ``--network none`` build cannot ``apt-get install`` it; its shell and tools are busybox's.

BuildKit's default attestations are kept: real registries hold them, and the scan must ignore them.
A build is skipped when every tag already points at the digest of this exact content: each repository
also gets a ``sandbox-<fingerprint>`` tag naming what was built, so stale or foreign images (the demo's
seeded ones carry random layers) under the same tag are rebuilt rather than trusted.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot import proc
from bot.build.buildx import buildx_build_argv, oci_output, push_archive_argv
from bot.errors import BotError
from bot.model import AMD64, ARM64, Digest, ImagePlatforms, ImageRef, Platform
from bot.sandbox.debian_layer import Member, fetch_debs, layer_members, package_closure
from bot.sandbox.engine import EngineInfo, docker_env
from bot.sandbox.locks import file_lock
from bot.scan.registry import RegistryClient

Flavour = Literal["busybox", "node", "python"]
BUSYBOX_PACKAGE = "busybox-static"
_EPOCH = 1_700_000_000  # fixed mtime: the same packages give byte-identical tarballs
_BUILD_TIMEOUT = 900.0
_SETUP = "run scripts/setup (it adds the arm64 architecture to apt)"

NODE_SHIM = """#!/bin/sh
# multiarch-bot sandbox stand-in, NOT Node.js: runs no JavaScript. Answers --version, and for a script
# says what it would run, so an image's entrypoint can be smoke-tested on every platform.
case "$1" in
  --version|-v) echo v12.22.12 ;;
  "") echo "node stand-in (multiarch-bot sandbox)" ;;
  *) echo "node stand-in (multiarch-bot sandbox) on $(uname -m): would run $*" ;;
esac
"""
NPM_SHIM = r"""#!/bin/sh
# multiarch-bot sandbox stand-in, NOT npm. Enough of npm for a Dockerfile's npm steps to be built:
#   run NAME     runs the script NAME of ./package.json with sh (one-line JSON entries only)
#   install -g   links each "bin" entry of ./package.json into $npm_config_prefix/bin (/usr/local/bin)
#   anything else (ci, install, config …) does nothing.
value() { sed -n "s/^ *\"$1\": *\"\(.*\)\",\{0,1\}\$/\1/p" package.json | head -n 1; }
case "$1" in
  --version|-v) echo 6.14.16 ;;
  run|run-script)
    script=$(value "$2")
    [ -n "$script" ] || { echo "npm stand-in: no script $2 in package.json" >&2; exit 1; }
    exec sh -c "$script" ;;
  install|i)
    case " $* " in
      *" -g "*)
        bin="${npm_config_prefix:-/usr/local}/bin"
        sed -n '/"bin": *{/,/}/s/^ *"\([^"]*\)": *"\([^"]*\)".*/\1 \2/p' package.json |
        while read -r name target; do
          printf '#!/bin/sh\nexec node %s "$@"\n' "$PWD/${target#./}" > "$bin/$name"
          chmod +x "$bin/$name"
        done ;;
    esac ;;
  *) echo "npm stand-in (multiarch-bot sandbox): $* (nothing done)" ;;
esac
"""
SHIMS: dict[Flavour, dict[str, str]] = {
    "busybox": {},
    "node": {"usr/local/bin/node": NODE_SHIM, "usr/local/bin/npm": NPM_SHIM},
    "python": {},
}
DOCKERFILE = """\
# Built by multiarch-bot (bot/sandbox/base_images.py) from Debian's busybox-static: a sandbox stand-in.
FROM scratch
ARG TARGETARCH
ADD rootfs-${TARGETARCH}.tar /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["sh"]
"""
PYTHON_DOCKERFILE = """\
# Built by multiarch-bot (bot/sandbox/base_images.py) from Debian bookworm's python3.11, pip and git:
# a sandbox stand-in for the official python:3.11-slim-bookworm.
FROM scratch
ARG TARGETARCH
ADD rootfs-${TARGETARCH}.tar /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
CMD ["python3"]
"""
DOCKERFILES: dict[Flavour, str] = {"busybox": DOCKERFILE, "node": DOCKERFILE, "python": PYTHON_DOCKERFILE}


class BaseImageError(BotError):
    """A base image could not be made: a package, a tool or the build is missing or failed."""


@dataclass(frozen=True)
class BaseImage:
    repository: str
    tag: str
    platforms: tuple[Platform, ...]
    flavour: Flavour = "busybox"


@dataclass(frozen=True)
class BuiltImage:
    ref: ImageRef
    digest: Digest
    platforms: tuple[Platform, ...]
    built: bool  # False when the registry already had this exact content


BASE_IMAGES = (
    BaseImage("library/busybox", "stable", (AMD64, ARM64)),
    BaseImage("library/debian", "bookworm-slim", (AMD64, ARM64)),
    BaseImage("library/node", "lts-alpine3.10", (AMD64, ARM64), "node"),
    BaseImage("acme/legacy-runtime", "2.4", (AMD64,)),
)
# Not in BASE_IMAGES: about 50 .debs per architecture, fetched and built only by what needs them.
PYTHON_IMAGES = (BaseImage("library/python", "3.11-slim-bookworm", (AMD64, ARM64), "python"),)


def build_base_images(
    engine: EngineInfo, registry: str, state_dir: Path, images: Sequence[BaseImage] = BASE_IMAGES
) -> tuple[BuiltImage, ...]:
    """Make every image of ``images`` exist in ``registry`` (``127.0.0.1:PORT``); build only what is not.

    Images with the same flavour and platforms are one build pushed under several tags.
    """
    state_dir = state_dir.resolve()
    work = state_dir / "base-images"
    work.mkdir(parents=True, exist_ok=True)
    groups: dict[tuple[Flavour, tuple[Platform, ...]], list[BaseImage]] = {}
    for image in images:
        groups.setdefault((image.flavour, image.platforms), []).append(image)
    results: list[BuiltImage] = []
    # two test workers sharing a state directory would otherwise push the same tags at once
    with file_lock(work / "build.lock"), RegistryClient(total_budget=20) as client:
        binaries = fetch_busybox(work / "busybox")
        applets = busybox_applets(binaries)
        for (flavour, platforms), members in groups.items():
            name = f"{flavour}-" + "-".join(p.architecture for p in platforms)
            context = work / name
            layers = {
                p.architecture: debian_layer(work / "debian", p.architecture) if flavour == "python" else ()
                for p in platforms
            }
            fingerprint = write_context(context, binaries, applets, flavour, platforms, layers)
            refs = [ImageRef(registry, image.repository, image.tag) for image in members]
            marks = sorted(
                {ImageRef(registry, r.repository, f"sandbox-{fingerprint}") for r in refs}, key=str
            )
            present = _present(client, [*refs, *marks], platforms)
            built = present is None
            if present is None:
                _build_and_push(engine, context, work / f"{name}.oci.tar", platforms, [*refs, *marks])
                with RegistryClient(total_budget=20) as fresh:  # the first one remembers the old answers
                    present = _present(fresh, refs, platforms)
                if present is None:
                    raise BaseImageError(f"pushed {name} but the registry does not list {_names(platforms)}")
            results += [BuiltImage(ref, present, platforms, built) for ref in refs]
    return tuple(results)


def fetch_busybox(cache: Path) -> dict[str, Path]:
    """Debian's static busybox binary for amd64 and arm64: downloaded and unpacked once into ``cache``."""
    cache.mkdir(parents=True, exist_ok=True)
    binaries = {}
    for arch in ("amd64", "arm64"):
        binary = cache / arch / "bin" / "busybox"
        if not binary.exists():
            debs = sorted(cache.glob(f"{BUSYBOX_PACKAGE}_*_{arch}.deb"))
            if not debs:
                try:
                    proc.run(["apt-get", "download", f"{BUSYBOX_PACKAGE}:{arch}"], timeout=300, cwd=cache)
                except proc.ProcError as exc:
                    raise BaseImageError(
                        f"cannot download {BUSYBOX_PACKAGE}:{arch} ({exc}): {_SETUP}"
                    ) from None
                debs = sorted(cache.glob(f"{BUSYBOX_PACKAGE}_*_{arch}.deb"))
            if not debs:
                raise BaseImageError(f"apt-get download left no {BUSYBOX_PACKAGE} .deb for {arch} in {cache}")
            proc.run(["dpkg-deb", "-x", str(debs[-1]), str(cache / arch)], timeout=120)
        binaries[arch] = binary
    return binaries


def debian_layer(cache: Path, arch: str) -> list[Member]:
    """The Python base image's Debian packages for ``arch``, fetched into ``cache`` once, as tar members."""
    return layer_members(fetch_debs(package_closure(arch), arch, cache), _EPOCH)


def busybox_applets(binaries: dict[str, Path]) -> tuple[str, ...]:
    """Applet paths (``bin/sh``, ``usr/bin/env`` …) from the host's own busybox: arm64 is never run.

    Both architectures come from the same Debian source build and configuration, so the lists agree.
    """
    host = proc.run(["dpkg", "--print-architecture"], timeout=30).out.strip()
    if host not in binaries:
        raise BaseImageError(f"cannot list busybox applets on a {host} host (only amd64 and arm64)")
    listed = proc.run([str(binaries[host]), "--list-full"], timeout=30).out.split()
    return tuple(sorted(path for path in listed if path != "bin/busybox"))


def write_context(
    context: Path,
    binaries: dict[str, Path],
    applets: Sequence[str],
    flavour: Flavour,
    platforms: Sequence[Platform],
    layers: Mapping[str, Sequence[Member]] | None = None,
) -> str:
    """Lay out Dockerfile + rootfs tarballs in ``context``; a fingerprint of exactly what will be built.

    ``layers`` (by architecture) are laid over busybox: where both have a path, the layer's wins.
    """
    context.mkdir(parents=True, exist_ok=True)
    dockerfile = DOCKERFILES[flavour]
    (context / "Dockerfile").write_text(dockerfile)
    fingerprint = hashlib.sha256(dockerfile.encode())
    for arch in sorted({platform.architecture for platform in platforms}):
        layer = (layers or {}).get(arch, ())
        tar = rootfs_tar(binaries[arch].read_bytes(), applets, SHIMS[flavour], layer)
        (context / f"rootfs-{arch}.tar").write_bytes(tar)
        fingerprint.update(arch.encode() + hashlib.sha256(tar).digest())
    return fingerprint.hexdigest()[:16]


def rootfs_tar(
    busybox: bytes, applets: Sequence[str], shims: dict[str, str], layer: Sequence[Member] = ()
) -> bytes:
    """A deterministic root filesystem: /bin/busybox, its applet symlinks, /etc/passwd, /tmp, shims.

    ``layer`` entries (Debian packages' files) come right after the directories and replace any busybox
    entry of the same path: a real program over an applet.
    """
    buffer = io.BytesIO()
    taken = {member.info.name for member in layer}
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        directories = {"etc": 0o755, "root": 0o700, "tmp": 0o1777, "usr/local/bin": 0o755}
        directories |= {str(Path(path).parent): 0o755 for path in [*applets, *shims]}
        for directory in sorted(_with_parents(directories) - taken):
            tar.addfile(_entry(directory, tarfile.DIRTYPE, directories.get(directory, 0o755)))
        for member in layer:
            tar.addfile(member.info, io.BytesIO(member.data) if member.data is not None else None)
        files = {
            "bin/busybox": (busybox, 0o755),
            "etc/passwd": (b"root:x:0:0:root:/root:/bin/sh\n", 0o644),
            "etc/group": (b"root:x:0:\n", 0o644),
        } | {path: (text.encode(), 0o755) for path, text in shims.items()}
        for path, (data, mode) in sorted(files.items()):
            if path in taken:
                continue
            info = _entry(path, tarfile.REGTYPE, mode)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for applet in applets:
            if applet not in files and applet not in taken:
                link = _entry(applet, tarfile.SYMTYPE, 0o777)
                link.linkname = "/bin/busybox"
                tar.addfile(link)
    return buffer.getvalue()


def _build_and_push(
    engine: EngineInfo, context: Path, archive: Path, platforms: Sequence[Platform], refs: Sequence[ImageRef]
) -> None:
    argv = buildx_build_argv(
        context,
        platforms=platforms,
        output=oci_output(archive),  # untagged: skopeo takes an archive's only image without being told
        docker_cli=engine.docker_cli,
    )
    proc.run(argv, timeout=_BUILD_TIMEOUT, env=docker_env())
    # One tag after the other: a registry on its filesystem driver races a tag's writes (bot.build.buildx).
    for ref in refs:
        proc.run(push_archive_argv(archive, str(ref), plain_http=True), timeout=300)


def _present(
    client: RegistryClient, refs: Sequence[ImageRef], platforms: Sequence[Platform]
) -> Digest | None:
    """The digest every ref points at when they all agree and list exactly ``platforms``; else None."""
    digests = set()
    for ref in refs:
        answer = client.lookup(ref)
        if not isinstance(answer, ImagePlatforms) or answer.digest is None:
            return None
        if set(answer.platforms) != set(platforms):
            return None
        digests.add(answer.digest)
    return digests.pop() if len(digests) == 1 else None


def _with_parents(directories: dict[str, int]) -> set[str]:
    every = set()
    for directory in directories:
        path = Path(directory)
        every |= {str(parent) for parent in [path, *path.parents] if str(parent) != "."}
    return every


def _entry(path: str, kind: bytes, mode: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(path)
    info.type = kind
    info.mode = mode
    info.mtime = _EPOCH
    info.uname = info.gname = "root"
    return info


def _names(platforms: Sequence[Platform]) -> str:
    return ", ".join(map(str, platforms))

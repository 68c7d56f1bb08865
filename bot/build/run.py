"""The build call: one plan, one platform, built for real by buildx and loaded into the engine's store.

Upstream Dockerfiles are untrusted, so a build never sees the bot's environment. Each one runs with:

* a minimal environment: PATH, LANG, HOME = an empty temporary directory, DOCKER_HOST if it is set;
* ``DOCKER_CONFIG`` = another empty temporary directory. BuildKit asks the buildx client for registry
  credentials (``config.json`` auths, credential helpers) whenever it pulls; with an empty config the
  client has none to give, so no token of the user or the bot reaches BuildKit, a registry named in a
  ``FROM``, or the build's steps;
* ``BUILDX_CONFIG`` = the user's real buildx directory. buildx keeps its builders there (by default
  ``$DOCKER_CONFIG/buildx``), so pointing it back lets ``--builder NAME`` find a remote or native arm64
  builder while ``DOCKER_CONFIG`` stays empty. It holds builder definitions, not registry credentials.
  A ``cli-plugins`` directory in the user's docker config is linked in for the same reason: a buildx
  installed per user would otherwise vanish.

RUN steps get no network (``--network none``): the sandbox daemon has none to give, and an untrusted
step must not reach services on 127.0.0.1. Per-platform builds run one after another (``build_plan``):
the machine has two cores, and BuildKit's cache makes a shared ``$BUILDPLATFORM`` stage free the second
time.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from bot import proc
from bot.build.buildx import (
    buildx_build_argv,
    buildx_inspect_argv,
    listed_platforms,
    oci_output,
    push_archive_argv,
)
from bot.build.progress import last_words, read_rawjson
from bot.build.verify_tags import verify_tag
from bot.errors import BotError
from bot.model import BuildPlan, Outcome, Platform, PlatformBuild
from bot.sandbox.engine import DOCKER_CLI

_CHECK_TIMEOUT = 60.0
_PUSH_TIMEOUT = 300.0
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
_SETUP = "run scripts/setup"


class BuildError(BotError):
    """A build or push that had to succeed did not; the message holds BuildKit's error line."""


def build_platform(
    plan: BuildPlan,
    platform: Platform,
    checkout: Path,
    *,
    builder: str | None,
    timeout: float,
    tag: str,
    base_images: Mapping[str, str] | None = None,
    cgroup_parent: str | None = None,
) -> PlatformBuild:
    """Build ``plan`` for ``platform`` and load it into the engine's image store as ``tag``.

    PASSED with ``image=tag``; FAILED with BuildKit's error line; TIMEOUT when the build ran past
    ``timeout`` and was killed with everything it started; UNVERIFIED when buildx failed before BuildKit
    ran a step (no builder, no daemon) or while fetching a base image (a registry's 429 or outage), or was
    not run at all (a target or build arg from the repository that buildx would read as an option): that
    says nothing about the Dockerfile. ``base_images`` maps a ``FROM`` reference to the image to build it
    from instead (see ``bot.build.buildx``). RUN steps run under ``cgroup_parent`` when it is given (its
    memory and pids limits: see ``bot.build.cgroup``).
    """
    started = time.monotonic()
    try:
        context, dockerfile = _inside(checkout, plan)
    except BuildError as exc:
        return PlatformBuild(platform, Outcome.FAILED, 0.0, error=str(exc))
    with scrubbed_env() as (env, _):
        try:
            argv = buildx_build_argv(
                context,
                platforms=[platform],
                tags=[tag],
                dockerfile=dockerfile,
                target=plan.target,
                build_args=dict(plan.build_args),
                base_images=base_images,
                load=True,
                builder=builder,
                provenance=False,  # the local image is for the smoke run: one manifest, no attestation
                progress="rawjson",
                cgroup_parent=cgroup_parent,
            )
        except ValueError as exc:  # a target or build arg from the repository that buildx would misread
            return PlatformBuild(platform, Outcome.UNVERIFIED, 0.0, error=f"not built: {exc}")
        try:
            done = proc.run(argv, timeout=timeout, env=env, check=False)
        except proc.ProcTimeout as exc:
            seen = last_words(exc.stderr)  # proc keeps only the last lines of a killed command's output
            error = f"timed out after {timeout:g}s and was killed" + (f" ({seen})" if seen else "")
            return PlatformBuild(platform, Outcome.TIMEOUT, time.monotonic() - started, error=error)
        except proc.ProcError as exc:  # the docker CLI could not even start
            return PlatformBuild(platform, Outcome.UNVERIFIED, time.monotonic() - started, error=str(exc))
    seconds = time.monotonic() - started
    log = read_rawjson(done.stderr.decode(errors="replace"))
    if done.returncode == 0:
        return PlatformBuild(platform, Outcome.PASSED, seconds, image=tag, log_tail=log.lines)
    outcome = Outcome.FAILED if log.reached_buildkit and not log.fetching_base else Outcome.UNVERIFIED
    error = log.error or f"docker buildx build exited with {done.returncode}"
    if log.fetching_base:  # a registry's rate limit or outage says nothing about the Dockerfile
        error = f"a base image could not be fetched: {error}"
    return PlatformBuild(platform, outcome, seconds, log_tail=log.lines, error=error)


def build_plan(
    plan: BuildPlan,
    checkout: Path,
    *,
    builder: str | None,
    timeout: float,
    base_images: Mapping[str, str] | None = None,
    cgroup_parent: str | None = None,
) -> tuple[PlatformBuild, ...]:
    """Every platform of ``plan``, one after another, each loaded under its ``verify_tag``."""
    return tuple(
        build_platform(
            plan,
            platform,
            checkout,
            builder=builder,
            timeout=timeout,
            tag=verify_tag(plan, platform),
            base_images=base_images,
            cgroup_parent=cgroup_parent,
        )
        for platform in plan.platforms
    )


def push_multi_platform(
    plan: BuildPlan,
    platforms: Sequence[Platform],
    checkout: Path,
    *,
    builder: str | None,
    registry_ref: str,
    timeout: float,
    base_images: Mapping[str, str] | None = None,
) -> str:
    """Build every platform into one OCI archive, push it to ``registry_ref``; the index digest.

    An archive plus skopeo rather than ``--push``: see ``bot.build.buildx``. BuildKit's attestations are
    kept, as the project's own multi-platform build would push them. Raises BuildError.
    """
    context, dockerfile = _inside(checkout, plan)
    with scrubbed_env() as (env, work):
        archive, metadata = work / "image.oci.tar", work / "metadata.json"
        try:
            argv = buildx_build_argv(
                context,
                platforms=platforms,
                dockerfile=dockerfile,
                target=plan.target,
                build_args=dict(plan.build_args),
                base_images=base_images,
                output=oci_output(archive),
                builder=builder,
                metadata_file=metadata,
                progress="rawjson",
            )
        except ValueError as exc:
            raise BuildError(f"the multi-platform build of {plan.dockerfile} was not run: {exc}") from None
        try:
            done = proc.run(argv, timeout=timeout, env=env, check=False)
        except proc.ProcError as exc:
            raise BuildError(f"the multi-platform build of {plan.dockerfile} did not finish: {exc}") from None
        if done.returncode != 0:
            log = read_rawjson(done.stderr.decode(errors="replace"))
            raise BuildError(f"the multi-platform build of {plan.dockerfile} failed: {log.error}")
        digest = _image_digest(metadata)
        try:
            proc.run(
                push_archive_argv(archive, registry_ref, plain_http=_on_loopback(registry_ref)),
                timeout=_PUSH_TIMEOUT,
                env=env,
            )
        except proc.ProcError as exc:
            raise BuildError(f"pushing {registry_ref} failed: {exc}") from None
    return digest


def buildx_available(builder: str | None = None, platforms: Sequence[Platform] = ()) -> str | None:
    """None when a build can run; otherwise what is missing, said so a person can fix it.

    Checked with the same scrubbed environment the builds get, so a builder found here is found there.
    """
    if not os.access(DOCKER_CLI, os.X_OK):
        return f"{DOCKER_CLI} is missing (Debian's docker-cli; /usr/local/bin/docker has no buildx): {_SETUP}"
    with scrubbed_env() as (env, _):
        try:
            proc.run([str(DOCKER_CLI), "buildx", "version"], timeout=_CHECK_TIMEOUT, env=env)
        except proc.ProcError as exc:
            return f"the buildx plugin is missing (Debian's docker-buildx): {_SETUP} ({exc})"
        try:
            proc.run(
                [str(DOCKER_CLI), "version", "--format", "{{.Server.Version}}"],
                timeout=_CHECK_TIMEOUT,
                env=env,
            )
        except proc.ProcError as exc:
            where = env.get("DOCKER_HOST", "the default socket")
            return f"the Docker daemon at {where} is not answering (images are loaded into it): {exc}"
        name = f"buildx builder {builder!r}" if builder else "the current buildx builder"
        try:
            inspected = proc.run(buildx_inspect_argv(builder), timeout=_CHECK_TIMEOUT, env=env)
        except ValueError as exc:
            return str(exc)
        except proc.ProcError as exc:
            return f"{name} cannot be used: {exc}"
    listed = listed_platforms(inspected.out)
    lacking = [platform for platform in platforms if platform not in listed]
    if lacking:
        has = ", ".join(map(str, listed)) or "nothing"
        return f"{name} cannot build {', '.join(map(str, lacking))} (it lists {has})"
    return None


@contextlib.contextmanager
def scrubbed_env(environ: Mapping[str, str] | None = None) -> Iterator[tuple[dict[str, str], Path]]:
    """The environment a build runs with (see the module docstring), and a work directory for it.

    Both temporary directories are removed afterwards.
    """
    source = os.environ if environ is None else environ
    user_docker_config = Path(
        source.get("DOCKER_CONFIG") or Path(source.get("HOME", "~")).expanduser() / ".docker"
    )
    buildx_config = source.get("BUILDX_CONFIG") or str(user_docker_config / "buildx")
    with tempfile.TemporaryDirectory(prefix="multiarch-bot-build-") as temporary:
        root = Path(temporary)
        home, docker_config, work = root / "home", root / "docker-config", root / "work"
        for directory in (home, docker_config, work):
            directory.mkdir(mode=0o700)
        plugins = user_docker_config / "cli-plugins"
        if plugins.is_dir():
            (docker_config / "cli-plugins").symlink_to(plugins, target_is_directory=True)
        env = {
            "PATH": source.get("PATH") or "/usr/local/bin:/usr/bin:/bin",
            "LANG": source.get("LANG") or "C.UTF-8",
            "HOME": str(home),
            "DOCKER_CONFIG": str(docker_config),
            "BUILDX_CONFIG": buildx_config,
        }
        if source.get("DOCKER_HOST"):
            env["DOCKER_HOST"] = source["DOCKER_HOST"]
        yield env, work


def _inside(checkout: Path, plan: BuildPlan) -> tuple[Path, Path]:
    """The context and Dockerfile as paths, refusing any that leave the checkout.

    The plan comes from repository files: a context of ``../..`` or a symlink out of the checkout would
    send the host's files (the bot's own config among them) into an untrusted build.
    """
    root = checkout.resolve()
    resolved = []
    for what, rel in (("context", plan.context), ("Dockerfile", plan.dockerfile)):
        try:
            path = (root / rel).resolve()
        except (RuntimeError, OSError):  # a symlink loop (RuntimeError before Python 3.13)
            raise BuildError(f"the build's {what} {rel!r} is a symlink loop: refusing to build it") from None
        if not path.is_relative_to(root):
            raise BuildError(f"the build's {what} {rel!r} is outside the checkout: refusing to build it")
        resolved.append(path)
    return resolved[0], resolved[1]


def _on_loopback(registry_ref: str) -> bool:
    """True for a registry on this machine, which the sandbox serves over plain http."""
    host = registry_ref.split("/", 1)[0]
    name = host[: host.index("]") + 1] if host.startswith("[") and "]" in host else host.partition(":")[0]
    return name in _LOOPBACK


def _image_digest(metadata: Path) -> str:
    try:
        digest = json.loads(metadata.read_text()).get("containerimage.digest")
    except (OSError, ValueError, AttributeError) as exc:
        raise BuildError(f"buildx wrote no readable metadata ({exc})") from None
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        raise BuildError(f"buildx's metadata names no image digest: {digest!r}")
    return digest

"""Run a project's own publishing command (``sh scripts/build.sh``, ``make push``, ``npm run …``) for real.

The command runs the way a maintainer runs it, in the project's directory, with a minimal environment:

* ``docker`` on ``PATH`` is a shim in front of Debian's ``/usr/bin/docker``, the CLI with the buildx and
  compose plugins: the scripts say ``docker``, and this machine's ``/usr/local/bin/docker`` comes first on
  the usual ``PATH`` and is a bare client without plugins. The shim records every command line it is given;
* ``DOCKER_HOST`` is the sandbox's daemon; ``DOCKER_CONFIG`` and ``HOME`` are empty directories of the test,
  so no credentials are read and buildx and npm keep their state there, not in the developer's home;
* nothing else is inherited: an outer ``make test`` leaves ``MAKEFLAGS`` (jobserver descriptors) behind,
  which must not reach the project's own ``make``.

The one sandbox limitation is ``docker buildx create``: a ``docker-container`` builder runs the
``moby/buildkit`` image, which cannot be pulled here. The shim refuses it, saying so, rather than pretending a
builder was made: a patched script that needs one fails here instead of passing on the default builder.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from bot import proc
from bot.sandbox.engine import DOCKER_CLI, DOCKER_HOST

PUBLISH_TIMEOUT = 180.0
_SHIM = """#!/bin/sh
# `docker` for a project's scripts: Debian's CLI (with buildx and compose); every command line is recorded.
printf '%s\\n' "$*" >> {calls}
if [ "$1" = buildx ] && [ "$2" = create ]; then
    echo "docker buildx create: refused by the test sandbox (a docker-container builder needs the" \\
        "moby/buildkit image, which cannot be pulled here)" >&2
    exit 1
fi
exec {docker} "$@"
"""


@dataclass(frozen=True)
class PublishRun:
    calls: tuple[str, ...]  # the docker command lines the publishing command ran, in order
    output: str  # its stdout and stderr
    seconds: float


def run_publishing_command(argv: tuple[str, ...], project: Path, workdir: Path) -> PublishRun:
    """Run ``argv`` in ``project`` against the sandbox's daemon; AssertionError with its output on failure."""
    bin_dir, home, docker_config = workdir / "bin", workdir / "home", workdir / "docker-config"
    for directory in (bin_dir, home, docker_config):
        directory.mkdir(parents=True, exist_ok=True)
    calls = workdir / "docker-calls.log"
    calls.write_text("")
    shim = bin_dir / "docker"
    shim.write_text(_SHIM.format(calls=shlex.quote(str(calls)), docker=shlex.quote(str(DOCKER_CLI))))
    shim.chmod(0o755)
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "DOCKER_HOST": DOCKER_HOST,
        "DOCKER_CONFIG": str(docker_config),
        "npm_config_update_notifier": "false",  # npm would otherwise ask its registry for a newer npm
    }
    done = proc.run(argv, timeout=PUBLISH_TIMEOUT, env=env, cwd=project, check=False)
    output = done.out + done.stderr.decode(errors="replace")
    ran = tuple(calls.read_text().splitlines())
    assert done.returncode == 0, (
        f"{shlex.join(argv)} exited with {done.returncode}; docker ran {ran}:\n{output}"
    )
    return PublishRun(ran, output, done.duration)

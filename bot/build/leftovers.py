"""Images and containers that a killed run left in the Docker engine, removed by a later run.

A run removes its verify images and containers as it goes (``bot.build.verify``), but a run killed by
SIGKILL, the OOM killer or a lost machine cannot: its tags and stopped (or still running) containers
would stay in the engine for good. So each of them names its run: images by their tag
(``multiarch-bot-verify/run-<run id>/…``, see ``bot.build.verify_tags``), containers by the label
``multiarch-bot.run=<run id>``. A run that starts asks the engine for those (one call each) and removes
the ones whose run is dead by the same test that removes its workspace: ``bot.workspace.dead_runs``.
Live runs', other machines' and anything without a run's name (other tools' images, older tags) are
never touched.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors

from bot.build.container import RUN_LABEL, DockerFailure
from bot.build.verify_tags import OWNED_VERIFY_IMAGES, verify_tag_owner
from bot.sandbox.engine import DOCKER_HOST
from bot.workspace import dead_runs

_TIMEOUT = 30  # seconds per engine request: a hung daemon must not hold the run up for long


@dataclass(frozen=True)
class Reaped:
    """What was removed (image tags, containers as ``<short id> (<image>)``) and what could not be."""

    images: tuple[str, ...] = ()
    containers: tuple[str, ...] = ()
    failures: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """One line for each thing worth saying, for the run's log."""
        lines = [f"removed container {container} of a dead run" for container in self.containers]
        lines += [f"removed image {tag} of a dead run" for tag in self.images]
        return [*lines, *self.failures]


def reap_leftovers(client: docker.DockerClient, root: Path) -> Reaped:
    """Remove the verify images and containers of dead runs whose workspaces were below ``root``.

    Containers first: an image a container still uses cannot be removed without force. Raises
    ``DockerFailure`` when the engine cannot even be asked; one removal that fails is reported and the
    others go on.
    """
    # sparse: the list's own answer, without one inspect call per container
    containers = client.containers.list(all=True, sparse=True, filters={"label": RUN_LABEL})
    tagged = [
        (tag, owner)
        for image in client.images.list(filters={"reference": OWNED_VERIFY_IMAGES})
        for tag in image.tags  # every tag of the image, not only the ones the filter matched
        if (owner := verify_tag_owner(tag)) is not None
    ]
    owners = {_run_of(container) for container in containers}
    dead = dead_runs(root, owners | {owner for _, owner in tagged})
    if not dead:
        return Reaped()
    removed_containers: list[str] = []
    removed_images: list[str] = []
    failures: list[str] = []
    for container in containers:
        if _run_of(container) in dead:
            what = f"{str(container.id)[:12]} ({container.attrs.get('Image', '?')})"
            try:
                container.remove(force=True, v=True)  # force: a dead run's smoke container may still run
            except docker.errors.NotFound:
                continue  # removed meanwhile (the dead run's own cleanup, another run's reaping)
            except DockerFailure as exc:
                failures.append(f"could not remove container {what} of a dead run: {exc}")
                continue
            removed_containers.append(what)
    for tag, owner in tagged:
        if owner in dead:
            try:
                client.images.remove(tag)  # a tag: the image goes only if nothing else names it
            except docker.errors.NotFound:
                continue
            except DockerFailure as exc:
                failures.append(f"could not remove image {tag} of a dead run: {exc}")
                continue
            removed_images.append(tag)
    return Reaped(tuple(removed_images), tuple(removed_containers), tuple(failures))


def reap_dead_runs(root: Path, base_url: str = DOCKER_HOST) -> list[str]:
    """``reap_leftovers`` on the engine at ``base_url``; lines for the run's log. Never raises: a run
    that only scans needs no engine, and one that builds finds out on its own that it has none."""
    socket = base_url.removeprefix("unix://")
    if base_url.startswith("unix://") and not Path(socket).exists():
        return []  # no engine here, so nothing of ours in it
    try:
        with _client(base_url) as client:
            return reap_leftovers(client, root).lines()
    except DockerFailure as exc:
        return [f"could not look for a dead run's images and containers in the engine: {exc}"]


@contextlib.contextmanager
def _client(base_url: str) -> Iterator[docker.DockerClient]:
    client = docker.DockerClient(base_url=base_url, timeout=_TIMEOUT)
    try:
        yield client
    finally:
        client.close()


def _run_of(container: Any) -> str:
    return str((container.attrs.get("Labels") or {}).get(RUN_LABEL, ""))

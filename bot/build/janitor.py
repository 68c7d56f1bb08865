"""The engine's clean-up off the critical path: verify containers and images removed on a thread of their own.

Removing an image from the engine takes about a second (the containerd store deletes its content and
snapshots as it goes), a container about half of one; a repository's two platforms cost four containers
and two images, several seconds a repository that the next build need not wait for. So the runner hands
them to the janitor, which removes them in the order given (a platform's containers before its image)
while the next platform builds or the next repository clones. ``close`` waits for all of it, so a run
ends with nothing of its own left in the engine; a run killed meanwhile leaves what the next run's
``reap_dead_runs`` removes (the same run names are on them).

Bounded: past ``MAX_PENDING`` removals the runner waits, so a fleet that builds faster than the engine
cleans up cannot fill the disk.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType

import docker
import docker.errors
import requests

MAX_PENDING = 8
_TIMEOUT = 120

_log = logging.getLogger(__name__)


class Janitor:
    """Thread-safe; the Docker client it removes with is its own, made on first use."""

    def __init__(self, docker_host: str) -> None:
        self._docker_host = docker_host
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="janitor")
        self._slots = threading.BoundedSemaphore(MAX_PENDING)
        self._client: docker.DockerClient | None = None  # the thread's own; made on first use

    def __enter__(self) -> Janitor:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def remove_container(self, ident: str) -> None:
        """Kill and remove the container, its anonymous volumes too."""
        self._later(f"container {ident[:12]}", lambda api: api.remove_container(ident, force=True, v=True))

    def remove_image(self, tag: str) -> None:
        """Remove the tag (and the image, when nothing else names it)."""
        self._later(f"image {tag}", lambda api: api.remove_image(tag, force=True))

    def close(self) -> None:
        """Wait until everything handed over is removed (or failed, logged), then let the client go."""
        self._pool.shutdown(wait=True)
        if self._client is not None:
            self._client.close()

    def _later(self, what: str, remove: Callable[[docker.APIClient], object]) -> None:
        self._slots.acquire()  # the bound: wait while MAX_PENDING removals are queued
        future = self._pool.submit(self._remove, what, remove)  # RuntimeError once closed: a bug
        future.add_done_callback(lambda _: self._slots.release())

    def _remove(self, what: str, remove: Callable[[docker.APIClient], object]) -> None:
        try:
            if self._client is None:
                self._client = docker.DockerClient(base_url=self._docker_host, timeout=_TIMEOUT)
            with contextlib.suppress(docker.errors.NotFound):
                remove(self._client.api)
        except (docker.errors.DockerException, requests.RequestException) as error:
            _log.warning("could not remove %s: %s", what, type(error).__name__)

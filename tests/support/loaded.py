"""Fixture ``loaded``: the tags of the images a test puts into the engine, removed (forced) afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.images import docker_client, remove_images


@pytest.fixture
def loaded() -> Iterator[list[str]]:
    tags: list[str] = []
    yield tags
    with docker_client() as client:
        remove_images(client, tags)

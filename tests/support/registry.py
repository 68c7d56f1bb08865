"""Session fixtures: real distribution registries on 127.0.0.1, seeded with small multi-arch images.

``registry``: no auth, every image of ``SEED_IMAGES``.
``token_registry``: ``auth: token`` behind ``tests.support.token_issuer``, with ``public/tools`` (anonymous
pull) and ``private/app`` (alice:wonderland), both ``1.0`` and ``1.1``, amd64 + arm64 OCI indexes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest

from bot.model import AMD64, ARM64, Digest, ImageRef, Platform
from bot.sandbox.registry import AccessLogEntry, LocalRegistry, TokenAuth
from bot.sandbox.seed import push_image
from tests.support.token_issuer import ISSUER, SERVICE, TokenIssuer, start_token_issuer

ARM64_V8 = Platform("linux", "arm64", "v8")  # built directly: Platform.of would normalise the variant away
ARM_V7 = Platform("linux", "arm", "v7")


@dataclass(frozen=True)
class SeedImage:
    repository: str
    tag: str
    platforms: tuple[Platform, ...]
    kind: Literal["oci", "docker"]
    attestations: bool = False


SEED_IMAGES = {
    # BuildKit-style OCI index: amd64 + arm64 plus one attestation manifest per image.
    "oci-index": SeedImage("library/node", "lts-alpine3.10", (AMD64, ARM64), "oci", attestations=True),
    # Same content under another tag: same digest, so a second tag must not GET the manifest again.
    "oci-index-alias": SeedImage("library/node", "lts", (AMD64, ARM64), "oci", attestations=True),
    # Docker manifest list whose arm64 entry says variant v8, as many official images do.
    "docker-list-v8": SeedImage("library/golang", "1.22", (AMD64, ARM64_V8), "docker"),
    # 32-bit arm only: arm/v7 must not pass for arm64.
    "armv7-list": SeedImage("library/python", "3.12-armv7", (AMD64, ARM_V7), "docker"),
    # No index at all: the platform is only in the config blob.
    "single-amd64": SeedImage("acme/amd64-only", "1.0", (AMD64,), "docker"),
    "single-arm64": SeedImage("acme/arm64-only", "1.0", (ARM64,), "oci"),
}
TOKEN_IMAGES = {
    "public": SeedImage("public/tools", "1.0", (AMD64, ARM64), "oci"),
    "public-next": SeedImage("public/tools", "1.1", (AMD64, ARM64), "oci"),
    "private": SeedImage("private/app", "1.0", (AMD64, ARM64), "oci"),
    "private-next": SeedImage("private/app", "1.1", (AMD64, ARM64), "oci"),
}
USER, PASSWORD = "alice", "wonderland"


@dataclass(frozen=True)
class SeededRegistry:
    """A running registry and what was pushed into it: ``ref(key)`` for a ``SEED_IMAGES`` key."""

    local: LocalRegistry
    images: dict[str, SeedImage]
    digests: dict[str, Digest]
    issuer: TokenIssuer | None = None

    @property
    def address(self) -> str:
        return self.local.address

    def ref(self, key: str) -> ImageRef:
        image = self.images[key]
        return ImageRef(self.address, image.repository, image.tag)

    def access_entries(self) -> list[AccessLogEntry]:
        return self.local.access_entries()


def _seed(
    local: LocalRegistry, images: dict[str, SeedImage], issuer: TokenIssuer | None
) -> dict[str, Digest]:
    digests = {}
    for key, image in images.items():
        token = issuer.push_token(image.repository) if issuer else None
        digests[key] = push_image(
            local.url,
            image.repository,
            image.tag,
            image.platforms,
            index_type=image.kind,
            attestations=image.attestations,
            token=token,
        )
    return digests


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededRegistry]:
    local = LocalRegistry.start(tmp_path_factory.mktemp("registry"))
    try:
        yield SeededRegistry(local, SEED_IMAGES, _seed(local, SEED_IMAGES, None))
    finally:
        local.stop()


@pytest.fixture(scope="session")
def token_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededRegistry]:
    state: Path = tmp_path_factory.mktemp("token-registry")
    issuer = start_token_issuer(state)
    try:
        auth = TokenAuth(realm=issuer.realm, service=SERVICE, issuer=ISSUER, rootcertbundle=issuer.cert_path)
        local = LocalRegistry.start(state, token_auth=auth)
        try:
            digests = _seed(local, TOKEN_IMAGES, issuer)
            issuer.requests.clear()  # tests count the look-ups' token requests, not the seeding's
            yield SeededRegistry(local, TOKEN_IMAGES, digests, issuer)
        finally:
            local.stop()
    finally:
        issuer.stop()

"""The registry client against a real distribution registry (Debian's docker-registry on 127.0.0.1)."""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.model import (
    AMD64,
    ARM64,
    DEFAULT_PLATFORMS,
    ImagePlatforms,
    ImageRef,
    LookupFailure,
    Platform,
    Unverified,
    VerdictStatus,
)
from bot.scan.registry import RegistryClient
from bot.scan.registry_auth import CredentialStore
from bot.scan.verdict import judge
from tests.support.lookups import client, failed, found
from tests.support.registry import ARM_V7, PASSWORD, USER, SeededRegistry

pytestmark = pytest.mark.registry


def registry_requests(registry: SeededRegistry, since: int, repository: str) -> list[tuple[str, str]]:
    """(method, path) of the requests for ``repository`` the registry logged after entry ``since``."""
    return [
        (e.method, e.path)
        for e in registry.access_entries()[since:]
        if e.path.startswith(f"/v2/{repository}/")
    ]


# ------------------------------------------------------------------------------------------------ verdicts


def test_oci_index_attestations_are_not_platforms(registry: SeededRegistry) -> None:
    answer = found(client().lookup(registry.ref("oci-index")))

    assert answer.is_index
    assert answer.digest == registry.digests["oci-index"]
    assert answer.platforms == (AMD64, ARM64)  # the two unknown/unknown attestation entries are gone
    assert [p for p, _ in answer.platform_digests] == [AMD64, ARM64]
    assert judge(answer, DEFAULT_PLATFORMS).status is VerdictStatus.MULTI_ARCH


def test_docker_list_arm64_v8_counts_as_arm64(registry: SeededRegistry) -> None:
    answer = found(client().lookup(registry.ref("docker-list-v8")))

    assert answer.platforms == (AMD64, ARM64)
    assert judge(answer, [Platform.parse("linux/arm64")]).status is VerdictStatus.MULTI_ARCH


def test_arm_v7_does_not_satisfy_arm64(registry: SeededRegistry) -> None:
    answer = found(client().lookup(registry.ref("armv7-list")))
    verdict = judge(answer, DEFAULT_PLATFORMS)

    assert answer.platforms == (AMD64, ARM_V7)
    assert verdict.status is VerdictStatus.MISSING
    assert verdict.missing == (ARM64,)
    assert verdict.label == "missing-arm64"


@pytest.mark.parametrize(("key", "platform"), [("single-amd64", AMD64), ("single-arm64", ARM64)])
def test_single_manifest_platform_comes_from_config_blob(
    registry: SeededRegistry, key: str, platform: Platform
) -> None:
    since = len(registry.access_entries())
    answer = found(client().lookup(registry.ref(key)))

    assert not answer.is_index
    assert answer.platforms == (platform,)
    assert answer.digest == registry.digests[key]
    made = registry_requests(registry, since, registry.images[key].repository)
    blob_gets = [path for method, path in made if method == "GET" and "/blobs/" in path]
    assert len(blob_gets) == 1
    expected = VerdictStatus.MULTI_ARCH if platform == ARM64 else VerdictStatus.MISSING
    assert judge(answer, [ARM64]).status is expected


def test_digest_pinned_child_of_an_index_is_single_arch(registry: SeededRegistry) -> None:
    index = found(client().lookup(registry.ref("oci-index")))
    arm64_child = dict(index.platform_digests)[ARM64]
    pinned = ImageRef(registry.address, "library/node", "lts-alpine3.10", arm64_child)

    answer = found(client().lookup(pinned))

    assert not answer.is_index
    assert answer.digest == arm64_child
    assert answer.platforms == (ARM64,)
    assert judge(answer, DEFAULT_PLATFORMS).missing == (AMD64,)


def test_digest_pinned_index_is_the_index(registry: SeededRegistry) -> None:
    pinned = ImageRef(registry.address, "library/golang", None, registry.digests["docker-list-v8"])
    answer = found(client().lookup(pinned))

    assert answer.is_index
    assert answer.platforms == (AMD64, ARM64)


@pytest.mark.parametrize(
    ("repository", "reference"),
    [
        ("library/node", "no-such-tag"),
        ("nobody/nothing", "latest"),
        ("library/node", "sha256:" + "0" * 64),
    ],
    ids=["tag", "repository", "digest"],
)
def test_not_found(registry: SeededRegistry, repository: str, reference: str) -> None:
    tag, digest = (None, reference) if reference.startswith("sha256:") else (reference, None)
    ref = ImageRef(registry.address, repository, tag, digest)  # type: ignore[arg-type]

    failure = failed(client().lookup(ref))

    assert failure.not_found
    assert failure.reason is None
    assert judge(failure, DEFAULT_PLATFORMS).status is VerdictStatus.NOT_FOUND


# ------------------------------------------------------------------------------------------------ auth


def test_anonymous_bearer_flow_caches_the_token_per_repository(token_registry: SeededRegistry) -> None:
    issuer = token_registry.issuer
    assert issuer is not None
    before = len(issuer.requests)
    lookups = client()

    first = found(lookups.lookup(token_registry.ref("public")))
    second = found(lookups.lookup(token_registry.ref("public-next")))

    assert first.platforms == second.platforms == (AMD64, ARM64)
    asked = issuer.requests[before:]
    assert [(r.user, r.scopes, r.status) for r in asked] == [(None, ["repository:public/tools:pull"], 200)]


@pytest.fixture
def docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty $DOCKER_CONFIG directory, so no test reads the developer's real credentials."""
    directory = tmp_path / "docker-config"
    directory.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(directory))
    return directory


def write_config(directory: Path, config: dict[str, object]) -> None:
    (directory / "config.json").write_text(json.dumps(config))


def test_private_repository_with_docker_config_auths(
    token_registry: SeededRegistry, docker_config: Path
) -> None:
    encoded = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    write_config(docker_config, {"auths": {f"http://{token_registry.address}": {"auth": encoded}}})

    answer = RegistryClient(total_budget=5.0).lookup(token_registry.ref("private"))

    assert found(answer).platforms == (AMD64, ARM64)


def test_private_repository_with_identity_token(token_registry: SeededRegistry, docker_config: Path) -> None:
    identity = {"identitytoken": "alice-identity-token"}
    write_config(docker_config, {"auths": {token_registry.address: identity}})

    answer = RegistryClient(total_budget=5.0).lookup(token_registry.ref("private"))

    assert found(answer).platforms == (AMD64, ARM64)
    assert token_registry.issuer is not None
    assert token_registry.issuer.requests[-1].user == "alice"


def test_private_repository_without_credentials_is_unverified_auth(
    token_registry: SeededRegistry, docker_config: Path
) -> None:
    failure = failed(RegistryClient(total_budget=5.0).lookup(token_registry.ref("private")))

    assert not failure.not_found
    assert failure.reason is Unverified.AUTH
    assert judge(failure, DEFAULT_PLATFORMS).label == "unverified (auth)"


def test_private_repository_with_credential_helper(
    token_registry: SeededRegistry, docker_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    asked = tmp_path / "helper-was-asked-for"
    helper = bin_dir / "docker-credential-test"
    helper.write_text(
        "#!/bin/sh\n"
        f'[ "$1" = get ] || exit 1\ncat > {asked}\n'
        f'printf \'{{"ServerURL":"%s","Username":"{USER}","Secret":"{PASSWORD}"}}\' "$(cat {asked})"\n'
    )
    helper.chmod(helper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    write_config(docker_config, {"credHelpers": {token_registry.address: "test"}})

    answer = RegistryClient(total_budget=5.0).lookup(token_registry.ref("private"))

    assert found(answer).platforms == (AMD64, ARM64)
    assert asked.read_text() == token_registry.address


def test_credentials_never_leak(
    token_registry: SeededRegistry, docker_config: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "not-" + PASSWORD  # a wrong password: the failure must not echo it
    encoded = base64.b64encode(f"{USER}:{secret}".encode()).decode()
    write_config(docker_config, {"auths": {token_registry.address: {"auth": encoded}}})
    store = CredentialStore.from_docker_config()
    lookups = RegistryClient(credentials=store, total_budget=5.0)

    with caplog.at_level(logging.DEBUG):
        failure = failed(lookups.lookup(token_registry.ref("private")))

    assert failure.reason is Unverified.AUTH
    texts = [
        failure.detail,
        repr(failure),
        repr(store),
        repr(store.get(token_registry.address)),
        str(store.get(token_registry.address)),
        repr(lookups),
    ]
    texts += [record.getMessage() for record in caplog.records]
    for text in texts:
        assert secret not in text
        assert encoded not in text


# ------------------------------------------------------------------------------------------------ caching


def test_each_reference_is_looked_up_once_even_from_16_threads(registry: SeededRegistry) -> None:
    lookups = client()
    ref, alias = registry.ref("oci-index"), registry.ref("oci-index-alias")
    since = len(registry.access_entries())
    start = threading.Barrier(16)

    def look_up(i: int) -> ImagePlatforms | LookupFailure:
        start.wait()
        return lookups.lookup(ref if i % 2 else alias)

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(look_up, range(16)))
    answers += [lookups.lookup(ref) for _ in range(3)]

    assert all(found(a).platforms == (AMD64, ARM64) for a in answers)
    made = registry_requests(registry, since, "library/node")
    # One GET per distinct tag (never resolved before: a HEAD first would be a second request for nothing)
    assert sorted(made) == sorted(
        [
            ("GET", "/v2/library/node/manifests/lts-alpine3.10"),
            ("GET", "/v2/library/node/manifests/lts"),
        ]
    )


def test_mirror_serves_docker_io_references(registry: SeededRegistry) -> None:
    since = len(registry.access_entries())
    hub_ref = ImageRef("docker.io", "library/golang", "1.22")

    for mirror in (registry.address, f"http://{registry.address}"):
        answer = found(client(mirrors={"docker.io": mirror}).lookup(hub_ref))
        assert answer.ref == hub_ref
        assert answer.platforms == (AMD64, ARM64)
    made = registry_requests(registry, since, "library/golang")
    assert made.count(("GET", "/v2/library/golang/manifests/1.22")) == 2

"""LocalRegistry (start, reuse, stop) and seeding, against Debian's docker-registry."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import requests

from bot.errors import RegistryError
from bot.model import AMD64, ARM64
from bot.sandbox.registry import LocalRegistry, TokenAuth
from bot.sandbox.seed import DOCKER_LIST, OCI_INDEX, OCI_MANIFEST, push_image, push_single

pytestmark = pytest.mark.registry
ACCEPT_ALL = ", ".join([OCI_INDEX, DOCKER_LIST, OCI_MANIFEST])


def test_start_is_idempotent_and_stop_stops_only_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = LocalRegistry.start(tmp_path)
    try:
        again = LocalRegistry.start(tmp_path)
        assert (again.pid, again.port) == (first.pid, first.port)
        monkeypatch.chdir(tmp_path.parent)
        found = LocalRegistry.running(Path(tmp_path.name))  # relative, as the demo's --down passes it
        assert found is not None
        assert found.pid == first.pid
        auth = TokenAuth("http://127.0.0.1:1/token", "svc", "iss", tmp_path / "none.pem")
        with pytest.raises(RegistryError, match="another configuration"):
            LocalRegistry.start(tmp_path, token_auth=auth)
    finally:
        first.stop()

    with pytest.raises(requests.ConnectionError):
        requests.get(f"{first.url}/v2/", timeout=2)
    assert not (tmp_path / "registry.pid").exists()
    assert LocalRegistry.running(tmp_path) is None


def test_seeded_images_are_deterministic_and_shaped_like_buildkit_output(tmp_path: Path) -> None:
    local = LocalRegistry.start(tmp_path)

    def manifest(repository: str, reference: str) -> requests.Response:
        url = f"{local.url}/v2/{repository}/manifests/{reference}"
        return requests.get(url, headers={"Accept": ACCEPT_ALL}, timeout=5)

    try:
        digest = push_image(local.url, "demo/app", "1.0", [AMD64, ARM64], attestations=True)
        again = push_image(local.url, "demo/app", "again", [AMD64, ARM64], attestations=True)
        push_image(local.url, "demo/solo", "list", [ARM64], force_index=True, index_type="docker")
        push_single(local.url, "demo/solo", "plain", AMD64)

        index = manifest("demo/app", "1.0")
        kinds = [m.get("annotations", {}).get("vnd.docker.reference.type") for m in index.json()["manifests"]]
        solo_list = manifest("demo/solo", "list")
        plain = manifest("demo/solo", "plain")
    finally:
        local.stop()

    assert again == digest == index.headers["Docker-Content-Digest"]
    assert kinds == [None, None, "attestation-manifest", "attestation-manifest"]
    assert solo_list.headers["Content-Type"] == DOCKER_LIST
    assert plain.headers["Content-Type"] == OCI_MANIFEST


def test_heads_racing_rewrites_of_one_tag_never_get_a_500(tmp_path: Path) -> None:
    """The race buildx's second push (through dockerd) runs: the tag checked while it is rewritten. On
    registry 2.8's filesystem driver about one HEAD in ten got 500 "invalid checksum digest format"."""
    local = LocalRegistry.start(tmp_path)
    statuses: list[int] = []
    stop = threading.Event()

    def check() -> None:
        with requests.Session() as session:
            while not stop.is_set():
                url = f"{local.url}/v2/race/app/manifests/latest"
                statuses.append(session.head(url, headers={"Accept": ACCEPT_ALL}, timeout=5).status_code)

    try:
        push_single(local.url, "race/app", "latest", AMD64)
        checkers = [threading.Thread(target=check) for _ in range(3)]
        for thread in checkers:
            thread.start()
        for round_ in range(40):
            push_single(local.url, "race/app", "latest", ARM64 if round_ % 2 else AMD64)
        stop.set()
        for thread in checkers:
            thread.join(timeout=10)
    finally:
        stop.set()
        local.stop()
    assert len(statuses) > 40
    assert set(statuses) == {200}

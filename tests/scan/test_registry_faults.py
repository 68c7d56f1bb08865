"""The registry client against loopback servers that misbehave on purpose: refuse, rate-limit, fail, lie."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import time

import pytest

from bot.model import AMD64, ARM64, ImageRef, Unverified
from bot.scan.registry_auth import CredentialStore
from tests.support.lookups import client, failed, found
from tests.support.registry import PASSWORD, USER
from tests.support.scripted_server import Hit, Reply, scripted

OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_unreachable_registry_is_unverified_network_in_bounded_time() -> None:
    started = time.monotonic()
    nowhere = ImageRef(f"127.0.0.1:{closed_port()}", "a/b", "1")
    failure = failed(client(total_budget=1.5, timeout=0.5).lookup(nowhere))

    assert failure.reason is Unverified.NETWORK
    assert "Connection refused" in failure.detail
    assert time.monotonic() - started < 4.0


def index_body() -> bytes:
    entries = [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + c * 64, "size": 1,
         "platform": {"os": "linux", "architecture": arch}}
        for c, arch in (("a", "amd64"), ("b", "arm64"))
    ]  # fmt: skip
    return json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}).encode()


def good_reply() -> Reply:
    body = index_body()
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    return Reply(200, {"Content-Type": OCI_INDEX, "Docker-Content-Digest": digest}, body)


GARBAGE = {
    "not-json": Reply(200, {"Content-Type": OCI_INDEX}, b"<html>hello</html>"),
    "json-array": Reply(200, {"Content-Type": OCI_INDEX}, b"[1, 2, 3]"),
    "wrong-media-type": Reply(200, {"Content-Type": "text/html"}, b'{"schemaVersion": 2, "hello": 1}'),
    "schema1": Reply(
        200,
        {"Content-Type": "application/vnd.docker.distribution.manifest.v1+prettyjws"},
        b'{"schemaVersion": 1, "name": "a/b", "architecture": "amd64", "fsLayers": []}',
    ),
    "huge-declared": Reply(200, {"Content-Type": OCI_INDEX}, b"{" + b" " * (5 * 1024 * 1024) + b"}"),
    "huge-streamed": Reply(200, {"Content-Type": OCI_INDEX}, [b" " * 65536] * 100),
    "digest-mismatch": Reply(
        200, {"Content-Type": OCI_INDEX, "Docker-Content-Digest": "sha256:" + "c" * 64}, index_body()
    ),
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(GARBAGE))
def test_garbage_answers_are_unverified_protocol(kind: str) -> None:
    reply = GARBAGE[kind]
    with scripted(lambda hit: reply) as server:
        failure = failed(client().lookup(ImageRef(server.address, "a/b", "1")))

    assert failure.reason is Unverified.PROTOCOL, failure.detail


def test_rate_limit_waits_for_retry_after_then_succeeds() -> None:
    def script(hit: Hit) -> Reply:
        return Reply(429, {"Retry-After": "1"}) if hit.seen == 0 else good_reply()

    with scripted(script) as server:
        answer = found(client().lookup(ImageRef(server.address, "a/b", "1")))
        hits = server.hits

    assert answer.platforms == (AMD64, ARM64)
    assert [h.method for h in hits] == ["GET", "GET"]  # a tag never seen: one GET, no HEAD first
    assert hits[1].at - hits[0].at >= 0.95


def test_rate_limit_beyond_the_budget_gives_up_at_once() -> None:
    with scripted(lambda hit: Reply(429, {"Retry-After": "3600"})) as server:
        started = time.monotonic()
        failure = failed(client(total_budget=3.0).lookup(ImageRef(server.address, "a/b", "1")))

    assert failure.reason is Unverified.RATE_LIMIT
    assert time.monotonic() - started < 1.0
    assert len(server.hits) == 1


def test_server_errors_are_retried_with_backoff() -> None:
    def script(hit: Hit) -> Reply:
        return Reply(503) if hit.seen < 3 else good_reply()

    with scripted(script) as server:
        answer = found(client().lookup(ImageRef(server.address, "a/b", "1")))

    assert answer.platforms == (AMD64, ARM64)
    assert [h.method for h in server.hits] == ["GET"] * 4


def test_persistent_server_errors_end_as_unverified_network() -> None:
    with scripted(lambda hit: Reply(502)) as server:
        failure = failed(client(total_budget=1.5).lookup(ImageRef(server.address, "a/b", "1")))

    assert failure.reason is Unverified.NETWORK
    assert "HTTP 502" in failure.detail
    assert len(server.hits) >= 2


def basic_auth_registry(hit: Hit) -> Reply:
    """A registry behind Basic auth (as ``auth: htpasswd`` configures the distribution registry)."""
    expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    if hit.headers.get("Authorization") != expected:
        return Reply(401, {"WWW-Authenticate": 'Basic realm="Registry Realm"'})
    return good_reply()


def test_basic_auth_registry_with_and_without_credentials() -> None:
    with scripted(basic_auth_registry) as server:
        ref = ImageRef(server.address, "a/b", "1")
        store = CredentialStore({"auths": {server.address: {"username": USER, "password": PASSWORD}}})

        answer = found(client(credentials=store).lookup(ref))
        anonymous = failed(client().lookup(ref))

    assert answer.platforms == (AMD64, ARM64)
    assert anonymous.reason is Unverified.AUTH
    assert PASSWORD not in anonymous.detail


def test_config_blob_behind_a_redirect_is_followed() -> None:
    config = json.dumps({"os": "linux", "architecture": "arm64", "rootfs": {}}).encode()
    config_digest = "sha256:" + hashlib.sha256(config).hexdigest()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config_digest,
                "size": len(config),
            },
            "layers": [],
        }
    ).encode()
    manifest_type = {"Content-Type": "application/vnd.oci.image.manifest.v1+json"}

    def storage_behind_redirects(hit: Hit) -> Reply:
        if hit.path == f"/v2/a/b/blobs/{config_digest}":
            return Reply(307, {"Location": f"/storage/{config_digest}?signature=x"})
        if hit.path.startswith("/storage/"):
            return Reply(200, {"Content-Type": "application/octet-stream"}, config)
        return Reply(200, manifest_type, manifest)

    with scripted(storage_behind_redirects) as server:
        answer = found(client().lookup(ImageRef(server.address, "a/b", "1")))

    assert not answer.is_index
    assert answer.platforms == (ARM64,)
    assert any(h.path.startswith("/storage/") for h in server.hits)


def test_token_issuer_answering_garbage_is_unverified_auth() -> None:
    def registry_with_broken_issuer(hit: Hit) -> Reply:
        if hit.path.startswith("/token"):
            return Reply(200, {"Content-Type": "application/json"}, b'{"no": "token here"}')
        return Reply(401, {"WWW-Authenticate": f'Bearer realm="http://{server.address}/token",service="x"'})

    with scripted(registry_with_broken_issuer) as server:
        failure = failed(client().lookup(ImageRef(server.address, "a/b", "1")))

    assert failure.reason is Unverified.AUTH
    assert [h.path.split("?")[0] for h in server.hits] == ["/v2/a/b/manifests/1", "/token"]

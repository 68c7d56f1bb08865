"""The registry client's pure parts: auth challenges, credentials, Retry-After, endpoints, manifests."""

from __future__ import annotations

import base64
import json
from email.utils import formatdate
from pathlib import Path

import pytest

from bot.model import AMD64, ARM64, Platform
from bot.scan.registry_auth import Challenge, Credentials, CredentialStore, parse_www_authenticate
from bot.scan.registry_http import Endpoint, parse_retry_after, resolve_endpoint
from bot.scan.registry_manifest import (
    ImageManifest,
    ManifestError,
    ManifestSummary,
    parse_config_platform,
    parse_manifest,
)

# ---------------------------------------------------------------------------------------- WWW-Authenticate


def test_docker_hub_bearer_challenge() -> None:
    header = (
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:library/node:pull"'
    )
    assert parse_www_authenticate(header) == (
        Challenge(
            "bearer",
            {
                "realm": "https://auth.docker.io/token",
                "service": "registry.docker.io",
                "scope": "repository:library/node:pull",
            },
        ),
    )


def test_commas_inside_quotes_do_not_split_parameters() -> None:
    (challenge,) = parse_www_authenticate('Bearer realm="https://a/t", scope="repository:x/y:pull,push"')

    assert challenge.params["scope"] == "repository:x/y:pull,push"


def test_several_challenges_case_and_escapes() -> None:
    header = 'Basic realm="say \\"hi\\"", BEARER Realm=https://a/t , error=insufficient_scope'

    assert parse_www_authenticate(header) == (
        Challenge("basic", {"realm": 'say "hi"'}),
        Challenge("bearer", {"realm": "https://a/t", "error": "insufficient_scope"}),
    )


def test_token68_and_bare_scheme() -> None:
    assert parse_www_authenticate("Negotiate abc123==, Basic") == (
        Challenge("negotiate", {"": "abc123=="}),
        Challenge("basic", {}),
    )


@pytest.mark.parametrize("header", ["", "   ", ",,", '="oops"'])
def test_unreadable_headers_give_no_challenge(header: str) -> None:
    assert parse_www_authenticate(header) == ()


# --------------------------------------------------------------------------------------------- credentials


def test_auths_entries_by_any_spelling_of_the_host() -> None:
    encoded = base64.b64encode(b"bob:s3cret:with:colons").decode()
    store = CredentialStore(
        {
            "auths": {
                "https://index.docker.io/v1/": {"auth": encoded},
                "http://127.0.0.1:5000/v2/": {"username": "ann", "password": "pw"},
                "ghcr.io": {"identitytoken": "refresh-me"},
            }
        }
    )

    assert store.get("registry-1.docker.io") == Credentials("bob", "s3cret:with:colons")
    assert store.get("docker.io") == Credentials("bob", "s3cret:with:colons")
    assert store.get("127.0.0.1:5000") == Credentials("ann", "pw")
    assert store.get("ghcr.io") == Credentials("", "refresh-me", identity_token=True)
    assert store.get("quay.io") is None


def test_malformed_entries_are_ignored_not_fatal() -> None:
    store = CredentialStore(
        {"auths": {"a.io": {"auth": "%%%not-base64"}, "b.io": "nonsense"}, "credHelpers": 3}
    )

    assert store.get("a.io") is None
    assert store.get("b.io") is None


def test_secrets_are_redacted_from_reprs() -> None:
    store = CredentialStore({"auths": {"a.io": {"username": "ann", "password": "hunter2"}}})
    credentials = store.get("a.io")

    for text in (repr(store), repr(credentials), str(credentials)):
        assert "hunter2" not in text
    assert "a.io" in repr(store)


def test_missing_or_broken_docker_config_means_no_credentials(tmp_path: Path) -> None:
    missing = CredentialStore.from_docker_config(tmp_path / "nope.json")
    broken_path = tmp_path / "config.json"
    broken_path.write_text("{not json")
    broken = CredentialStore.from_docker_config(broken_path)

    assert missing.get("docker.io") is None
    assert broken.get("docker.io") is None


def test_unknown_credential_helper_falls_back_to_auths() -> None:
    config = {"credsStore": "surely-not-installed", "auths": {"a.io": {"username": "ann", "password": "pw"}}}

    assert CredentialStore(config).get("a.io") == Credentials("ann", "pw")


# ------------------------------------------------------------------------------------------- Retry-After


def test_retry_after_seconds_and_http_date() -> None:
    now = 1_700_000_000.0

    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30.0)
    assert parse_retry_after(formatdate(now - 30, usegmt=True), now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("") is None


# ---------------------------------------------------------------------------------------------- endpoints


@pytest.mark.parametrize(
    ("registry", "mirrors", "insecure", "expected"),
    [
        ("docker.io", {}, (), Endpoint("https", "registry-1.docker.io")),
        ("index.docker.io", {}, (), Endpoint("https", "registry-1.docker.io")),
        ("ghcr.io", {}, (), Endpoint("https", "ghcr.io")),
        ("127.0.0.1:5000", {}, (), Endpoint("http", "127.0.0.1:5000")),
        ("localhost:5000", {}, (), Endpoint("http", "localhost:5000")),
        ("[::1]:5000", {}, (), Endpoint("http", "[::1]:5000")),
        ("docker.io", {"docker.io": "127.0.0.1:5000"}, (), Endpoint("http", "127.0.0.1:5000")),
        ("index.docker.io", {"docker.io": "http://mirror:5000/"}, (), Endpoint("http", "mirror:5000")),
        ("docker.io", {"docker.io": "mirror.example"}, (), Endpoint("https", "mirror.example")),
        ("lab:5000", {}, ("lab:5000",), Endpoint("http", "lab:5000")),
    ],
)
def test_endpoints(
    registry: str, mirrors: dict[str, str], insecure: tuple[str, ...], expected: Endpoint
) -> None:
    assert resolve_endpoint(registry, mirrors, insecure) == expected


# ---------------------------------------------------------------------------------------------- manifests


def manifest_json(document: dict[str, object]) -> bytes:
    return json.dumps(document).encode()


def test_index_drops_attestations_and_platformless_entries() -> None:
    def entry(c: str, platform: dict[str, str] | None, **annotations: str) -> dict[str, object]:
        found: dict[str, object] = {"mediaType": "x", "digest": "sha256:" + c * 64, "size": 1}
        if platform is not None:
            found["platform"] = platform
        if annotations:
            found["annotations"] = annotations
        return found

    body = manifest_json(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                entry("a", {"os": "linux", "architecture": "amd64"}),
                entry("b", {"os": "linux", "architecture": "arm64", "variant": "v8"}),
                entry("c", {"os": "unknown", "architecture": "unknown"}),
                entry("d", {"os": "linux", "architecture": "amd64"}, **{"vnd.docker.reference.type": "x"}),
                entry("e", None),
            ],
        }
    )

    summary = parse_manifest(body, "application/vnd.oci.image.index.v1+json")

    assert isinstance(summary, ManifestSummary)
    assert summary.is_index
    assert [platform for platform, _ in summary.entries] == [AMD64, ARM64]


def test_image_manifest_points_at_its_config() -> None:
    config = {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": "sha256:" + "f" * 64}
    body = manifest_json({"schemaVersion": 2, "config": config | {"size": 42}, "layers": []})

    parsed = parse_manifest(body, "application/vnd.docker.distribution.manifest.v2+json")

    assert parsed == ImageManifest("sha256:" + "f" * 64, 42)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"schemaVersion": 1, "architecture": "amd64"}', ""),
        (b'{"schemaVersion": 2, "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json"}}', ""),
        (b'{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json"}', ""),
        (b'{"schemaVersion": 2, "manifests": [{"platform": "linux/amd64"}]}', ""),
        (b'{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json"}',
         "application/vnd.oci.image.index.v1+json"),
        (b"\xff\xfe", "application/vnd.oci.image.index.v1+json"),
        (b"[" * 100_000, ""),
    ],
    ids=["schema1", "artifact", "index-without-list", "string-platform", "type-mismatch", "binary", "deep"],
)  # fmt: skip
def test_unreadable_manifests_are_manifest_errors(body: bytes, content_type: str) -> None:
    with pytest.raises(ManifestError):
        parse_manifest(body, content_type)


def test_platform_normalisation_used_for_config_platforms() -> None:
    assert parse_config_platform(b'{"os": "linux", "architecture": "aarch64", "variant": "v8"}') == ARM64
    assert parse_config_platform(b'{"os": "linux", "architecture": "arm"}') == Platform("linux", "arm", "v7")
    with pytest.raises(ManifestError):
        parse_config_platform(b'{"os": "linux"}')

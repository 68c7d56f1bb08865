"""Push small but well-formed images into a registry over the distribution API, without docker.

Each platform gets a real image: a config blob naming its platform, one gzip'd tar layer, and a manifest.
Several platforms (or ``force_index``) get an index on top, shaped like the ones BuildKit pushes,
optionally with its attestation manifests (``unknown/unknown`` + ``vnd.docker.reference.type``).
Everything is deterministic, so pushing the same image twice gives the same digests.

A ``Platform`` built with ``Platform.of`` is normalised (``arm64/v8`` becomes ``arm64``); build it directly,
``Platform("linux", "arm64", "v8")``, to push the variant exactly as some registries list it.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from urllib.parse import urljoin

import requests

from bot.errors import RegistryError
from bot.model import Digest, Platform

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
IN_TOTO = "application/vnd.in-toto+json"

ManifestKind = Literal["oci", "docker"]
_TIMEOUT = 10.0


def push_image(
    registry_url: str,
    repository: str,
    tag: str,
    platforms: Sequence[Platform],
    *,
    index_type: ManifestKind = "oci",
    attestations: bool = False,
    force_index: bool = False,
    token: str | None = None,
) -> Digest:
    """Push one image per platform and, for several platforms (or ``force_index``), an index tagged ``tag``.

    Returns the digest ``tag`` points to: the index's, or the single manifest's.
    """
    if not platforms:
        raise ValueError("push_image needs at least one platform")
    if len(platforms) == 1 and not (force_index or attestations):
        return push_single(registry_url, repository, tag, platforms[0], manifest_type=index_type, token=token)
    with _Pusher(registry_url, repository, token) as pusher:
        return _push_index(pusher, tag, platforms, index_type, attestations)


def _push_index(
    pusher: _Pusher, tag: str, platforms: Sequence[Platform], index_type: ManifestKind, attestations: bool
) -> Digest:
    entries: list[dict[str, Any]] = []
    for platform in platforms:
        manifest_type, body = pusher.image_manifest(platform, index_type)
        digest = pusher.put_manifest(_digest(body), body, manifest_type)
        entries.append(_descriptor(manifest_type, body, digest) | {"platform": _platform_json(platform)})
    if attestations:
        # BuildKit appends one attestation manifest per image, after all the images.
        for image in list(entries):
            body = pusher.attestation_manifest(image["digest"])
            digest = pusher.put_manifest(_digest(body), body, OCI_MANIFEST)
            entries.append(
                _descriptor(OCI_MANIFEST, body, digest)
                | {
                    "platform": {"architecture": "unknown", "os": "unknown"},
                    "annotations": {
                        "vnd.docker.reference.digest": image["digest"],
                        "vnd.docker.reference.type": "attestation-manifest",
                    },
                }
            )
    index_media_type = OCI_INDEX if index_type == "oci" else DOCKER_LIST
    index = {"schemaVersion": 2, "mediaType": index_media_type, "manifests": entries}
    return pusher.put_manifest(tag, _canonical(index), index_media_type)


def push_single(
    registry_url: str,
    repository: str,
    tag: str,
    platform: Platform,
    *,
    manifest_type: ManifestKind = "oci",
    token: str | None = None,
) -> Digest:
    """Push a single-platform image (no index) tagged ``tag``; returns its manifest digest."""
    with _Pusher(registry_url, repository, token) as pusher:
        media_type, body = pusher.image_manifest(platform, manifest_type)
        return pusher.put_manifest(tag, body, media_type)


class _Pusher:
    def __init__(self, registry_url: str, repository: str, token: str | None) -> None:
        self.base = registry_url.rstrip("/")
        if "://" not in self.base:
            self.base = f"http://{self.base}"
        self.repository = repository
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def __enter__(self) -> _Pusher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.session.close()

    def image_manifest(self, platform: Platform, kind: ManifestKind) -> tuple[str, bytes]:
        """Upload a platform's layer and config; return the manifest (media type, bytes) that names them.

        The content depends on the repository and platform only, so two tags pushed alike share digests.
        """
        layer, diff_id = _layer(f"{self.repository} for {platform}\n")
        config: dict[str, Any] = {
            "architecture": platform.architecture,
            "os": platform.os,
            "config": {"Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        }
        if platform.variant:
            config["variant"] = platform.variant
        config_body = _canonical(config)
        self.put_blob(config_body)
        self.put_blob(layer)
        media_type, config_type, layer_type = (
            (OCI_MANIFEST, OCI_CONFIG, OCI_LAYER)
            if kind == "oci"
            else (DOCKER_MANIFEST, DOCKER_CONFIG, DOCKER_LAYER)
        )
        manifest = {
            "schemaVersion": 2,
            "mediaType": media_type,
            "config": _descriptor(config_type, config_body),
            "layers": [_descriptor(layer_type, layer)],
        }
        return media_type, _canonical(manifest)

    def attestation_manifest(self, subject: str) -> bytes:
        """An in-toto SBOM attestation for the image ``subject``, shaped like BuildKit's."""
        statement = _canonical(
            {"_type": "https://in-toto.io/Statement/v0.1", "subject": [{"digest": subject}]}
        )
        config = _canonical(
            {
                "architecture": "unknown",
                "os": "unknown",
                "config": {},
                "rootfs": {"type": "layers", "diff_ids": []},
            }
        )
        self.put_blob(statement)
        self.put_blob(config)
        layer = _descriptor(IN_TOTO, statement) | {
            "annotations": {"in-toto.io/predicate-type": "https://spdx.dev/Document"}
        }
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": _descriptor(OCI_CONFIG, config),
            "layers": [layer],
        }
        return _canonical(manifest)

    def put_blob(self, body: bytes) -> None:
        """Monolithic upload: POST for an upload URL, then one PUT with the whole blob and its digest."""
        digest = _digest(body)
        exists = self.session.head(f"{self.base}/v2/{self.repository}/blobs/{digest}", timeout=_TIMEOUT)
        if exists.status_code == 200:
            return
        started = self.session.post(f"{self.base}/v2/{self.repository}/blobs/uploads/", timeout=_TIMEOUT)
        _expect(started, 202, "start blob upload")
        location = urljoin(f"{self.base}/", started.headers["Location"])
        separator = "&" if "?" in location else "?"
        finished = self.session.put(
            f"{location}{separator}digest={digest}",
            data=body,
            headers={"Content-Type": "application/octet-stream"},
            timeout=_TIMEOUT,
        )
        _expect(finished, 201, f"upload blob {digest}")

    def put_manifest(self, reference: str, body: bytes, media_type: str) -> Digest:
        response = self.session.put(
            f"{self.base}/v2/{self.repository}/manifests/{reference}",
            data=body,
            headers={"Content-Type": media_type},
            timeout=_TIMEOUT,
        )
        _expect(response, 201, f"push manifest {self.repository}:{reference}")
        return _digest(body)


def _layer(text: str) -> tuple[bytes, str]:
    """A gzip'd tar holding one file; returns (blob, diff_id = digest of the uncompressed tar)."""
    data = text.encode()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("etc/seeded-by-multiarch-bot")
        info.size, info.mtime, info.mode = len(data), 0, 0o644
        tar.addfile(info, io.BytesIO(data))
    uncompressed = raw.getvalue()
    return gzip.compress(uncompressed, mtime=0), _digest(uncompressed)


def _platform_json(platform: Platform) -> dict[str, str]:
    json_platform = {"architecture": platform.architecture, "os": platform.os}
    if platform.variant:
        json_platform["variant"] = platform.variant
    return json_platform


def _descriptor(media_type: str, body: bytes, digest: str | None = None) -> dict[str, Any]:
    return {"mediaType": media_type, "digest": digest or _digest(body), "size": len(body)}


def _canonical(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def _digest(body: bytes) -> Digest:
    return Digest("sha256:" + hashlib.sha256(body).hexdigest())


def _expect(response: requests.Response, status: int, what: str) -> None:
    if response.status_code != status:
        raise RegistryError(f"{what}: HTTP {response.status_code} {response.text[:300]}")

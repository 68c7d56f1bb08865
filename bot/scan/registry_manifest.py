"""Reading registry manifests into platforms: pure functions over bytes, no I/O.

Registry JSON is untrusted: every field is type-checked here and anything unexpected is a
``ManifestError``, which the client reports as ``Unverified.PROTOCOL``.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bot.errors import RegistryError
from bot.model import Digest, Platform

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_SCHEMA1 = (
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
    "application/vnd.docker.distribution.manifest.v1+json",
)
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
IMAGE_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
IMAGE_CONFIG_TYPES = frozenset(
    {"application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json"}
)
# Preferred first; schema1 last and discounted: it names no platform we can trust, but asking for it
# gets a readable "unsupported" instead of a 404 from registries that hold nothing else.
MANIFEST_ACCEPT = ", ".join(
    [OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST, *(f"{t};q=0.1" for t in DOCKER_SCHEMA1)]
)
# BuildKit marks the attestation manifests it adds to an index with this annotation (and unknown/unknown).
ATTESTATION_ANNOTATION = "vnd.docker.reference.type"
_DIGEST = re.compile(r"^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$")


class ManifestError(RegistryError):
    """A registry answered something that is not a manifest or config we can read."""


@dataclass(frozen=True)
class ManifestSummary:
    """What a manifest digest tells about platforms. Immutable for a digest, hence cacheable forever.

    For an index: one entry per platform manifest, attestations removed. For a single image manifest:
    one entry, its own platform (read from its config blob) and its own digest.
    """

    is_index: bool
    entries: tuple[tuple[Platform, Digest], ...]


class ManifestCache(Protocol):
    """Digest → summary store. In memory by default; a persistent one can be passed to the client.

    It also remembers which tags were resolved before (``seen_tag``): a tag never seen is fetched with one
    GET (its digest comes in the answer's header), a tag seen before is HEADed first, so an unchanged one
    costs no GET at all.
    """

    def get(self, digest: Digest) -> ManifestSummary | None: ...

    def put(self, digest: Digest, summary: ManifestSummary) -> None: ...

    def seen_tag(self, tag: str) -> bool: ...

    def note_tag(self, tag: str) -> None: ...


class InMemoryManifestCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Digest, ManifestSummary] = {}

    def get(self, digest: Digest) -> ManifestSummary | None:
        with self._lock:
            return self._entries.get(digest)

    def put(self, digest: Digest, summary: ManifestSummary) -> None:
        with self._lock:
            self._entries[digest] = summary

    def seen_tag(self, tag: str) -> bool:
        return False  # within one run each reference is looked up once anyway

    def note_tag(self, tag: str) -> None:
        return None


@dataclass(frozen=True)
class ImageManifest:
    """A single-platform manifest: the platform lives in its config blob."""

    config_digest: Digest
    config_size: int


def parse_digest(text: object) -> Digest:
    if not isinstance(text, str) or not _DIGEST.match(text):
        raise ManifestError(f"not a digest: {str(text)[:80]!r}")
    return Digest(text)


def verify_digest(body: bytes, expected: Digest) -> None:
    """Raise ManifestError unless ``body`` hashes to ``expected`` (sha256 or sha512)."""
    algorithm, _, hex_digest = expected.partition(":")
    if hashlib.new(algorithm, body).hexdigest() != hex_digest:
        raise ManifestError(f"content does not match its digest {expected}")


def sha256_digest(body: bytes) -> Digest:
    return Digest("sha256:" + hashlib.sha256(body).hexdigest())


def parse_manifest(body: bytes, content_type: str) -> ManifestSummary | ImageManifest:
    """An index (→ its platforms) or an image manifest (→ where its config is); else ManifestError."""
    document = _json_object(body, "manifest")
    declared = content_type.split(";")[0].strip().lower()
    media_type = document.get("mediaType") or declared
    if declared in INDEX_TYPES | IMAGE_TYPES and media_type != declared:
        raise ManifestError(f"served as {declared} but declares itself {str(media_type)[:80]!r}")
    if media_type in DOCKER_SCHEMA1 or document.get("schemaVersion") == 1:
        raise ManifestError("schema 1 manifest: deprecated format that names no verifiable platform")
    if document.get("schemaVersion") != 2:
        raise ManifestError(f"unsupported schemaVersion {document.get('schemaVersion')!r}")
    if media_type in INDEX_TYPES or (not media_type and "manifests" in document):
        return ManifestSummary(is_index=True, entries=_index_entries(document))
    if media_type in IMAGE_TYPES or (not media_type and "config" in document):
        config = document.get("config")
        if not isinstance(config, Mapping):
            raise ManifestError("image manifest without a config descriptor")
        config_type = config.get("mediaType")
        if config_type not in IMAGE_CONFIG_TYPES:
            # An OCI artifact (Helm chart, signature, …) stored as a manifest: not a runnable image.
            raise ManifestError(f"manifest of an artifact, not an image (config type {config_type!r})")
        size = config.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ManifestError("config descriptor without a valid size")
        return ImageManifest(parse_digest(config.get("digest")), size)
    raise ManifestError(f"unsupported manifest media type {media_type!r}")


def parse_config_platform(body: bytes) -> Platform:
    """The platform an image config blob declares (``os``, ``architecture``, ``variant``)."""
    document = _json_object(body, "image config")
    os_name, architecture, variant = (document.get(k, "") for k in ("os", "architecture", "variant"))
    if not (isinstance(os_name, str) and os_name and isinstance(architecture, str) and architecture):
        raise ManifestError("image config without os and architecture")
    if not isinstance(variant, str):
        raise ManifestError("image config with a non-string variant")
    return Platform.of(os_name, architecture, variant)


def _index_entries(document: Mapping[str, Any]) -> tuple[tuple[Platform, Digest], ...]:
    manifests = document.get("manifests")
    if not isinstance(manifests, list):
        raise ManifestError("index without a manifests list")
    entries: list[tuple[Platform, Digest]] = []
    for entry in manifests:
        if not isinstance(entry, Mapping):
            raise ManifestError("index entry is not an object")
        platform = entry.get("platform")
        annotations = entry.get("annotations")
        if isinstance(annotations, Mapping) and ATTESTATION_ANNOTATION in annotations:
            continue
        if platform is None:
            continue  # an entry for no platform in particular (artifacts): runs nowhere
        if not isinstance(platform, Mapping):
            raise ManifestError("index entry with a malformed platform")
        os_name, architecture, variant = (platform.get(k, "") for k in ("os", "architecture", "variant"))
        if not (isinstance(os_name, str) and isinstance(architecture, str) and isinstance(variant, str)):
            raise ManifestError("index entry with a malformed platform")
        if (os_name, architecture) == ("unknown", "unknown") or not (os_name and architecture):
            continue
        entries.append((Platform.of(os_name, architecture, variant), parse_digest(entry.get("digest"))))
    return tuple(entries)


def _json_object(body: bytes, what: str) -> Mapping[str, Any]:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise ManifestError(f"{what} is not JSON ({type(exc).__name__})") from None
    if not isinstance(document, dict):
        raise ManifestError(f"{what} is not a JSON object")
    return document

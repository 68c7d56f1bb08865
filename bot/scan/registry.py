"""Ask registries which platforms an image reference has.

With ``registry_transport`` (auth, retries) and ``registry_http`` (bounded requests) this is the only
registry I/O of the scan; only the sandbox's seeding (``bot.sandbox.seed``) also talks to a registry.

Hand-written on ``requests`` + ``tenacity`` rather than on oras-py (we read 0.2.43), which is built to
push and pull artifacts: it GETs manifests without a HEAD first (Docker Hub counts GETs against its pull
limit, not HEADs) and without checking the digest of what it got, retries on a fixed schedule with no
notion of ``Retry-After`` or of a total time budget, keeps one token rather than one per repository
scope until ``expires_in``, does not bound body sizes, and cannot coalesce concurrent look-ups. It does
read docker credential helpers; so do we (``registry_auth``), in a few dozen lines.

A look-up of a tag the cache has seen before is: HEAD the manifest (digest + media type), GET it by digest
unless that digest is already summarised in the ``ManifestCache``. A tag never seen is one GET by tag (the
digest comes in its header): a HEAD first would add a request and save nothing. A single image manifest
then costs a GET of its config blob, for the platform.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import Future
from types import TracebackType
from typing import Generic, TypeVar
from urllib.parse import quote

from bot.model import Digest, ImagePlatforms, ImageRef, LookupFailure, Platform, Unverified
from bot.scan.registry_auth import CredentialStore
from bot.scan.registry_http import Answer, Endpoint, RegistryLookupError, resolve_endpoint
from bot.scan.registry_manifest import (
    MANIFEST_ACCEPT,
    ImageManifest,
    InMemoryManifestCache,
    ManifestCache,
    ManifestError,
    ManifestSummary,
    parse_config_platform,
    parse_digest,
    parse_manifest,
    sha256_digest,
    verify_digest,
)
from bot.scan.registry_transport import RegistryTransport

MANIFEST_LIMIT = 4 * 1024 * 1024  # the distribution registry's own limit for a manifest
CONFIG_LIMIT = 1024 * 1024  # real image configs are a few KiB; history-heavy ones stay far below this
_CONFIG_ACCEPT = (
    "application/vnd.oci.image.config.v1+json, application/vnd.docker.container.image.v1+json, */*"
)

LookupAnswer = ImagePlatforms | LookupFailure
K = TypeVar("K")
V = TypeVar("V")


class RegistryClient:
    """Thread-safe; each distinct reference is looked up once, concurrent look-ups of it share one.

    ``mirrors`` maps a registry (``docker.io``) to the host to ask instead (``127.0.0.1:5000`` or
    ``http://mirror:5000``). Plain http is used for loopback hosts, ``http://`` mirrors and ``insecure``
    hosts; https otherwise. ``total_budget`` bounds the seconds one look-up may take, retries included.
    """

    def __init__(
        self,
        mirrors: Mapping[str, str] | None = None,
        credentials: CredentialStore | None = None,
        timeout: float = 10.0,
        total_budget: float = 30.0,
        insecure: Collection[str] = (),
        manifest_cache: ManifestCache | None = None,
    ) -> None:
        self._mirrors = {k.lower(): v for k, v in (mirrors or {}).items()}
        self._insecure = frozenset(h.lower() for h in insecure)
        self._budget = total_budget
        self._cache: ManifestCache = manifest_cache if manifest_cache is not None else InMemoryManifestCache()
        credentials = credentials if credentials is not None else CredentialStore.from_docker_config()
        self._transport = RegistryTransport(credentials, timeout, self._insecure)
        self._lookups: _Coalescer[ImageRef, LookupAnswer] = _Coalescer(remember=True)
        # In flight only: finished summaries live in the manifest cache. Keyed by repository too, so a
        # look-up that cannot read one repository does not fail another that shares the digest.
        self._summaries: _Coalescer[tuple[str, str, Digest], ManifestSummary] = _Coalescer(remember=False)

    def __repr__(self) -> str:
        return f"RegistryClient(mirrors={self._mirrors}, total_budget={self._budget})"

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._transport.close()

    def lookup(self, ref: ImageRef) -> LookupAnswer:
        """The platforms ``ref`` has, or why we cannot tell. Never raises for anything a registry does."""
        return self._lookups.run(ref, lambda: self._lookup_once(ref))

    def _lookup_once(self, ref: ImageRef) -> LookupAnswer:
        deadline = time.monotonic() + self._budget
        endpoint = resolve_endpoint(ref.registry.lower(), self._mirrors, self._insecure)
        try:
            return self._resolve(ref, endpoint, deadline)
        except RegistryLookupError as exc:
            return LookupFailure(ref, exc.not_found, None if exc.not_found else exc.reason, exc.detail)
        except ManifestError as exc:
            return LookupFailure(ref, False, Unverified.PROTOCOL, f"{ref}: {exc}")

    def _resolve(self, ref: ImageRef, endpoint: Endpoint, deadline: float) -> ImagePlatforms:
        # A pinned digest may be answered from the cache without a single request: its content is fixed.
        tag = f"{endpoint.host}/{ref.repository}:{ref.reference}"
        if ref.digest:
            digest: Digest | None = parse_digest(ref.digest)
        elif self._cache.seen_tag(tag):
            digest = self._head_digest(ref, endpoint, deadline)
        else:
            digest = None
        if digest is None:  # never seen, or the registry named no digest: GET by tag
            digest, summary = self._summarise_into_cache(ref, endpoint, None, deadline)
        else:
            summary = self._summary_of(ref, endpoint, digest, deadline)
        if not ref.digest:
            self._cache.note_tag(tag)
        platforms = tuple(sorted({platform for platform, _ in summary.entries}))
        return ImagePlatforms(ref, digest, platforms, summary.is_index, summary.entries)

    def _summary_of(
        self, ref: ImageRef, endpoint: Endpoint, digest: Digest, deadline: float
    ) -> ManifestSummary:
        """From the cache, else fetched once, even when two tags of one image are looked up at once."""
        cached = self._cache.get(digest)
        if cached is not None:
            return cached

        def fetch() -> ManifestSummary:
            return self._cache.get(digest) or self._summarise_into_cache(ref, endpoint, digest, deadline)[1]

        return self._summaries.run((endpoint.host, ref.repository, digest), fetch)

    def _head_digest(self, ref: ImageRef, endpoint: Endpoint, deadline: float) -> Digest | None:
        """The digest a tag points to, from a HEAD (free on Docker Hub's pull limit); None if not told."""
        answer = self._manifest_request("HEAD", ref, endpoint, ref.reference, deadline)
        if answer is None:
            return None
        digest = answer.headers.get("Docker-Content-Digest")
        return parse_digest(digest) if digest else None

    def _summarise_into_cache(
        self, ref: ImageRef, endpoint: Endpoint, digest: Digest | None, deadline: float
    ) -> tuple[Digest, ManifestSummary]:
        digest, summary = self._summarise(ref, endpoint, digest, deadline)
        self._cache.put(digest, summary)
        return digest, summary

    def _summarise(
        self, ref: ImageRef, endpoint: Endpoint, digest: Digest | None, deadline: float
    ) -> tuple[Digest, ManifestSummary]:
        answer = self._manifest_request("GET", ref, endpoint, digest or ref.reference, deadline)
        if answer is None:
            raise ManifestError(f"cannot GET the manifest of {ref}")
        if digest:
            verify_digest(answer.body, digest)  # we always GET by digest when we know it: it must match
        else:
            # Fetched by tag because the registry named no digest: its own header, else the body's hash.
            served = answer.headers.get("Docker-Content-Digest")
            digest = parse_digest(served) if served else sha256_digest(answer.body)
            verify_digest(answer.body, digest)
        parsed = parse_manifest(answer.body, answer.headers.get("Content-Type", ""))
        if isinstance(parsed, ImageManifest):
            platform = self._config_platform(ref, endpoint, parsed, deadline)
            return digest, ManifestSummary(is_index=False, entries=((platform, digest),))
        return digest, parsed

    def _manifest_request(
        self, method: str, ref: ImageRef, endpoint: Endpoint, reference: str, deadline: float
    ) -> Answer | None:
        path = f"/v2/{quote(ref.repository, safe='/')}/manifests/{quote(reference, safe=':')}"
        answer = self._transport.fetch(
            method,
            endpoint,
            ref.repository,
            path,
            accept=MANIFEST_ACCEPT,
            limit=MANIFEST_LIMIT,
            deadline=deadline,
        )
        if answer.status == 404:
            code = answer.error_code() or "HTTP 404"  # a HEAD's 404 has no body to name the reason
            raise RegistryLookupError(None, f"{ref}: not found at {endpoint.host} ({code})", not_found=True)
        if answer.status in (400, 405) and method == "HEAD":
            return None  # some registries do not implement HEAD: fall back to GET
        if answer.status != 200:
            raise ManifestError(f"HTTP {answer.status} for {method} {path} at {endpoint.host}")
        return answer

    def _config_platform(
        self, ref: ImageRef, endpoint: Endpoint, manifest: ImageManifest, deadline: float
    ) -> Platform:
        if manifest.config_size > CONFIG_LIMIT:
            raise ManifestError(f"config blob of {manifest.config_size} bytes exceeds {CONFIG_LIMIT}")
        path = f"/v2/{quote(ref.repository, safe='/')}/blobs/{manifest.config_digest}"
        answer = self._transport.fetch(
            "GET",
            endpoint,
            ref.repository,
            path,
            accept=_CONFIG_ACCEPT,
            limit=CONFIG_LIMIT,
            deadline=deadline,
        )
        if answer.status != 200:
            # The manifest exists but its config does not: a broken image, not a missing one.
            raise ManifestError(f"config blob {manifest.config_digest}: HTTP {answer.status}")
        verify_digest(answer.body, manifest.config_digest)
        return parse_config_platform(answer.body)


class _Coalescer(Generic[K, V]):
    """Runs ``compute`` once per key at a time; callers arriving meanwhile wait for it and share its outcome.

    With ``remember`` the outcome is kept and every later call gets it too (a cache of futures).
    """

    def __init__(self, *, remember: bool) -> None:
        self._remember = remember
        self._lock = threading.Lock()
        self._pending: dict[K, Future[V]] = {}

    def run(self, key: K, compute: Callable[[], V]) -> V:
        with self._lock:
            pending = self._pending.get(key)
            owner = pending is None
            if pending is None:
                pending = self._pending[key] = Future()
        if owner:
            try:
                pending.set_result(compute())
            except BaseException as exc:  # waiters must see it too rather than wait forever
                pending.set_exception(exc)
                raise
            finally:
                if not self._remember:
                    with self._lock:
                        del self._pending[key]
        return pending.result()

"""The on-disk manifest cache: kept between runs, bounded, atomic, and a miss whenever a file is not sound."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bot.model import AMD64, ARM64, Digest, Platform
from bot.scan.manifest_disk_cache import SCHEMA, DiskManifestCache
from bot.scan.registry import RegistryClient
from bot.scan.registry_auth import CredentialStore
from bot.scan.registry_manifest import ManifestSummary
from tests.support.lookups import found
from tests.support.registry import SeededRegistry

INDEX = Digest("sha256:" + "a" * 64)
AMD = Digest("sha256:" + "b" * 64)
ARM = Digest("sha256:" + "c" * 64)
ARM_V7 = Platform("linux", "arm", "v7")
SUMMARY = ManifestSummary(is_index=True, entries=((AMD64, AMD), (ARM64, ARM), (ARM_V7, ARM)))


def entry_file(directory: Path, digest: Digest) -> Path:
    return directory / "sha256" / f"{digest.split(':', 1)[1]}.json"


def test_a_summary_written_by_one_run_is_read_by_the_next(tmp_path: Path) -> None:
    DiskManifestCache(tmp_path).put(INDEX, SUMMARY)

    assert DiskManifestCache(tmp_path).get(INDEX) == SUMMARY
    assert DiskManifestCache(tmp_path).get(AMD) is None


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{not json",
        b"[]",
        json.dumps({"schema": "other/v1"}).encode(),
        json.dumps({"schema": SCHEMA, "digest": str(AMD), "is_index": True, "entries": []}).encode(),
        json.dumps({"schema": SCHEMA, "digest": str(INDEX), "is_index": "yes", "entries": []}).encode(),
        json.dumps(
            {"schema": SCHEMA, "digest": str(INDEX), "is_index": True, "entries": [["linux", "", "", AMD]]}
        ).encode(),
        json.dumps(
            {"schema": SCHEMA, "digest": str(INDEX), "is_index": True, "entries": [["linux", "amd64", "", 7]]}
        ).encode(),
        json.dumps(
            {"schema": SCHEMA, "digest": str(INDEX), "is_index": False, "entries": [["a", "b", "", "x"]]}
        ).encode(),
        b"[" * 100_000,
    ],
)
def test_a_corrupt_or_foreign_file_is_a_miss_and_is_removed(tmp_path: Path, content: bytes) -> None:
    path = entry_file(tmp_path, INDEX)
    path.parent.mkdir(parents=True)
    path.write_bytes(content)

    cache = DiskManifestCache(tmp_path)
    assert cache.get(INDEX) is None
    assert not path.exists()
    cache.put(INDEX, SUMMARY)
    assert DiskManifestCache(tmp_path).get(INDEX) == SUMMARY


def test_a_file_too_large_is_a_miss(tmp_path: Path) -> None:
    path = entry_file(tmp_path, INDEX)
    path.parent.mkdir(parents=True)
    path.write_bytes(b" " * (1 << 20))

    assert DiskManifestCache(tmp_path).get(INDEX) is None


def test_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    cache = DiskManifestCache(tmp_path)
    cache.put(INDEX, SUMMARY)
    cache.put(INDEX, SUMMARY)

    assert [p.name for p in (tmp_path / "sha256").iterdir()] == [entry_file(tmp_path, INDEX).name]


def test_an_unwritable_directory_costs_nothing_but_the_next_runs_gets(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cache = DiskManifestCache(blocker / "manifests")

    cache.put(INDEX, SUMMARY)

    assert cache.get(INDEX) == SUMMARY  # still answered from memory within the run


def test_the_cache_is_bounded_and_keeps_the_newest(tmp_path: Path) -> None:
    cache = DiskManifestCache(tmp_path, max_entries=10)
    digests = [Digest(f"sha256:{n:064x}") for n in range(25)]
    for age, digest in enumerate(digests):
        cache.put(digest, SUMMARY)
        os.utime(entry_file(tmp_path, digest), (1_000_000 + age, 1_000_000 + age))

    on_disk = list((tmp_path / "sha256").glob("*.json"))
    assert len(on_disk) <= 10
    assert DiskManifestCache(tmp_path).get(digests[-1]) == SUMMARY
    assert DiskManifestCache(tmp_path).get(digests[0]) is None


def test_a_digest_that_is_not_a_digest_is_never_a_path(tmp_path: Path) -> None:
    cache = DiskManifestCache(tmp_path)
    cache.put(Digest("sha256:../../escape"), SUMMARY)

    assert cache.get(Digest("sha256:../../escape")) == SUMMARY  # memory only
    assert not any(tmp_path.rglob("*escape*"))


@pytest.mark.registry
def test_a_rerun_with_the_disk_cache_heads_each_tag_and_gets_nothing(
    registry: SeededRegistry, tmp_path: Path
) -> None:
    ref = registry.ref("oci-index")
    manifests = f"/v2/{ref.repository}/manifests/"

    def lookup_requests() -> list[str]:
        since = len(registry.access_entries())
        with RegistryClient(
            credentials=CredentialStore(), total_budget=5, manifest_cache=DiskManifestCache(tmp_path)
        ) as client:
            answer = found(client.lookup(ref))
        assert answer.platforms == (AMD64, ARM64)
        return [e.method for e in registry.access_entries()[since:] if e.path.startswith(manifests)]

    assert lookup_requests() == ["GET"]  # never seen: one GET by tag, its digest in the answer's header
    assert lookup_requests() == ["HEAD"]  # seen: a HEAD says the digest is unchanged, nothing to GET


def test_a_resolved_tag_is_remembered_across_runs_and_a_corrupt_memory_is_forgotten(tmp_path: Path) -> None:
    tag = "127.0.0.1:5000/library/node:lts"
    assert not DiskManifestCache(tmp_path).seen_tag(tag)
    DiskManifestCache(tmp_path).note_tag(tag)

    assert DiskManifestCache(tmp_path).seen_tag(tag)
    assert not DiskManifestCache(tmp_path).seen_tag(tag + "-other")
    (marker,) = (tmp_path / "tags").iterdir()
    marker.write_text('{"schema": "multiarch-bot/manifest/v1", "tag": "someone/else:1"}')
    assert not DiskManifestCache(tmp_path).seen_tag(tag)  # a HEAD costs less than a wrong belief

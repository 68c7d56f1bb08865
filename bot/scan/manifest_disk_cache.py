"""A ``ManifestCache`` on disk: what a manifest digest says about platforms, kept between runs.

A digest names fixed content, so its summary never goes stale: a rerun HEADs each tag (free on Docker
Hub's pull limit) and GETs nothing whose digest it has seen. Tags resolved before are remembered too
(``tags/<sha256 of the tag>.json``): only those are worth a HEAD first. One small JSON file per digest
(``sha256/<hex>.json``) and per tag, so shards and concurrent runs sharing ``cache_dir`` never rewrite
each other's entries; written to a temporary file and renamed, so a killed run leaves whole files or none. An
unreadable, foreign or corrupt file is a miss (and removed): the cache is an optimisation, the registry is
the truth. Bounded: past ``max_entries`` files the least recently written ones go.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path

from bot.model import Digest, Platform
from bot.scan.registry_manifest import InMemoryManifestCache, ManifestError, ManifestSummary, parse_digest

SCHEMA = "multiarch-bot/manifest/v1"
MAX_ENTRIES = 20_000  # a few hundred bytes each: a few MiB for a fleet of thousands of distinct bases
MAX_FILE_BYTES = 256 * 1024  # an index of every platform there is stays far below this
_FIELD_LIMIT = 128


class DiskManifestCache:
    """Thread-safe; safe to share between processes (each entry is one atomically written file)."""

    def __init__(self, directory: Path, *, max_entries: int = MAX_ENTRIES) -> None:
        self.directory = directory
        self._max_entries = max(1, max_entries)
        self._memory = InMemoryManifestCache()  # read each file at most once per run
        self._lock = threading.Lock()
        self._count: int | None = None  # files on disk, counted lazily on the first write
        self._tags: set[str] = set()  # tags known to have been resolved (a set: adding is atomic enough)

    def get(self, digest: Digest) -> ManifestSummary | None:
        remembered = self._memory.get(digest)
        if remembered is not None:
            return remembered
        path = self._path(digest)
        if path is None:
            return None
        summary = _read(path, digest)
        if summary is not None:
            self._memory.put(digest, summary)
        return summary

    def put(self, digest: Digest, summary: ManifestSummary) -> None:
        self._memory.put(digest, summary)
        path = self._path(digest)
        if path is None:
            return
        try:
            fresh = not path.exists()
            _write_atomically(path, _encode(digest, summary))
        except OSError:
            return  # a read-only or full disk costs the next run some GETs, never this run its answer
        if fresh:
            self._note_written()

    def seen_tag(self, tag: str) -> bool:
        if tag in self._tags:
            return True
        path = self._tag_path(tag)
        try:
            with path.open("rb") as handle:
                document = json.loads(handle.read(MAX_FILE_BYTES + 1))
        except (OSError, ValueError, RecursionError):
            return False
        seen = isinstance(document, dict) and document == {"schema": SCHEMA, "tag": tag}
        if seen:
            self._tags.add(tag)
        return seen

    def note_tag(self, tag: str) -> None:
        if tag in self._tags:
            return
        self._tags.add(tag)
        path = self._tag_path(tag)
        try:
            fresh = not path.exists()
            _write_atomically(path, json.dumps({"schema": SCHEMA, "tag": tag}, sort_keys=True).encode())
        except OSError:
            return
        if fresh:
            self._note_written()

    def _tag_path(self, tag: str) -> Path:
        return self.directory / "tags" / f"{hashlib.sha256(tag.encode()).hexdigest()}.json"

    def _path(self, digest: Digest) -> Path | None:
        try:
            algorithm, hex_digest = parse_digest(digest).split(":", 1)
        except ManifestError:
            return None
        return self.directory / algorithm / f"{hex_digest}.json"

    def _note_written(self) -> None:
        with self._lock:
            if self._count is None:
                self._count = len(self._entries())
            else:
                self._count += 1
            if self._count <= self._max_entries:
                return
            # Down to 90 %, oldest first: one sweep per tenth of the bound, not one per write.
            entries = sorted(self._entries(), key=_mtime)
            excess = len(entries) - int(self._max_entries * 0.9)
            for path in entries[: max(0, excess)]:
                path.unlink(missing_ok=True)
            self._count = len(entries) - max(0, excess)

    def _entries(self) -> list[Path]:
        return [path for path in self.directory.glob("*/*.json") if path.is_file()]


def _encode(digest: Digest, summary: ManifestSummary) -> bytes:
    document = {
        "schema": SCHEMA,
        "digest": digest,
        "is_index": summary.is_index,
        "entries": [
            [platform.os, platform.architecture, platform.variant, entry_digest]
            for platform, entry_digest in summary.entries
        ],
    }
    return json.dumps(document, sort_keys=True).encode()


def _read(path: Path, digest: Digest) -> ManifestSummary | None:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError:
        return None
    summary = _decode(raw, digest) if len(raw) <= MAX_FILE_BYTES else None
    if summary is None:
        path.unlink(missing_ok=True)  # corrupt or foreign: the next put writes a good one
    return summary


def _decode(raw: bytes, digest: Digest) -> ManifestSummary | None:
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        return None
    if document.get("digest") != digest or not isinstance(document.get("is_index"), bool):
        return None
    rows = document.get("entries")
    if not isinstance(rows, list):
        return None
    entries: list[tuple[Platform, Digest]] = []
    for row in rows:
        if not (isinstance(row, list) and len(row) == 4 and all(isinstance(part, str) for part in row)):
            return None
        os_name, architecture, variant, entry_digest = row
        if not (os_name and architecture) or any(len(part) > _FIELD_LIMIT for part in row[:3]):
            return None
        try:
            entries.append((Platform(os_name, architecture, variant), parse_digest(entry_digest)))
        except ManifestError:
            return None
    return ManifestSummary(is_index=document["is_index"], entries=tuple(entries))


def _write_atomically(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".manifest-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
        raise


def _mtime(path: Path) -> float:
    with contextlib.suppress(OSError):
        return path.stat().st_mtime
    return 0.0

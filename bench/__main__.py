"""``python -m bench [--sizes 50,200,1000] [--out DIR] [--no-build | --builds NAMES]``: the fleet benchmark.

Starts its own registry on 127.0.0.1 (so its access log holds only the benchmark's requests), a local
GitHub per fleet size, and, for the build part, the sandbox's Docker engine; stops what it started.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from bench.fleet import push_bases
from bench.measure import BUILD_EXAMPLES, PYTHON, BuildExample, snapshot_bot
from bench.parts import build_part, fleet_part
from bench.report import markdown, write_reports
from bench.shapes import ROOT
from bot.sandbox.base_images import BASE_IMAGES, PYTHON_IMAGES, build_base_images
from bot.sandbox.engine import ensure_engine
from bot.sandbox.registry import LocalRegistry

STATE = ROOT / ".state" / "bench"  # the engine's pid and the base images' build inputs, shared by runs
TEST_LEASES = ROOT / ".state" / "test-sandbox" / "leases"  # tests stop the engine unless a lease is held


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--sizes", default="50,200,1000", help="fleet sizes, comma-separated")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench", help="where the reports go")
    parser.add_argument("--no-build", action="store_true", help="skip the build part (no Docker needed)")
    parser.add_argument(
        "--builds",
        default=",".join(BUILD_EXAMPLES),
        help=f"the build part's examples, comma-separated (default: {','.join(BUILD_EXAMPLES)})",
    )
    parser.add_argument("--no-tools", action="store_true", help="skip the skopeo and docker comparison")
    parser.add_argument(
        "--rerun-max", type=int, default=200, help="full run + rerun up to this N (they build)"
    )
    parser.add_argument("--from-json", type=Path, metavar="FILE", help="only rewrite the reports of FILE")
    args = parser.parse_args(argv)
    args.out = args.out.resolve()  # the bot runs as a child process with its own working directory
    sizes = [int(part) for part in args.sizes.split(",") if part.strip()]
    if args.from_json:
        results = json.loads(args.from_json.read_text())
        results.pop("schema", None)
    else:
        builds = [] if args.no_build else [BUILD_EXAMPLES[name] for name in _names(args.builds, parser)]
        results = run(sizes, args.out, builds=builds, tools=not args.no_tools, rerun_max=args.rerun_max)
    for path in write_reports(results, args.out):
        print(f"wrote {path}", file=sys.stderr)
    sys.stdout.write(markdown(results))
    return 0


def _names(text: str, parser: argparse.ArgumentParser) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in BUILD_EXAMPLES]
    if unknown:
        parser.error(f"--builds: no example named {', '.join(unknown)} (known: {', '.join(BUILD_EXAMPLES)})")
    return names


def run(
    sizes: list[int],
    out: Path,
    *,
    builds: Sequence[BuildExample] = tuple(BUILD_EXAMPLES.values()),
    tools: bool = True,
    rerun_max: int = 200,
) -> dict[str, Any]:
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    work = out / "work"
    snapshot_bot(out / "bot-snapshot")
    results: dict[str, Any] = {"machine": _machine(), "sizes": []}
    # the full runs before a rerun build too: without an engine every build would be an error
    needs_engine = bool(builds) or any(size <= rerun_max for size in sizes)
    with _registry(out / "registry") as registry, _engine_lease():
        engine = ensure_engine(STATE / "engine") if needs_engine else None
        push_bases(registry)
        for size in sizes:
            started = time.perf_counter()
            part = fleet_part(size, registry, work / f"n{size}", compare_tools=tools, rerun=size <= rerun_max)
            results["sizes"].append(part)
            print(f"bench: N={size} done in {time.perf_counter() - started:.0f}s", file=sys.stderr)
        if builds and engine is not None:
            python = PYTHON_IMAGES if any(example.base == PYTHON for example in builds) else ()
            build_base_images(engine, registry.address, STATE, (*BASE_IMAGES, *python))
            results["builds"] = [build_part(registry, work / "build", example) for example in builds]
    return results


@contextlib.contextmanager
def _registry(state: Path) -> Iterator[LocalRegistry]:
    registry = LocalRegistry.start(state)  # its own per output directory: its log counts only this run
    try:
        yield registry
    finally:
        registry.stop()


@contextlib.contextmanager
def _engine_lease() -> Iterator[None]:
    """Hold a lease like a test run's, so a test session ending meanwhile leaves the engine running."""
    lease = TEST_LEASES / str(os.getpid())
    if TEST_LEASES.is_dir():
        lease.touch()
    try:
        yield
    finally:
        lease.unlink(missing_ok=True)


def _machine() -> dict[str, Any]:
    pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cores": os.cpu_count(),
        "memory_gb": round(pages * page_size / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


if __name__ == "__main__":
    sys.exit(main())

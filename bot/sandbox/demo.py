"""`make demo`: the embedded default, end to end on this machine.

Starts Debian's distribution registry on 127.0.0.1 (state in ``.state/registry``), pushes the base
images the bundled examples use — multi-arch ones and an amd64-only one — and scans each example with
``docker.io`` mirrored to that registry. Nothing leaves the machine. Run it again: it reuses the
registry and pushes nothing new. ``--down`` stops the registry.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from bot import cli
from bot.model import AMD64, ARM64, Platform, Readiness
from bot.sandbox.registry import LocalRegistry
from bot.sandbox.seed import push_image

EXAMPLES = Path(__file__).parent / "examples"


@dataclass(frozen=True)
class BaseImage:
    repository: str
    tag: str
    platforms: tuple[Platform, ...]


@dataclass(frozen=True)
class Example:
    directory: str
    expected: Readiness
    story: str


BASE_IMAGES = (
    BaseImage("library/node", "lts-alpine3.10", (AMD64, ARM64)),
    BaseImage("library/debian", "bookworm-slim", (AMD64, ARM64)),
    BaseImage("acme/legacy-runtime", "2.4", (AMD64,)),
)
DEMO_EXAMPLES = (
    Example("azurite", Readiness.NEEDS_SCRIPT_CHANGES, "multi-arch base; npm scripts build amd64 only"),
    Example("amd64-only", Readiness.BLOCKED, "its base image has no arm64"),
    Example("wrong-arch-download", Readiness.NEEDS_SCRIPT_CHANGES, "downloads an amd64 binary"),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox.demo", description=__doc__)
    parser.add_argument("--state", type=Path, default=Path(".state"), help="where the sandbox keeps its data")
    parser.add_argument("--down", action="store_true", help="stop the demo's registry and exit")
    args = parser.parse_args(argv)
    state: Path = args.state

    if args.down:
        running = LocalRegistry.running(state / "registry")
        if running:
            running.stop()
            print(f"stopped the registry on {running.address}")
        return 0

    registry = LocalRegistry.start(state / "registry")
    for base in BASE_IMAGES:
        push_image(
            registry.url, base.repository, base.tag, base.platforms, attestations=len(base.platforms) > 1
        )
    config = state / "demo.yaml"
    config.write_text(f"# written by the demo\nregistry_mirrors:\n  docker.io: {registry.address}\n")
    print(f"registry: http://{registry.address} (docker.io is mirrored there; stop: make demo-down)\n")

    outcomes = []
    for example in DEMO_EXAMPLES:
        print(f"==> {example.directory}: {example.story}\n")
        code = cli.main(["scan", str(EXAMPLES / example.directory), "--config", str(config)])
        outcomes.append((example, code == cli.EXIT_BY_READINESS[example.expected]))
        print()
    print("Summary")
    for example, as_expected in outcomes:
        print(f"  {example.directory:<22} {example.expected:<22} {_mark(as_expected)}")
    return 0 if all(ok for _, ok in outcomes) else 1


def _mark(as_expected: bool) -> str:
    return "as expected" if as_expected else "UNEXPECTED"


if __name__ == "__main__":
    sys.exit(main())

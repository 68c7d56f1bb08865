"""`make demo`: the embedded default, end to end on this machine.

Brings the sandbox up (Debian's distribution registry on 127.0.0.1, dockerd with buildx and QEMU, base
images built from Debian's busybox-static — multi-arch ones and an amd64-only one; state in
``.state/``) and scans each bundled example with ``docker.io`` mirrored to that registry. Nothing leaves
the machine. Run it again: it reuses what is running and builds nothing new. ``--down`` stops it.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from bot import cli
from bot.model import Readiness
from bot.sandbox import control as sandbox_control

EXAMPLES = Path(__file__).parent / "examples"


@dataclass(frozen=True)
class Example:
    directory: str
    expected: Readiness
    story: str


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
        print("stopped: " + (", ".join(sandbox_control.down(state)) or "nothing was running"))
        return 0

    sandbox = sandbox_control.up(state)
    config = state / "demo.yaml"
    config.write_text(f"# written by the demo\nregistry_mirrors:\n  docker.io: {sandbox.registry.address}\n")
    print(f"sandbox: registry http://{sandbox.registry.address} (docker.io is mirrored there), ", end="")
    print(f"buildx {sandbox.engine.buildx_version} for {', '.join(map(str, sandbox.engine.platforms))}")
    print("stop it with: make demo-down\n")

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

"""`make demo`: the embedded default, end to end on this machine.

Brings the sandbox up (Debian's distribution registry on 127.0.0.1, dockerd with buildx and QEMU, base
images built from Debian's busybox-static — multi-arch ones and an amd64-only one; state in
``.state/``) and scans each bundled example with ``docker.io`` mirrored to that registry. Nothing leaves
the machine. Run it again: it reuses what is running and builds nothing new. ``--down`` stops it.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from bot import cli
from bot.model import VerifyStatus
from bot.sandbox import control as sandbox_control

EXAMPLES = Path(__file__).parent / "examples"


@dataclass(frozen=True)
class Example:
    directory: str
    expected: VerifyStatus
    story: str


DEMO_EXAMPLES = (
    Example(
        "azurite", VerifyStatus.PASSED, "multi-arch base; npm scripts build amd64 only; arm64 builds and runs"
    ),
    Example("amd64-only", VerifyStatus.BLOCKED, "its base image has no arm64: nothing to build"),
    Example("wrong-arch-download", VerifyStatus.FAILED, "ships a downloaded amd64 tini in every image"),
)


def materialize_examples(sandbox: sandbox_control.Sandbox, into: Path) -> Path:
    """Fresh copies of the examples, with the release binary the wrong-arch one downloads put in place.

    Nothing is downloaded: Debian's amd64 busybox stands in for the amd64 tini release binary, which is
    exactly what matters to the check: a real amd64 program inside the arm64 image.
    """
    shutil.rmtree(into, ignore_errors=True)
    shutil.copytree(EXAMPLES, into)
    vendored = into / "wrong-arch-download" / "bin" / "tini-amd64"
    vendored.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sandbox.busybox["amd64"], vendored)
    vendored.chmod(0o755)
    return into


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

    examples = materialize_examples(sandbox, state / "examples")
    outcomes = []
    for example in DEMO_EXAMPLES:
        print(f"==> {example.directory}: {example.story}\n")
        code = cli.main(["verify", str(examples / example.directory), "--config", str(config)])
        outcomes.append((example, code == cli.EXIT_BY_VERIFY_STATUS[example.expected]))
        print()
    print("Summary")
    for example, as_expected in outcomes:
        print(f"  {example.directory:<22} {example.expected:<22} {_mark(as_expected)}")
    return 0 if all(ok for _, ok in outcomes) else 1


def _mark(as_expected: bool) -> str:
    return "as expected" if as_expected else "UNEXPECTED"


if __name__ == "__main__":
    sys.exit(main())

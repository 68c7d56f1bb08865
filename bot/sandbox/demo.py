"""`make demo`: the embedded default, end to end on this machine.

Brings the sandbox up (the local GitHub, Debian's distribution registry on 127.0.0.1, dockerd with
buildx and QEMU, base images built from Debian's busybox-static; state in ``.state/``), seeds three
upstream repositories there — one laid out like Azurite before its arm64 change, one whose base image
has no arm64, one that ships a downloaded amd64 binary — and runs ``multiarch-bot run`` on them. It
prints the summary, the pull request the bot opened (title, body, diff) and where to read it in a
browser. Run it again: nothing new is opened. ``--check`` runs twice and fails unless the outcomes are
the expected ones (CI runs that); ``--down`` stops the sandbox.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot import cli
from bot.config import GitHubSettings
from bot.errors import BotError
from bot.forge import github as forge
from bot.sandbox import control as sandbox_control
from bot.sandbox.github import daemon as github_daemon

EXAMPLES = Path(__file__).parent / "examples"


@dataclass(frozen=True)
class Example:
    directory: str
    upstream: str
    expected: str  # the run's verdict the first time
    story: str


DEMO_EXAMPLES = (
    Example(
        "azurite",
        "Azure/Azurite",
        "opened",
        "multi-arch base; npm scripts build amd64 only; arm64 builds and runs",
    ),
    Example("amd64-only", "demo/amd64-only", "blocked", "its base image has no arm64: nothing to build"),
    Example("wrong-arch-download", "demo/wrong-arch-download", "failed", "ships a downloaded amd64 tini"),
)
AGAIN = {"opened": "up-to-date"}  # the second run's verdict where it differs from the first's


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
    # this project keeps the binary out of its own tree; the seeded upstream commits it, as vendoring does
    (into / "wrong-arch-download" / ".gitignore").unlink(missing_ok=True)
    return into


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox.demo", description=__doc__)
    parser.add_argument("--state", type=Path, default=Path(".state"), help="where the sandbox keeps its data")
    parser.add_argument("--down", action="store_true", help="stop the demo's sandbox and exit")
    parser.add_argument("--check", action="store_true", help="run twice and check the outcomes (for CI)")
    args = parser.parse_args(argv)
    state: Path = args.state
    if args.down:
        print("stopped: " + (", ".join(sandbox_control.down(state)) or "nothing was running"))
        return 0

    if args.check:
        _forget_github(state)  # the check is about a first run: no pull request from an earlier demo
    sandbox = sandbox_control.up(state)
    github = sandbox.github
    print(
        f"sandbox: local GitHub {github.daemon.web_url} · registry http://{sandbox.registry.address}", end=""
    )
    print(f" (docker.io mirrored there) · buildx {sandbox.engine.buildx_version}")
    print("stop it with: make demo-down\n")
    _seed(sandbox, state)
    config = _write_config(sandbox, state)
    os.environ[GitHubSettings().token_env] = github.token  # the sandbox's own throwaway token

    first = _run(config, state / "demo-run.json")
    _show_pull_request(sandbox, first)
    if not args.check:
        print("\nRun `make demo` again: the bot finds its pull request up to date and opens nothing.")
        return 0 if first else 1
    print("\n==> the same run again: nothing new may be opened\n")
    second = _run(config, state / "demo-rerun.json")
    return 0 if _as_expected(first, second) else 1


def _forget_github(state: Path) -> None:
    """Stop the local GitHub and drop its data and the demo's cache; ``up`` starts it afresh."""
    running = github_daemon.running(state / "github")
    if running is not None:
        running.stop()
    for directory in (state / "github", state / "demo-cache"):
        shutil.rmtree(directory, ignore_errors=True)


def _seed(sandbox: sandbox_control.Sandbox, state: Path) -> None:
    examples = materialize_examples(sandbox, state / "examples")
    for example in DEMO_EXAMPLES:
        try:
            sandbox_control.seed(examples / example.directory, example.upstream, state=state)
            print(f"seeded {example.upstream}: {example.story}")
        except BotError as error:
            if "already exists" not in str(error):
                raise
            print(f"{example.upstream}: already seeded ({example.story})")
    print()


def _write_config(sandbox: sandbox_control.Sandbox, state: Path) -> Path:
    config = state / "demo.yaml"
    settings = {
        "targets": [example.upstream for example in DEMO_EXAMPLES],
        "registry_mirrors": sandbox.mirrors,
        "github": {"api_url": sandbox.github.daemon.api_url},
        "cache_dir": str(state / "demo-cache"),
    }
    config.write_text("# written by the demo: the sandbox's endpoints\n" + yaml.safe_dump(settings))
    return config


def _run(config: Path, report: Path) -> dict[str, str]:
    """``multiarch-bot run``; the verdict per upstream from its JSON report."""
    code = cli.main(["run", "--config", str(config), "--report-json", str(report)])
    if code not in (0, 1):
        return {}
    outcomes = json.loads(report.read_text())["outcomes"]
    return {str(o["repo"]): str(o["verdict"]) for o in outcomes}


def _show_pull_request(sandbox: sandbox_control.Sandbox, verdicts: dict[str, str]) -> None:
    upstream = DEMO_EXAMPLES[0].upstream
    gh = forge.connect(sandbox.github.token, forge.ForgeSettings(api_url=sandbox.github.daemon.api_url))
    pull = forge.find_pull(forge.upstream(gh, upstream), f"{sandbox_control.BOT_LOGIN}:multiarch/arm64")
    if pull is None:
        print(f"\nno pull request on {upstream} ({verdicts.get(upstream, 'not run')})")
        return
    print(f"\n==> the pull request on {upstream}: #{pull.number} {pull.title}\n")
    print(pull.body)
    print("\n==> its diff\n")
    for changed in pull.get_files():
        print(f"--- a/{changed.filename}\n+++ b/{changed.filename}\n{changed.patch}")
    print(f"\nOpen it in a browser: {pull.html_url}")


def _as_expected(first: dict[str, str], second: dict[str, str]) -> bool:
    print("\nSummary")
    ok = True
    for example in DEMO_EXAMPLES:
        wanted = (example.expected, AGAIN.get(example.expected, example.expected))
        got = (first.get(example.upstream, "missing"), second.get(example.upstream, "missing"))
        ok = ok and got == wanted
        mark = "as expected" if got == wanted else f"UNEXPECTED (wanted {wanted[0]}, then {wanted[1]})"
        print(f"  {example.upstream:<28} {got[0]:<10} then {got[1]:<11} {mark}")
    return ok


if __name__ == "__main__":
    sys.exit(main())

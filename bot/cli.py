"""Command line: each command is the pipeline stopped at a gate. Exit codes are documented in README.md."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bot import __version__
from bot.config import Config, load_config
from bot.errors import BotError, ConfigError
from bot.forge.git import looks_like_git_url, shallow_clone
from bot.model import Platform, Readiness, ScanResult
from bot.report.scan import scan_to_json, scan_to_text
from bot.sandbox import control as sandbox_control
from bot.scan.registry import RegistryClient
from bot.scan.scanner import scan_tree
from bot.scan.tree import RepoTree

EXIT_OK = 0
EXIT_FAILED = 1  # the command could not do its job (unreadable path, clone failed, …)
EXIT_USAGE = 2  # bad arguments or config: nothing was done
EXIT_BY_READINESS = {
    Readiness.READY: 0,
    Readiness.NEEDS_SCRIPT_CHANGES: 10,
    Readiness.BLOCKED: 11,
    Readiness.UNVERIFIED: 12,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.command(args)
    except ConfigError as err:
        print(f"multiarch-bot: {err}", file=sys.stderr)
        return EXIT_USAGE
    except BotError as err:
        print(f"multiarch-bot: {err}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("multiarch-bot: interrupted", file=sys.stderr)
        return 130
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="multiarch-bot", description=__doc__)
    parser.add_argument("--version", action="version", version=f"multiarch-bot {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    scan = commands.add_parser(
        "scan",
        help="report whether a repository's images can be built for arm64, and what stands in the way",
        description="Scan a checkout or a git URL: Dockerfiles, base-image platforms, build paths, hazards.",
    )
    scan.add_argument("target", metavar="PATH|GIT_URL")
    scan.add_argument(
        "--platform",
        action="append",
        metavar="OS/ARCH",
        help="wanted platform, repeatable or comma-separated (default: config, else linux/amd64,linux/arm64)",
    )
    scan.add_argument("--json", action="store_true", help="print the versioned JSON report instead of text")
    scan.add_argument(
        "--config", type=Path, metavar="FILE", help="YAML config (registry_mirrors, platforms, …)"
    )
    scan.set_defaults(command=_scan)

    sandbox = commands.add_parser(
        "sandbox",
        help="start, stop or inspect the local registry, Docker engine (buildx + QEMU) and base images",
        description=sandbox_control.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sandbox.add_argument("action", choices=("up", "down", "status"))
    sandbox.add_argument("--state", type=Path, default=sandbox_control.DEFAULT_STATE, help="state directory")
    sandbox.add_argument("--json", action="store_true", help="print the endpoints as JSON")
    sandbox.set_defaults(command=_sandbox)
    return parser


def _scan(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    wanted = _wanted_platforms(args.platform, config)
    with RegistryClient(  # credentials: the docker CLI's own config.json, read by the client
        mirrors=config.registry_mirrors, timeout=config.registry.timeout, total_budget=config.registry.budget
    ) as registry:
        if looks_like_git_url(args.target):
            with tempfile.TemporaryDirectory(prefix="multiarch-scan-") as workspace:
                checkout = shallow_clone(args.target, Path(workspace) / "repo")
                result = _scan_checkout(checkout, registry, wanted, config, display_root=args.target)
        else:
            result = _scan_checkout(Path(args.target), registry, wanted, config, display_root=args.target)
    sys.stdout.write(scan_to_json(result) if args.json else scan_to_text(result))
    return EXIT_BY_READINESS[result.readiness]


def _sandbox(args: argparse.Namespace) -> int:
    if args.action == "up":
        endpoints = sandbox_control.up(args.state).endpoints()
    elif args.action == "down":
        endpoints = {"stopped": sandbox_control.down(args.state)}
    else:
        endpoints = sandbox_control.status(args.state)
    if args.json:
        print(json.dumps(endpoints, indent=2))
    else:
        for key, value in endpoints.items():
            print(f"{key}: {json.dumps(value) if isinstance(value, dict | list) else value}")
    return EXIT_OK


def _scan_checkout(
    checkout: Path, registry: RegistryClient, wanted: Sequence[Platform], config: Config, display_root: str
) -> ScanResult:
    return scan_tree(
        RepoTree(checkout),
        registry,
        wanted,
        display_root=display_root,
        concurrency=config.registry.concurrency,
    )


def _wanted_platforms(flags: Sequence[str] | None, config: Config) -> tuple[Platform, ...]:
    if not flags:
        return config.platforms
    wanted: list[Platform] = []
    for flag in flags:
        for text in filter(None, (part.strip() for part in flag.split(","))):
            try:
                platform = Platform.parse(text)
            except ValueError as err:
                raise ConfigError(f"--platform: {err}") from None
            if platform not in wanted:
                wanted.append(platform)
    return tuple(wanted)


if __name__ == "__main__":
    sys.exit(main())

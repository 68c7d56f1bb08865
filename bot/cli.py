"""Command line: each command is the pipeline stopped at a gate. Exit codes are documented in README.md."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from bot import __version__, run_command
from bot.build.cgroup import build_limits
from bot.build.leftovers import reap_dead_runs
from bot.build.plan import plan_builds
from bot.build.verify import VerifySettings, verify_checkout
from bot.config import Config, load_config
from bot.errors import BotError, ConfigError
from bot.forge.git import looks_like_git_url, shallow_clone
from bot.model import Platform, Readiness, ScanResult, VerifyStatus
from bot.patch.all import DOCKERFILE_PATCHER, PATCHERS
from bot.patch.propose import propose_patch, write_patch
from bot.report.patch import patch_to_json, patch_to_text
from bot.report.scan import scan_to_json, scan_to_text
from bot.report.verify import verify_to_json, verify_to_text
from bot.sandbox import control as sandbox_control
from bot.scan.manifest_disk_cache import DiskManifestCache
from bot.scan.registry import RegistryClient
from bot.scan.scanner import scan_tree
from bot.scan.tree import RepoTree
from bot.workspace import run_id, run_workspace

EXIT_OK = 0
EXIT_FAILED = 1  # the command could not do its job (unreadable path, clone failed, …)
EXIT_USAGE = 2  # bad arguments or config: nothing was done
EXIT_BY_VERIFY_STATUS = {
    VerifyStatus.PASSED: 0,
    VerifyStatus.BLOCKED: 11,
    VerifyStatus.UNVERIFIED: 12,
    VerifyStatus.FAILED: 13,
}
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
    _add_scan_arguments(scan)
    scan.set_defaults(command=_scan)

    verify = commands.add_parser(
        "verify",
        help="scan, then build every wanted platform for real, smoke-run it and check its binaries",
        description="Scan, plan, build each platform with buildx, smoke-run it, and read its ELF headers.",
    )
    _add_scan_arguments(verify)
    verify.add_argument(
        "--builder", metavar="NAME", help="a buildx builder by name (default: config, else current)"
    )
    verify.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="time limit for one platform's build"
    )
    verify.set_defaults(command=_verify)

    patch = commands.add_parser(
        "patch",
        help="show (or --write) the minimal changes that make each publishing build path multi-arch",
        description="Scan, plan, and propose format-preserving edits to the build scripts and Dockerfiles.",
    )
    _add_scan_arguments(patch)
    patch.add_argument("--write", action="store_true", help="apply the edits to the checkout (PATH only)")
    patch.set_defaults(command=_patch)

    run_command.add_parser(commands)

    sandbox = commands.add_parser(
        "sandbox",
        help="start, stop, inspect or seed the local GitHub, registry, dockerd (buildx, QEMU), base images",
        description=sandbox_control.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_sandbox_options(sandbox, suppress=False)
    actions = sandbox.add_subparsers(dest="action", required=True, metavar="ACTION")
    up = actions.add_parser(
        "up", help="start (or reuse) everything and print the endpoints and the bot's token"
    )
    up.add_argument(
        "--no-engine",
        action="store_true",
        help="only the local GitHub and the registry: no dockerd, no base images (no Docker needed)",
    )
    actions.add_parser("down", help="stop what `up` started from this state directory, and nothing else")
    actions.add_parser("status", help="show what runs")
    seed = actions.add_parser("seed", help="import a local directory as an upstream repository")
    seed.add_argument("directory", type=Path, metavar="DIR")
    seed.add_argument("full_name", metavar="OWNER/NAME")
    seed.add_argument("--replace", action="store_true", help="replace an existing repository of that name")
    for action in actions.choices.values():
        _add_sandbox_options(action, suppress=True)
    sandbox.set_defaults(command=_sandbox)
    return parser


def _add_sandbox_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    # On `sandbox` and on each action, so `sandbox --json up` and `sandbox up --json` both work; an
    # action's suppressed defaults keep it from overwriting what was given before the action.
    state_default: object = argparse.SUPPRESS if suppress else sandbox_control.DEFAULT_STATE
    json_default: object = argparse.SUPPRESS if suppress else False
    parser.add_argument("--state", type=Path, default=state_default, help="state directory")
    parser.add_argument("--json", action="store_true", default=json_default, help="print JSON")


def _add_scan_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="PATH|GIT_URL")
    parser.add_argument(
        "--platform",
        action="append",
        metavar="OS/ARCH",
        help="wanted platform, repeatable or comma-separated (default: config, else linux/amd64,linux/arm64)",
    )
    parser.add_argument("--json", action="store_true", help="print the versioned JSON report instead of text")
    parser.add_argument(
        "--config", type=Path, metavar="FILE", help="YAML config (registry_mirrors, platforms, …)"
    )


def _scan(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    wanted = _wanted_platforms(args.platform, config)
    with _checkout(args.target) as checkout:
        result = _scan_checkout(checkout, config, wanted, display_root=args.target)
    sys.stdout.write(scan_to_json(result) if args.json else scan_to_text(result))
    return EXIT_BY_READINESS[result.readiness]


def _verify(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    wanted = _wanted_platforms(args.platform, config)
    settings = VerifySettings(
        builder=args.builder or config.builder,
        build_timeout=args.timeout or config.timeouts.build,
        smoke_timeout=config.timeouts.smoke,
        cgroup_parent=build_limits(config),
    )
    # a run workspace names the verify images and containers: if this is killed, a later run removes them
    with run_workspace() as workspace, _checkout(args.target) as checkout:
        for line in reap_dead_runs(workspace.parent):
            print(f"multiarch-bot: {line}", file=sys.stderr)
        scan = _scan_checkout(checkout, config, wanted, display_root=args.target)
        plans = plan_builds(scan, wanted)
        result = verify_checkout(
            checkout, scan, plans, settings, config.registry_mirrors, run=run_id(workspace)
        )
    sys.stdout.write(verify_to_json(result) if args.json else verify_to_text(result))
    return EXIT_BY_VERIFY_STATUS[result.status]


def _patch(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    wanted = _wanted_platforms(args.platform, config)
    if args.write and looks_like_git_url(args.target):
        raise ConfigError("--write needs a local checkout, not a git URL")
    with _checkout(args.target) as checkout:
        scan = _scan_checkout(checkout, config, wanted, display_root=args.target)
        patch = propose_patch(
            RepoTree(checkout), scan, plan_builds(scan, wanted), PATCHERS, DOCKERFILE_PATCHER
        )
        if args.write:
            for path in write_patch(checkout, patch):
                print(f"wrote {path}", file=sys.stderr)
    sys.stdout.write(patch_to_json(patch) if args.json else patch_to_text(patch))
    return EXIT_OK


@contextlib.contextmanager
def _checkout(target: str) -> Iterator[Path]:
    """A local directory as it is, or a git URL cloned shallowly into a temporary workspace."""
    if not looks_like_git_url(target):
        yield Path(target)
        return
    with tempfile.TemporaryDirectory(prefix="multiarch-") as workspace:
        yield shallow_clone(target, Path(workspace) / "repo")


def _scan_checkout(
    checkout: Path, config: Config, wanted: Sequence[Platform], display_root: str
) -> ScanResult:
    manifests = DiskManifestCache(Path(config.cache_dir) / "manifests") if config.cache_dir else None
    with RegistryClient(  # credentials: the docker CLI's own config.json, read by the client
        mirrors=config.registry_mirrors,
        timeout=config.registry.timeout,
        total_budget=config.registry.budget,
        manifest_cache=manifests,
    ) as registry:
        return scan_tree(
            RepoTree(checkout),
            registry,
            wanted,
            display_root=display_root,
            concurrency=config.registry.concurrency,
        )


def _sandbox(args: argparse.Namespace) -> int:
    endpoints: dict[str, object]
    if args.action == "up" and args.no_engine:
        endpoints = sandbox_control.up_services(args.state).endpoints()
    elif args.action == "up":
        endpoints = sandbox_control.up(args.state).endpoints()
    elif args.action == "down":
        endpoints = {"stopped": sandbox_control.down(args.state)}
    elif args.action == "seed":
        endpoints = sandbox_control.seed(
            args.directory, args.full_name, replace=args.replace, state=args.state
        )
    else:
        endpoints = sandbox_control.status(args.state)
    if args.json:
        print(json.dumps(endpoints, indent=2))
    else:
        _print_fields(endpoints)
    return EXIT_OK


def _print_fields(fields: Mapping[str, object], indent: str = "") -> None:
    """``key: value`` lines; a mapping of plain values gets its own indented lines, anything else JSON."""
    for key, value in fields.items():
        if isinstance(value, dict) and value and not any(isinstance(v, dict | list) for v in value.values()):
            print(f"{indent}{key}:")
            _print_fields(value, indent + "  ")
        else:
            print(f"{indent}{key}: {json.dumps(value) if isinstance(value, dict | list) else value}")


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

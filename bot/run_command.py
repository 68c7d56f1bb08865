"""`multiarch-bot run`: the fleet run's imperative shell — config, token, targets, the run, the reports.

Exit codes: 0 every repository ended in a verdict; 1 some repositories could not be processed (their
reasons are in the report); 2 bad arguments or config (nothing was done); 130 stopped by Ctrl-C (the
repositories already running finished; a rerun resumes).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from bot import __version__
from bot.build.janitor import Janitor
from bot.build.leftovers import reap_dead_runs
from bot.cache import RepoCache, settings_fingerprint
from bot.config import Config, load_config
from bot.errors import ConfigError, ForgeError
from bot.forge import github as forge
from bot.forge import issues as forge_issues
from bot.forge.owners import list_owned
from bot.forge.publish import Forge
from bot.forge.records import Identity
from bot.outcome import Gate, RepoOutcome, RepoTarget, Verdict
from bot.pipeline import RunContext, run_repo
from bot.report.dashboard import DASHBOARD_MARKER, DASHBOARD_TITLE, dashboard_body
from bot.report.progress import Progress
from bot.report.run import RunFacts, run_markdown, run_to_json, summary_table
from bot.report.run_html import run_html
from bot.run import PrBudget, Shard, run_fleet, select
from bot.sandbox.engine import DOCKER_HOST
from bot.scan.manifest_disk_cache import DiskManifestCache
from bot.scan.registry import RegistryClient
from bot.sources import collect_targets, report_outcome
from bot.workspace import run_workspace

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser(
        "run",
        help="process the configured repositories (and requests filed as issues): scan, patch, build, PR",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("--config", type=Path, metavar="FILE", help="the YAML config (see config/example.yaml)")
    run.add_argument(
        "--dry-run",
        choices=[gate.value for gate in Gate],
        help="stop every repository at this stage: nothing is forked, pushed or opened",
    )
    run.add_argument("--only", action="append", default=[], metavar="OWNER/REPO", help="just these (repeat)")
    run.add_argument("--shard", metavar="I/N", help="this machine's share of the targets, e.g. 2/4")
    run.add_argument("--report-json", type=Path, metavar="FILE", help="write the JSON report here")
    run.add_argument("--report-html", type=Path, metavar="FILE", help="write the HTML report here")
    run.set_defaults(command=command)


@dataclass(frozen=True)
class _Run:
    config: Config
    gate: Gate | None
    shard: Shard | None
    session: Forge


def command(args: argparse.Namespace) -> int:
    run = _prepare(args)
    config, started = run.config, datetime.now(UTC)
    cache = RepoCache(Path(config.cache_dir)) if config.cache_dir else None
    collected = collect_targets(
        config,
        run.session.gh,
        respond=run.gate is None,  # a dry run writes nothing anywhere, comments included
        keep=lambda found: select(found, args.only, run.shard),
    )
    for problem in collected.problems:
        print(f"multiarch-bot: source: {problem}", file=sys.stderr)
    targets = list(collected.targets)
    budget = PrBudget(config.limits.prs_per_run, config.limits.prs_per_hour, cache)
    progress = Progress(len(targets), sys.stderr)
    stop = threading.Event()
    with (
        run_workspace() as workspace,  # locked until the janitor below is done with its removals
        Janitor(DOCKER_HOST) as janitor,
        _first_interrupt_stops(stop),
        _registry(config) as registry,
    ):
        for line in reap_dead_runs(workspace.parent):  # what killed runs left in the Docker engine
            print(f"multiarch-bot: {line}", file=sys.stderr)
        context = RunContext(
            config,
            run.session,
            registry,
            workspace,
            run.gate,
            may_open=budget.take,
            on_stage=progress.stage,
            cache=cache,
            fingerprint=settings_fingerprint(__version__, config.model_dump_json(), run.gate),
            listed=list_owned(run.session.gh, (target.full_name for target in targets)),
            janitor=janitor,
        )

        def process(target: RepoTarget) -> RepoOutcome:
            progress.started(target.full_name)
            outcome = run_repo(target, context)
            if target.request is not None and run.gate is None:
                problem = report_outcome(run.session.gh, target, outcome)
                if problem:
                    print(f"multiarch-bot: {target.request}: {problem}", file=sys.stderr)
            return outcome

        with progress:
            outcomes = run_fleet(
                targets, process, concurrency=config.concurrency, on_done=progress.finished, stop=stop
            )
    stopped = "stopped by Ctrl-C" if stop.is_set() else None
    facts = RunFacts(started, datetime.now(UTC), run.gate, args.shard, len(targets), stopped)
    _write_reports(args, outcomes, facts)
    if run.gate is None and config.sources.dashboard and config.sources.requests_repo:
        _update_dashboard(run.session, config.sources.requests_repo, outcomes)
    if stop.is_set():
        return EXIT_INTERRUPTED
    return EXIT_SOME_FAILED if any(o.verdict is Verdict.ERROR for o in outcomes) else EXIT_OK


def _prepare(args: argparse.Namespace) -> _Run:
    config = load_config(args.config)
    gate = Gate(args.dry_run) if args.dry_run else None
    try:
        shard = Shard.parse(args.shard) if args.shard else None
    except ValueError as error:
        raise ConfigError(f"--shard: {error}") from None
    token = os.environ.get(config.github.token_env, "").strip()
    if not token:
        raise ConfigError(
            f"set {config.github.token_env} to a GitHub token (a personal access token; see README: "
            "Running as a GitHub Action); the config never holds it"
        )
    settings = config.github
    behaviour = forge.ForgeSettings(
        api_url=settings.api_url,
        reserve=config.limits.api_reserve,
        fork_ready_timeout=settings.fork_ready_timeout,
        seconds_between_requests=settings.seconds_between_requests or None,
        seconds_between_writes=settings.seconds_between_writes or None,
    )
    gh = forge.connect(token, behaviour)
    identity = forge.whoami(gh) if gate is None else Identity("", None)
    return _Run(config, gate, shard, Forge(gh, token, identity, config.github, behaviour))


def _write_reports(args: argparse.Namespace, outcomes: list[RepoOutcome], facts: RunFacts) -> None:
    sys.stdout.write(summary_table(outcomes, facts))
    if args.report_json:
        args.report_json.write_text(run_to_json(outcomes, facts), encoding="utf-8")
    if args.report_html:
        args.report_html.write_text(run_html(outcomes, facts), encoding="utf-8")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(run_markdown(outcomes, facts))


def _update_dashboard(session: Forge, full_name: str, outcomes: list[RepoOutcome]) -> None:
    """Renovate-style: one issue with every target's state; other shards' states are kept from its body."""
    try:
        url = forge_issues.upsert_issue(
            forge.upstream(session.gh, full_name),
            DASHBOARD_TITLE,
            lambda previous: dashboard_body(outcomes, previous),
            DASHBOARD_MARKER,
            creator=session.identity.login or None,
        )
    except ForgeError as error:
        print(f"multiarch-bot: dashboard: {error}", file=sys.stderr)
        return
    print(f"dashboard: {url}", file=sys.stderr)


@contextmanager
def _registry(config: Config) -> Iterator[RegistryClient]:
    # Manifests by digest, kept between runs: a rerun HEADs each tag and GETs only what changed.
    manifests = DiskManifestCache(Path(config.cache_dir) / "manifests") if config.cache_dir else None
    with RegistryClient(
        mirrors=config.registry_mirrors,
        timeout=config.registry.timeout,
        total_budget=config.registry.budget,
        manifest_cache=manifests,
    ) as registry:
        yield registry


@contextmanager
def _first_interrupt_stops(stop: threading.Event) -> Iterator[None]:
    """The first Ctrl-C lets the running repositories finish; a second one interrupts for real."""

    def first(_signum: int, _frame: FrameType | None) -> None:
        print(
            "\nmultiarch-bot: stopping after the running repositories (Ctrl-C again to abort)",
            file=sys.stderr,
        )
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, first)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)

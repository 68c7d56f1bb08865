"""One repository through the stages: clone → scan → patch → commit → build the patched tree → forge.

``run_repo`` stops at the gate it is given (``scan``, ``patch``, ``build``; None goes all the way) and
turns every expected error into the repository's outcome: one repository's failure never stops the
others. The build runs on the commit the pull request will carry, so its evidence is about the PR's own
content.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from github.Repository import Repository

from bot.build.cgroup import build_limits
from bot.build.janitor import Janitor
from bot.build.plan import plan_builds
from bot.build.verify import VerifySettings, verify_checkout
from bot.cache import RepoCache, settings_fingerprint
from bot.config import Config
from bot.errors import BotError
from bot.forge import github as forge
from bot.forge.git import shallow_clone
from bot.forge.pr_body import render_pr, target_platforms
from bot.forge.publish import Forge, commit_change, publish
from bot.forge.records import PrState
from bot.model import (
    BuildPlan,
    ImagePlatforms,
    Platform,
    Readiness,
    ScanResult,
    VerifyResult,
    VerifyStatus,
)
from bot.outcome import Gate, RepoOutcome, RepoTarget, Verdict
from bot.patch.all import DOCKERFILE_PATCHER, PATCHERS
from bot.patch.propose import propose_patch
from bot.recall import recall, remember
from bot.scan.image_ref import parse_image_ref
from bot.scan.registry import RegistryClient
from bot.scan.scanner import scan_tree
from bot.scan.tree import RepoTree
from bot.workspace import run_id


@dataclass(frozen=True)
class RunContext:
    config: Config
    forge: Forge
    registry: RegistryClient
    workspace: Path  # repositories are cloned below it, and deleted as they finish
    gate: Gate | None = None
    may_open: Callable[[], bool] = field(default=lambda: True)  # the run's pull-request cap
    on_stage: Callable[[str, str], None] = field(default=lambda repo, stage: None)  # live progress
    cache: RepoCache | None = None  # what earlier runs learnt: unchanged repositories are not cloned
    fingerprint: str = ""  # of the run's settings (version, config): part of what "unchanged" means
    listed: Mapping[str, Repository] = field(default_factory=dict)  # from owners' listings, by lower name
    janitor: Janitor | None = None  # removes verify containers and images off the critical path


# UNVERIFIED: the machinery failed (no builder, a registry's 429 while fetching a base), not the change.
# An error is not remembered, so the next run tries again; a failure would be, until upstream moves.
_BY_VERIFY_STATUS = {VerifyStatus.BLOCKED: Verdict.BLOCKED, VerifyStatus.UNVERIFIED: Verdict.ERROR}
_BY_PR_STATE = {
    PrState.OPENED: Verdict.OPENED,
    PrState.UPDATED: Verdict.UPDATED,
    PrState.UP_TO_DATE: Verdict.UP_TO_DATE,
    PrState.DECLINED: Verdict.DECLINED,
    PrState.MERGED: Verdict.MERGED,
}


def run_repo(target: RepoTarget, ctx: RunContext) -> RepoOutcome:
    started = time.monotonic()
    workdir: Path | None = None
    try:
        ctx.on_stage(target.full_name, "clone")
        listed = ctx.listed.get(target.full_name.lower())
        upstream_repo = forge.upstream(ctx.forge.gh, target.full_name, listed)
        key = (target.full_name, str(upstream_repo.pushed_at), settings_fingerprint(ctx.fingerprint, target))
        cache = ctx.cache if ctx.gate is None else None  # dry runs neither read nor write it
        outcome = recall(cache, ctx.registry, *key) if cache is not None else None
        if outcome is None:
            workdir = Path(tempfile.mkdtemp(prefix="repo-", dir=ctx.workspace))
            outcome = _stages(target, ctx, workdir, upstream_repo)
            if cache is not None:
                remember(cache, *key, outcome)
    except BotError as error:
        outcome = RepoOutcome(target.full_name, Verdict.ERROR, (str(error),))
    except OSError as error:  # the workspace: disk full, permissions; the next repository may still fit
        where = f" ({error.filename})" if error.filename else ""
        reason = f"the workspace failed: {error.strerror or error}{where}"
        outcome = RepoOutcome(target.full_name, Verdict.ERROR, (reason,))
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
    return replace(outcome, seconds=round(time.monotonic() - started, 2))


def _stages(target: RepoTarget, ctx: RunContext, workdir: Path, upstream_repo: Repository) -> RepoOutcome:
    name, wanted = target.full_name, target.platforms or ctx.config.platforms
    published = _already_multi_arch(target, ctx, wanted)
    if published:
        return RepoOutcome(name, Verdict.NOTHING_TO_DO, (published,))
    branch = upstream_repo.default_branch
    checkout = shallow_clone(upstream_repo.clone_url, workdir / "checkout", branch=branch)
    ctx.on_stage(name, "scan")
    scan = _scan(checkout, ctx, wanted, name)
    if ctx.gate is Gate.SCAN:
        return RepoOutcome(name, Verdict.SCANNED, scan.reasons, scan=scan)
    if scan.readiness is Readiness.BLOCKED:
        return RepoOutcome(name, Verdict.BLOCKED, scan.reasons, scan=scan)
    ctx.on_stage(name, "patch")
    patch = propose_patch(
        RepoTree(checkout), scan, _plans(scan, target, wanted), PATCHERS, DOCKERFILE_PATCHER
    )
    if not patch.edits:
        why = scan.reasons or ("no build script or Dockerfile needed a change",)
        return RepoOutcome(name, Verdict.NOTHING_TO_DO, tuple(why), scan=scan, patch=patch)
    if ctx.gate is Gate.PATCH:
        return RepoOutcome(name, Verdict.PATCHED, scan=scan, patch=patch)

    ctx.on_stage(name, "build")
    session = _session_for(target, ctx.forge)
    commit_change(checkout, patch, session.settings, target_platforms(scan, None))
    patched = _scan(checkout, ctx, wanted, name)  # the PR's own tree; base look-ups are cached
    result = _verify(checkout, patched, _plans(patched, target, wanted), ctx, target)
    if result.status is not VerifyStatus.PASSED:
        verdict = _BY_VERIFY_STATUS.get(result.status, Verdict.FAILED)
        return RepoOutcome(name, verdict, result.reasons, scan=patched, patch=patch, verification=result)
    if ctx.gate is Gate.BUILD:
        return RepoOutcome(name, Verdict.VERIFIED, scan=patched, patch=patch, verification=result)

    ctx.on_stage(name, "forge")
    text = render_pr(patched, patch, result, related=[str(issue) for issue in target.related])
    published_pr = publish(session, upstream_repo, checkout, patch, text, may_open=ctx.may_open)
    verdict = Verdict.HELD if published_pr.pr is None else _BY_PR_STATE[published_pr.pr.state]
    if verdict is Verdict.UP_TO_DATE and published_pr.pushed:
        verdict = Verdict.UPDATED  # same text, new commit: the branch was refreshed
    return RepoOutcome(
        name,
        verdict,
        published_pr.notes,
        published_pr.pr,
        published_pr.pushed,
        scan=patched,
        patch=patch,
        verification=result,
    )


def _plans(scan: ScanResult, target: RepoTarget, wanted: Sequence[Platform]) -> list[BuildPlan]:
    """The build plans, without the Dockerfiles the target skips, with its build args on top."""
    plans = [plan for plan in plan_builds(scan, wanted) if plan.dockerfile not in target.skip_dockerfiles]
    if not target.build_args:
        return plans
    extra = dict(target.build_args)
    return [replace(plan, build_args=tuple((dict(plan.build_args) | extra).items())) for plan in plans]


def _already_multi_arch(target: RepoTarget, ctx: RunContext, wanted: Sequence[Platform]) -> str | None:
    """When the config names the published image and it has every wanted platform, there is nothing to do."""
    if target.image is None:
        return None
    answer = ctx.registry.lookup(parse_image_ref(target.image))
    if isinstance(answer, ImagePlatforms) and all(p in answer.platforms for p in wanted):
        return f"{target.image} is already published for {', '.join(str(p) for p in wanted)}"
    return None


def _session_for(target: RepoTarget, session: Forge) -> Forge:
    settings = session.settings
    overrides = {
        key: value for key, value in (("draft", target.draft), ("labels", target.labels)) if value is not None
    }
    return replace(session, settings=settings.model_copy(update=overrides)) if overrides else session


def _scan(checkout: Path, ctx: RunContext, wanted: Sequence[Platform], name: str) -> ScanResult:
    return scan_tree(
        RepoTree(checkout),
        ctx.registry,
        wanted,
        display_root=name,
        concurrency=ctx.config.registry.concurrency,
    )


def _verify(
    checkout: Path, scan: ScanResult, plans: Sequence[BuildPlan], ctx: RunContext, target: RepoTarget
) -> VerifyResult:
    config = ctx.config
    settings = VerifySettings(
        builder=config.builder,
        build_timeout=config.timeouts.build,
        smoke_timeout=config.timeouts.smoke,
        smoke_command=target.smoke_command,
        cgroup_parent=build_limits(config),
    )
    return verify_checkout(
        checkout,
        scan,
        plans,
        settings,
        config.registry_mirrors,
        run=run_id(ctx.workspace),
        janitor=ctx.janitor,
    )

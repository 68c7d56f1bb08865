"""One checkout through the scan: files → Dockerfiles and build paths → registry verdicts → hazards.

This is the scan's imperative shell: it reads files (through RepoTree) and asks the registry; every
decision is made by the pure modules it calls.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import PurePosixPath

from bot.errors import InputError
from bot.model import (
    AMD64,
    BaseKind,
    BaseUse,
    BuildPath,
    DockerfileInfo,
    Hazard,
    ImagePlatforms,
    ImageRef,
    LookupFailure,
    Platform,
    Problem,
    ScanResult,
    Stage,
)
from bot.scan.discover import build_file_kind, candidate_files, discover, is_dockerfile_name
from bot.scan.dockerfile import parse_dockerfile, stages_needed
from bot.scan.hazards import find_hazards, single_arch_digest_hazard
from bot.scan.readiness import judge_readiness
from bot.scan.registry import RegistryClient
from bot.scan.tree import RepoTree
from bot.scan.verdict import judge

_SUBMODULE_PATH = re.compile(r"^\s*path\s*=\s*(?P<path>.+?)\s*$")


@dataclass(frozen=True)
class _Parsed:
    """A Dockerfile parsed with one set of build args, and the targets built from it."""

    info: DockerfileInfo
    context: str
    targets: tuple[str | None, ...]


def scan_tree(
    tree: RepoTree,
    registry: RegistryClient,
    wanted: Sequence[Platform],
    *,
    display_root: str | None = None,
    build_platform: Platform = AMD64,
    concurrency: int = 8,
) -> ScanResult:
    problems: list[Problem] = []
    paths = tree.files()
    if tree.truncated:
        problems.append(Problem(".", f"more than {len(paths)} files; the rest were not scanned"))

    # files that are build files only if their content says so (a shebang, an Azure task) are not
    # worth a problem line when they turn out to be binaries or huge: they are simply not build files
    build_files = _read_all(
        tree, candidate_files(paths), problems, quiet=lambda p: build_file_kind(p) is None
    )
    discovery = discover(build_files, paths)
    problems.extend(discovery.problems)
    problems.extend(_submodules(tree, paths))
    build_paths = discovery.build_paths

    dockerfile_paths = sorted(
        {p for p in paths if is_dockerfile_name(p)}
        | {p for p in discovery.named_dockerfiles if tree.exists(p)}
        | {bp.dockerfile for bp in build_paths if bp.dockerfile and tree.exists(bp.dockerfile)}
    )
    dockerfile_texts = _read_all(tree, dockerfile_paths, problems)
    parsed = [
        p
        for path, text in dockerfile_texts.items()
        for p in _parse_variants(path, text, build_paths, problems)
    ]

    uses = _base_uses(parsed, wanted, build_platform)
    answers = _look_up({use.ref for use in uses}, registry, concurrency)
    verdicts = tuple(judge(answers[use.ref], use.needs) for use in uses)

    hazards = _hazards(parsed, tree, uses, answers)
    dockerfiles = _first_variant_of_each(parsed)
    readiness, reasons = judge_readiness(
        dockerfiles=dockerfiles,
        build_paths=build_paths,
        uses=uses,
        verdicts=verdicts,
        hazards=hazards,
        wanted=wanted,
    )
    return ScanResult(
        root=display_root or str(tree.root),
        wanted=tuple(wanted),
        dockerfiles=dockerfiles,
        build_paths=build_paths,
        base_uses=tuple(uses),
        verdicts=verdicts,
        hazards=tuple(hazards),
        problems=tuple(problems),
        readiness=readiness,
        reasons=tuple(reasons),
    )


def _read_all(
    tree: RepoTree,
    paths: Iterable[str],
    problems: list[Problem],
    quiet: Callable[[str], bool] = lambda _: False,
) -> dict[str, str]:
    texts: dict[str, str] = {}
    for path in paths:
        try:
            texts[path] = tree.read_text(path)
        except InputError as err:
            if not quiet(path):
                problems.append(Problem(path, str(err).removeprefix(f"{path}: ")))
    return texts


def _submodules(tree: RepoTree, paths: Sequence[str]) -> list[Problem]:
    """Each submodule ``.gitmodules`` declares: the clone never fetches one (its URL may be ``ext::`` or
    ``file://``, a transport that runs a command or reads this machine), so nothing in it was scanned."""
    if ".gitmodules" not in paths:
        return []
    try:
        text = tree.read_text(".gitmodules")
    except InputError as err:
        return [Problem(".gitmodules", str(err).removeprefix(".gitmodules: "))]
    declared = (_SUBMODULE_PATH.match(line) for line in text.splitlines())
    return [
        Problem(found["path"].strip('"'), "a git submodule: not fetched, so nothing in it was scanned")
        for found in declared
        if found
    ]


def _parse_variants(
    path: str, text: str, build_paths: Sequence[BuildPath], problems: list[Problem]
) -> list[_Parsed]:
    """Parse once per distinct set of build args that the build paths pass to this Dockerfile."""
    users = [bp for bp in build_paths if bp.dockerfile == path]
    by_args: dict[tuple[tuple[str, str], ...], list[BuildPath]] = {}
    for bp in users:
        args = tuple(sorted((k, v) for k, v in bp.build_args if v is not None and "$" not in v))
        by_args.setdefault(args, []).append(bp)
    if not by_args:
        by_args[()] = []
    default_context = PurePosixPath(path).parent.as_posix()
    variants = []
    for args, group in by_args.items():
        info = parse_dockerfile(text, path, dict(args))
        targets = tuple(dict.fromkeys(bp.target for bp in group)) or (None,)
        context = next((bp.context for bp in group if bp.context), default_context)
        variants.append(_Parsed(info, context, _known_targets(info, targets, problems)))
    if not variants[0].info.stages:
        problems.append(Problem(path, "no FROM instruction: not a Dockerfile that builds an image"))
    return variants


def _known_targets(
    info: DockerfileInfo, targets: tuple[str | None, ...], problems: list[Problem]
) -> tuple[str | None, ...]:
    known = tuple(t for t in targets if t is None or info.stage_named(t) is not None)
    for target in set(targets) - set(known):
        problems.append(Problem(info.path, f"build target {target!r} is not a stage of this Dockerfile"))
    return known or (None,)


def _first_variant_of_each(parsed: Sequence[_Parsed]) -> tuple[DockerfileInfo, ...]:
    seen: dict[str, DockerfileInfo] = {}
    for p in parsed:
        seen.setdefault(p.info.path, p.info)
    return tuple(seen.values())


def _needed_stages(p: _Parsed) -> list[Stage]:
    if not p.info.stages:
        return []
    indices: set[int] = set()
    for target in p.targets:
        indices.update(stages_needed(p.info, target))
    return [p.info.stages[i] for i in sorted(indices)]


def _base_uses(
    parsed: Sequence[_Parsed], wanted: Sequence[Platform], build_platform: Platform
) -> list[BaseUse]:
    uses: dict[tuple[str, int, ImageRef], BaseUse] = {}
    for p in parsed:
        for stage in _needed_stages(p):
            needs = _platforms_needed(stage, wanted, build_platform)
            refs = ([stage.base_ref] if stage.base_kind is BaseKind.IMAGE and stage.base_ref else []) + list(
                stage.copy_from
            )
            for ref in refs:
                uses.setdefault(
                    (p.info.path, stage.index, ref), BaseUse(p.info.path, stage.index, stage.line, ref, needs)
                )
    return list(uses.values())


def _platforms_needed(
    stage: Stage, wanted: Sequence[Platform], build_platform: Platform
) -> tuple[Platform, ...]:
    """The platforms a stage's base must offer: what it is built for, per its --platform flag."""
    flag = stage.platform_flag
    if flag is None or "TARGETPLATFORM" in flag:
        return tuple(wanted)
    if "BUILDPLATFORM" in flag:
        return (build_platform,)
    try:
        return (Platform.parse(flag),)
    except ValueError:
        return tuple(wanted)  # another variable: assume it follows the target


def _look_up(
    refs: Iterable[ImageRef], registry: RegistryClient, concurrency: int
) -> Mapping[ImageRef, ImagePlatforms | LookupFailure]:
    ordered = sorted(refs, key=str)
    if not ordered:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(ordered)))) as pool:
        return dict(zip(ordered, pool.map(registry.lookup, ordered), strict=True))


def _hazards(
    parsed: Sequence[_Parsed],
    tree: RepoTree,
    uses: Sequence[BaseUse],
    answers: Mapping[ImageRef, ImagePlatforms | LookupFailure],
) -> list[Hazard]:
    def read_context_file(rel: str) -> str | None:
        try:
            return tree.read_text(rel)
        except InputError:
            return None

    found: dict[tuple[str, str, int], Hazard] = {}
    for p in parsed:
        if not p.info.stages:
            continue
        finals = {
            stage.index
            for target in p.targets
            if (stage := (p.info.stage_named(target) if target else p.info.stages[-1])) is not None
        }
        for hazard in find_hazards(p.info, read_context_file, p.context, finals):
            found.setdefault((hazard.code, hazard.path, hazard.line), hazard)
    for use in uses:
        answer = answers[use.ref]
        if use.ref.digest and isinstance(answer, ImagePlatforms) and not answer.is_index and answer.platforms:
            hazard = single_arch_digest_hazard(use.dockerfile, use.line, str(use.ref), answer.platforms[0])
            found.setdefault((hazard.code, hazard.path, hazard.line), hazard)
    return sorted(found.values(), key=lambda h: (h.path, h.line, h.code))

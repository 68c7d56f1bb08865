"""GitHub Actions: make each publishing ``docker/build-push-action`` step build every wanted platform.

The step gets a ``platforms:`` input (or its single-platform one is widened), and its job gets
``docker/setup-qemu-action`` and ``docker/setup-buildx-action`` before it when it lacks them: emulation
for the foreign architecture, and a builder that can produce a multi-platform image. ``run:`` steps with
``docker build`` lines are rewritten by the command engine (``bot.patch.actions_runs``) and get the same
set-up actions; ``docker/bake-action`` steps are the bake patcher's (the platforms live in the bake file).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import yaml

from bot.errors import InputError
from bot.model import BuildKind, BuildPath, LeftAlone, Platform
from bot.patch.actions_pins import PinStyle, pin_style
from bot.patch.actions_runs import has_builder, held_lines, patch_runs, run_items
from bot.patch.base import Edited, PatchContext, PatchResult, Refused, Unchanged
from bot.patch.ci_scripts import Edits as ScriptEdits
from bot.patch.commands import OUT_OF_REACH
from bot.patch.shell import verify as verify_scripts
from bot.patch.spans import Span, Unpatchable, splice
from bot.patch.yaml_spans import (
    YamlText,
    compose_yaml,
    entry,
    insert_entry,
    insert_items,
    lookup,
    node_at,
    replace_scalar,
    resolve,
    scalar,
)
from bot.scan.paths import github_actions as finder

_BUILD_PUSH = re.compile(r"^docker/build-push-action@", re.IGNORECASE)
_NATIVE = {"amd64": ("amd64", "386"), "arm64": ("arm64",)}  # what a runner runs without emulation
_QEMU, _BUILDX = "docker/setup-qemu-action", "docker/setup-buildx-action"


@dataclass
class _Edits:
    spans: list[Span] = field(default_factory=list)
    rationale: list[str] = field(default_factory=list)
    left_alone: list[LeftAlone] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    widened: set[str] = field(default_factory=set)  # BuildPath names of the steps now multi-platform


def patch(path: str, text: str, context: PatchContext) -> PatchResult:
    builds: dict[int, list[BuildPath]] = {}
    runs: set[int] = set()  # lines of `docker build` commands in run: steps
    for build in context.build_paths:
        if build.kind is not BuildKind.GITHUB_ACTIONS or build.via is not None:
            continue
        if _BUILD_PUSH.match(build.command.removeprefix("uses: ")):
            builds.setdefault(build.line, []).append(build)
        elif not build.command.startswith("uses:"):
            runs.add(build.line)
    if not (builds or runs) or len(context.platforms) < 2:
        return Unchanged()
    try:
        doc = compose_yaml(text, path)
        edits = _Edits()
        pins = pin_style(doc)
        held: set[int] = set()
        for job_name, job, steps in _jobs(doc):
            first = _patch_job(doc, path, context, builds, job_name, steps, edits)
            items = run_items(doc, steps) if runs else []
            held |= held_lines(items)
            script_edits = ScriptEdits()
            built = patch_runs(doc, path, context, items, runs, script_edits) if items else None
            edits.spans += script_edits.spans
            edits.rationale += script_edits.rationale
            edits.left_alone += script_edits.left_alone
            if built is not None and (first is None or built < first[0]):
                first = (built, steps.value[built], _label(steps.value[built], built, job_name))
            if first is not None:
                builder = built is not None and has_builder(items, first[0] + 1)
                _add_setup_steps(doc, context, job, steps, first, pins, edits, builder)
        edits.left_alone += [LeftAlone(path, line, OUT_OF_REACH) for line in sorted(runs - held)]
        edits.left_alone.sort(key=lambda item: item.line)
        if not edits.spans:
            return Unchanged(tuple(edits.left_alone), tuple(edits.questions))
        after = splice(text, edits.spans)
        _verify(path, after, context, edits.widened)
        if runs:
            platforms = [str(p) for p in context.platforms]
            verify_scripts(path, text, after, finder.find, platforms, context.platform_list)
    except Unpatchable as error:
        return Refused(str(error))
    return Edited(after, tuple(edits.rationale), tuple(edits.left_alone), tuple(edits.questions))


def _jobs(doc: YamlText) -> Iterator[tuple[str, yaml.Node, yaml.SequenceNode]]:
    """Each job and its written steps list; a composite action's ``runs`` counts as one job."""
    jobs = resolve(node_at(doc.root, "jobs"))
    pairs = (
        [(f"job '{scalar(key)}'", job) for key, job in jobs.value]
        if isinstance(jobs, yaml.MappingNode)
        else []
    )
    runs = node_at(doc.root, "runs")
    if jobs is None and runs is not None:
        pairs = [("the composite action", runs)]
    for name, job in pairs:
        steps = resolve(lookup(job, "steps"))
        if isinstance(steps, yaml.SequenceNode):
            yield name, job, steps


def _patch_job(
    doc: YamlText,
    path: str,
    context: PatchContext,
    builds: dict[int, list[BuildPath]],
    job_name: str,
    steps: yaml.SequenceNode,
    edits: _Edits,
) -> tuple[int, yaml.Node, str] | None:
    """Widen each publishing build step of one job; return the first one widened (index, step, label)."""
    first: tuple[int, yaml.Node, str] | None = None  # the first step this job makes multi-platform
    for index, written in enumerate(steps.value):
        step = resolve(written)
        # the scan's line is where the step starts; through an alias, where its anchor does
        found = (
            builds.get(written.start_mark.line + 1) or builds.get(step.start_mark.line + 1) if step else None
        )
        if step is None or not found:
            continue
        label = _label(step, index, job_name)
        line = written.start_mark.line + 1
        if not any(build.pushes for build in found):
            reason = f"build-push-action step {label} does not push: a test build, left single-platform"
            edits.left_alone.append(LeftAlone(path, line, reason))
        elif _covered(found, context):
            continue  # already multi-platform, through its own input or a matrix of platforms
        elif _widen(doc, path, context, step, label, line, edits):
            edits.widened.update(build.name for build in found)
            if first is None:
                first = (index, step, label)
    return first


def _label(step: yaml.Node, index: int, job_name: str) -> str:
    """How the rationale names a step: "step <label>" reads well."""
    title = scalar(lookup(step, "name")) or scalar(lookup(step, "id"))
    return f"'{title}'" if title else f"{index + 1} of {job_name}"


def _covered(found: list[BuildPath], context: PatchContext) -> bool:
    """Whether the scan's paths for one step (one per matrix combination) build every wanted platform."""
    have = set()
    for build in found:
        for written in build.platforms:
            try:
                have.add(Platform.parse(written))
            except ValueError:
                continue
    return set(context.platforms) <= have


def _widen(
    doc: YamlText, path: str, context: PatchContext, step: yaml.Node, label: str, line: int, edits: _Edits
) -> bool:
    """Give the step every wanted platform; False when it has them already or cannot be given them."""
    inputs = entry(step, "with")
    if inputs is None:
        raise Unpatchable(f"build-push-action step {label} (line {line}) has no `with:` for platforms")
    current = entry(inputs[1], "platforms")
    if current is None:
        after = next((key for key in ("file", "context") if entry(inputs[1], key)), None)
        edits.spans.append(insert_entry(doc, inputs[1], [f"platforms: {context.platform_list}"], after))
    else:
        value = scalar(current[1])
        if value is None or "${{" in value:
            reason = f"build-push-action step {label} takes its platforms from an expression"
            edits.left_alone.append(LeftAlone(path, line, reason + "; left as written"))
            return False
        written = [item.strip() for item in re.split(r"[\n,]", value) if item.strip()]
        try:
            have = [Platform.parse(item) for item in written]
        except ValueError:
            reason = f"build-push-action step {label} lists {value!r}, which are not all platforms"
            edits.left_alone.append(LeftAlone(path, line, reason + "; left as written"))
            return False
        if all(platform in have for platform in context.platforms):
            return False
        if all(platform in context.platforms for platform in have):
            written = [str(platform) for platform in context.platforms]
        else:  # keep what the project builds already, and add what is missing
            written += [str(platform) for platform in context.platforms if platform not in have]
        block = resolve(current[1])
        joiner = "\n" if isinstance(block, yaml.ScalarNode) and block.style == "|" else ","
        joiner = ", " if joiner == "," and ", " in value else joiner
        edits.spans.append(replace_scalar(doc, current[1], joiner.join(written)))
        edits.rationale.append(f"build-push-action step {label} now builds {','.join(written)}")
        return True
    edits.rationale.append(f"build-push-action step {label} now builds {context.platform_list}")
    return True


def _add_setup_steps(
    doc: YamlText,
    context: PatchContext,
    job: yaml.Node,
    steps: yaml.SequenceNode,
    first: tuple[int, yaml.Node, str],
    pins: PinStyle,
    edits: _Edits,
    has_own_builder: bool = False,
) -> None:
    index, build, label = first
    earlier = {
        (scalar(lookup(step, "uses")) or "").lower().partition("@")[0]: step for step in steps.value[:index]
    }
    runner = _runner_architecture(job)
    emulated = [str(p) for p in context.platforms if p.architecture not in _NATIVE[runner]]
    wanted = {_QEMU: bool(emulated), _BUILDX: not has_own_builder}
    missing = [action for action in (_QEMU, _BUILDX) if action not in earlier and wanted[action]]
    if _BUILDX in earlier and scalar(node_at(earlier[_BUILDX], "with", "driver")) == "docker":
        edits.questions.append(
            f"The setup-buildx-action step before step {label} uses `driver: docker`, which cannot build "
            "a multi-platform image; may it use the default docker-container driver?"
        )
    if not missing:
        return
    order = [scalar(key) for key, _ in build.value] if isinstance(build, yaml.MappingNode) else []
    named = "name" in order
    action_key = next((key for key in ("uses", "run") if key in order), None)
    name_first = named and action_key is not None and order.index("name") < order.index(action_key)
    items = []
    for action in missing:
        uses = "uses: " + pins.uses(action)
        title = "name: " + ("Set up QEMU" if action == _QEMU else "Set up Docker Buildx")
        items.append([title, uses] if name_first else [uses, title] if named else [uses])
        why = (
            f"{' and '.join(emulated)} {'is' if len(emulated) == 1 else 'are'} emulated on {runner} runners"
            if action == _QEMU
            else "the runner's default builder cannot build a multi-platform image"
        )
        edits.rationale.append(f"added {action} before step {label}: {why}")
        if pins.note(action):
            edits.rationale.append(pins.note(action))
    edits.spans.append(insert_items(doc, steps, items, before=index))


def _runner_architecture(job: yaml.Node) -> str:
    """arm64 for GitHub's arm runners (``ubuntu-24.04-arm``) and self-hosted labels naming arm; else amd64."""
    runs_on = resolve(lookup(job, "runs-on"))
    labels = [scalar(item) for item in runs_on.value] if isinstance(runs_on, yaml.SequenceNode) else []
    labels.append(scalar(runs_on))
    return (
        "arm64" if any(label and re.search(r"(?<![a-z])arm", label.lower()) for label in labels) else "amd64"
    )


def _verify(path: str, after: str, context: PatchContext, widened: set[str]) -> None:
    """Read the result the way the scan will: it must parse, and every widened step must cover."""
    compose_yaml(after, path)
    try:
        found = finder.find(path, after)
    except InputError as error:
        raise Unpatchable(f"the patched file would not scan: {error}") from None
    for build in found:
        if build.name in widened and build.pushes and not _covered([build], context):
            raise Unpatchable(f"the patched step '{build.name}' would still not build every platform")

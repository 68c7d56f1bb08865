"""The verification part of a PR body: per image, per platform, build / smoke run / binary check.

Pure. A maintainer should see at a glance that every platform built, started and holds only its own
binaries, with durations; a failure brings its error and log tail, collapsed, at the end of the section.
"""

from __future__ import annotations

import html

from bot.forge.markdown import code, fenced, inline, table
from bot.model import BinaryCheck, BuildResult, Outcome, PlatformResult, SmokeRun, VerifyResult

_MARK = {
    Outcome.PASSED: "✅ passed",
    Outcome.FAILED: "❌ failed",
    Outcome.TIMEOUT: "⏱️ timed out",
    Outcome.SKIPPED: "⏭️ skipped",
    Outcome.UNVERIFIED: "⚠️ unverified",
}
_MAX_BUILDS = 20
_LOG_LINES = 30


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def verification_blocks(verify: VerifyResult) -> list[str]:
    lines = ["", "### Verification of this branch", ""]
    lines.append(
        f"Overall: **{verify.status}**. Each platform was built with `docker buildx build --platform`, "
        "started without network, and the architecture of every program on its `PATH` (and of the "
        "entrypoint) was read from its ELF header, which catches an amd64 binary inside an arm64 image "
        "even where emulation would run it."
    )
    if verify.reasons:
        lines.append("")
        lines += [f"- {inline(reason)}" for reason in verify.reasons]
    logs: list[str] = []
    for build in verify.builds[:_MAX_BUILDS]:
        lines += _build(build)
        logs += [block for result in build.platforms for block in _log(build, result)]
    if len(verify.builds) > _MAX_BUILDS:
        lines += ["", f"… and {len(verify.builds) - _MAX_BUILDS} more images."]
    if not verify.builds:
        lines += ["", "No image was built."]
    return lines + logs


def _build(build: BuildResult) -> list[str]:
    plan = build.plan
    what = code(plan.dockerfile) + f" (context {code(plan.context)}"
    what += f", target {code(plan.target)})" if plan.target else ")"
    lines = ["", f"**{what}**: {_MARK[build.outcome]}", ""]
    rows = [
        [
            str(result.build.platform),
            _step(result.build.outcome, result.build.seconds),
            _smoke(result.smoke),
            _binaries(result.binaries),
        ]
        for result in build.platforms
    ]
    if rows:
        lines += table(["Platform", "Build", "Smoke run", "Binaries"], rows)
    commands = {smoke.command for r in build.platforms if (smoke := r.smoke) is not None and smoke.command}
    if commands:
        lines += ["", "Smoke run: " + ", ".join(code(" ".join(c)) for c in sorted(commands))]
    for platform, why in plan.cut:
        lines += ["", f"{platform} left out: {inline(why)}"]
    return lines


def _step(outcome: Outcome, seconds: float) -> str:
    return f"{_MARK[outcome]} in {duration(seconds)}"


def _smoke(smoke: SmokeRun | None) -> str:
    if smoke is None:
        return "–"
    exit_code = f", exit {smoke.exit_code}" if smoke.exit_code is not None else ""
    return _step(smoke.outcome, smoke.seconds) + exit_code


def _binaries(check: BinaryCheck | None) -> str:
    if check is None:
        return "–"
    files = f"{check.checked} ELF file" + ("" if check.checked == 1 else "s")
    wrong = "; ".join(f"{code(w.path, 80, in_table=True)} is {inline(w.found, 40)}" for w in check.wrong[:3])
    if len(check.wrong) > 3:
        wrong += f"; +{len(check.wrong) - 3} more"
    return f"{_MARK[check.outcome]}, {files}" + (f": {wrong}" if wrong else "")


def _log(build: BuildResult, result: PlatformResult) -> list[str]:
    """A collapsed block with what went wrong on one platform; nothing when all passed."""
    parts: list[tuple[str, str]] = []
    if result.build.outcome is not Outcome.PASSED:
        parts.append(("build", "\n".join([result.build.error, *result.build.log_tail])))
    if result.smoke is not None and result.smoke.outcome is not Outcome.PASSED:
        parts.append(("smoke run", "\n".join([result.smoke.error, *result.smoke.output_tail])))
    if result.binaries is not None and result.binaries.error:
        parts.append(("binary check", result.binaries.error))
    parts = [(step, text) for step, text in parts if text.strip()]
    if not parts:
        return []
    # our own HTML with nothing from the repository in it: Markdown is not rendered inside <summary>,
    # so a path there could not be escaped the Markdown way
    summary = html.escape(f"{result.build.platform}: what went wrong", quote=True)
    block = [f"<details><summary>{summary}</summary>", ""]
    for step, text in parts:
        block += [f"{step}:", "", fenced(text, max_lines=_LOG_LINES), ""]
    return ["", "\n".join([*block, "</details>"])]

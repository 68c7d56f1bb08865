"""Verification results → terminal text and the versioned JSON document (schema in README.md)."""

from __future__ import annotations

import json
from typing import Any

from bot.model import BinaryCheck, BuildResult, JoinedHazard, PlatformResult, SmokeRun, VerifyResult
from bot.report.scan import scan_document, scan_to_text

VERIFY_SCHEMA = "multiarch-bot/verify/v1"


def verify_to_json(result: VerifyResult) -> str:
    return json.dumps(verify_document(result), indent=2) + "\n"


def verify_document(result: VerifyResult) -> dict[str, Any]:
    return {
        "schema": VERIFY_SCHEMA,
        "status": str(result.status),
        "reasons": list(result.reasons),
        "builds": [_build(build) for build in result.builds],
        "findings": [_finding(finding) for finding in result.findings],
        "scan": scan_document(result.scan),
    }


def _build(build: BuildResult) -> dict[str, Any]:
    plan = build.plan
    return {
        "dockerfile": plan.dockerfile,
        "context": plan.context,
        "target": plan.target,
        "build_args": dict(plan.build_args),
        "platforms": [str(p) for p in plan.platforms],
        "cut": [{"platform": str(p), "reason": why} for p, why in plan.cut],
        "sources": list(plan.sources),
        "outcome": str(build.outcome),
        "results": [_platform(result) for result in build.platforms],
    }


def _platform(result: PlatformResult) -> dict[str, Any]:
    build = result.build
    return {
        "platform": str(build.platform),
        "outcome": str(result.outcome),
        "build": {
            "outcome": str(build.outcome),
            "seconds": round(build.seconds, 2),
            "image": build.image,
            "error": build.error or None,
            "log_tail": list(build.log_tail),
        },
        "smoke": _smoke(result.smoke),
        "binaries": _binaries(result.binaries),
    }


def _smoke(smoke: SmokeRun | None) -> dict[str, Any] | None:
    if smoke is None:
        return None
    return {
        "outcome": str(smoke.outcome),
        "command": list(smoke.command),
        "exit_code": smoke.exit_code,
        "seconds": round(smoke.seconds, 2),
        "output_tail": list(smoke.output_tail),
        "error": smoke.error or None,
    }


def _binaries(check: BinaryCheck | None) -> dict[str, Any] | None:
    if check is None:
        return None
    return {
        "outcome": str(check.outcome),
        "checked": check.checked,
        "wrong": [{"path": w.path, "found": w.found, "expected": w.expected} for w in check.wrong],
        "error": check.error or None,
    }


def _finding(finding: JoinedHazard) -> dict[str, Any]:
    hazard = finding.hazard
    return {
        "hazard": None
        if hazard is None
        else {
            "code": hazard.code,
            "path": hazard.path,
            "line": hazard.line,
            "severity": str(hazard.severity),
        },
        "confirmed": [
            {"platform": str(c.platform), "path": c.binary.path, "found": c.binary.found}
            for c in finding.confirmed
        ],
    }


# ---------------------------------------------------------------------------------------------- terminal


def verify_to_text(result: VerifyResult) -> str:
    out = [scan_to_text(result.scan).rstrip("\n"), ""]
    for build in result.builds:
        plan = build.plan
        target = f" --target {plan.target}" if plan.target else ""
        out.append(f"Build {plan.dockerfile} (context {plan.context}{target}): {build.outcome}")
        for platform, why in plan.cut:
            out.append(f"  {platform}: left out ({why})")
        for platform_result in build.platforms:
            out += _platform_lines(platform_result)
        out.append("")
    confirmed = [f for f in result.findings if f.confirmed]
    if confirmed:
        out.append("Confirmed by the build")
        for finding in confirmed:
            where = (
                f"{finding.hazard.path}:{finding.hazard.line} {finding.hazard.code}"
                if finding.hazard
                else "found"
            )
            for c in finding.confirmed:
                out.append(f"  {where}: {c.binary.path} is {c.binary.found} in the {c.platform} image")
        out.append("")
    out.append(f"Verification: {result.status}")
    out += [f"  - {reason}" for reason in result.reasons]
    return "\n".join(out) + "\n"


def _platform_lines(result: PlatformResult) -> list[str]:
    build = result.build
    lines = [f"  {build.platform}: build {build.outcome} in {build.seconds:.1f}s" + _error(build.error)]
    if result.smoke is not None:
        smoke = result.smoke
        command = " ".join(smoke.command)
        lines.append(
            f"    smoke run `{command}`: {smoke.outcome} (exit {smoke.exit_code}, {smoke.seconds:.1f}s)"
            + _error(smoke.error)
        )
        lines += [f"      | {line}" for line in smoke.output_tail[-3:]]
    if result.binaries is not None:
        check = result.binaries
        files = f"{check.checked} ELF file" + ("" if check.checked == 1 else "s")
        lines.append(f"    binaries: {check.outcome} ({files} read)" + _error(check.error))
        lines += [f"      {w.path} is {w.found}, expected {w.expected}" for w in check.wrong]
    if build.log_tail and build.outcome.value != "passed":
        lines += [f"      | {line}" for line in build.log_tail[-5:]]
    return lines


def _error(text: str) -> str:
    return f": {text}" if text else ""

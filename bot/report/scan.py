"""Scan results → a readable terminal report and a versioned JSON document (schema in README.md)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.model import BaseKind, BaseUse, ImageVerdict, Readiness, ScanResult
from bot.scan.image_ref import familiar

SCAN_SCHEMA = "multiarch-bot/scan/v1"


def scan_to_json(result: ScanResult) -> str:
    return json.dumps(scan_document(result), indent=2, sort_keys=False) + "\n"


def scan_document(result: ScanResult) -> dict[str, Any]:
    verdict_of = {
        (u.dockerfile, u.stage, u.ref): v for u, v in zip(result.base_uses, result.verdicts, strict=True)
    }
    return {
        "schema": SCAN_SCHEMA,
        "root": result.root,
        "wanted": [str(p) for p in result.wanted],
        "readiness": str(result.readiness),
        "reasons": list(result.reasons),
        "dockerfiles": [
            {
                "path": info.path,
                "stages": [
                    {
                        "index": s.index,
                        "name": s.name,
                        "line": s.line,
                        "base": s.base_written,
                        "base_kind": str(s.base_kind),
                        "image": str(s.base_ref) if s.base_ref else None,
                        "base_stage": s.base_stage,
                        "platform_flag": s.platform_flag,
                        "unresolved_reason": s.unresolved_reason,
                        "verdict": _verdict(verdict_of.get((info.path, s.index, s.base_ref)))
                        if s.base_ref
                        else None,
                    }
                    for s in info.stages
                ],
                "warnings": list(info.warnings),
            }
            for info in result.dockerfiles
        ],
        "images": [_use(u, v) for u, v in zip(result.base_uses, result.verdicts, strict=True)],
        "build_paths": [
            {
                "kind": str(bp.kind),
                "path": bp.path,
                "line": bp.line,
                "name": bp.name,
                "command": bp.command,
                "dockerfile": bp.dockerfile,
                "context": bp.context,
                "tags": list(bp.tags),
                "build_args": dict(bp.build_args),
                "platforms": list(bp.platforms),
                "target": bp.target,
                "pushes": bp.pushes,
                "via": bp.via,
            }
            for bp in result.build_paths
        ],
        "hazards": [
            {
                "code": h.code,
                "severity": str(h.severity),
                "path": h.path,
                "line": h.line,
                "message": h.message,
                "fix": h.fix,
                "excerpt": h.excerpt,
            }
            for h in result.hazards
        ],
        "problems": [{"path": p.path, "message": p.message} for p in result.problems],
    }


def _use(use: BaseUse, verdict: ImageVerdict) -> dict[str, Any]:
    return {
        "dockerfile": use.dockerfile,
        "stage": use.stage,
        "line": use.line,
        "image": str(use.ref),
        "needs": [str(p) for p in use.needs],
        "verdict": _verdict(verdict),
    }


def _verdict(verdict: ImageVerdict | None) -> dict[str, Any] | None:
    if verdict is None:
        return None
    return {
        "status": str(verdict.status),
        "label": verdict.label,
        "platforms": [str(p) for p in verdict.platforms],
        "missing": [str(p) for p in verdict.missing],
        "digest": verdict.digest,
        "reason": str(verdict.reason) if verdict.reason else None,
        "detail": verdict.detail or None,
    }


# ---------------------------------------------------------------------------------------------- terminal


def scan_to_text(result: ScanResult) -> str:
    out: list[str] = [f"Scan of {result.root} for {', '.join(map(str, result.wanted))}", ""]
    verdict_of = {
        (u.dockerfile, u.stage, u.ref): v for u, v in zip(result.base_uses, result.verdicts, strict=True)
    }
    for info in result.dockerfiles:
        out.append(info.path)
        rows = []
        for s in info.stages:
            verdict = verdict_of.get((info.path, s.index, s.base_ref)) if s.base_ref else None
            rows.append(
                [
                    s.name or f"#{s.index}",
                    familiar(s.base_ref) if s.base_ref else s.base_written,
                    _stage_verdict(s.base_kind, verdict, s.unresolved_reason),
                    ", ".join(map(str, verdict.platforms)) if verdict else "",
                ]
            )
        out += _table(["stage", "base", "verdict", "platforms"], rows) if rows else ["  (no FROM)"]
        out += [f"  note: {w}" for w in info.warnings]
        out.append("")
    if not result.dockerfiles:
        out += ["No Dockerfiles found.", ""]

    out.append("Build paths")
    rows = [
        [
            f"{bp.path}:{bp.line}",
            str(bp.kind),
            bp.name or "-",
            bp.dockerfile or "?",
            ", ".join(bp.platforms) or "native",
        ]
        + ([f"via {bp.via}"] if bp.via else [""])
        for bp in result.build_paths
    ]
    out += (
        _table(["where", "kind", "name", "dockerfile", "platforms", ""], rows) if rows else ["  none found"]
    )
    out.append("")

    if result.hazards:
        out.append("Hazards")
        for h in result.hazards:
            out += [f"  {h.path}:{h.line}  {h.code} ({h.severity}): {h.message}", f"      fix: {h.fix}"]
        out.append("")
    if result.problems:
        out.append("Not scanned")
        out += [f"  {p.path}: {p.message}" for p in result.problems]
        out.append("")

    out.append(f"Verdict: {_readiness(result)}")
    out += [f"  - {reason}" for reason in result.reasons]
    return "\n".join(out) + "\n"


def _readiness(result: ScanResult) -> str:
    if result.readiness in (Readiness.BLOCKED, Readiness.UNVERIFIED) and result.reasons:
        return f"{result.readiness} ({result.reasons[0]})"
    return str(result.readiness)


def _stage_verdict(kind: BaseKind, verdict: ImageVerdict | None, reason: str | None) -> str:
    if verdict:
        return verdict.label
    if kind is BaseKind.STAGE:
        return "earlier stage"
    if kind is BaseKind.UNRESOLVED:
        return f"unresolved: {reason}"
    if kind is BaseKind.SCRATCH:
        return "scratch (any platform)"
    return "not needed by the build"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    fmt = "  " + "  ".join(f"{{:<{w}}}" for w in widths)
    return [fmt.format(*header).rstrip()] + [fmt.format(*row).rstrip() for row in rows]

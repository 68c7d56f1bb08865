"""A proposed patch → a unified diff with its rationale, and the versioned JSON document."""

from __future__ import annotations

import difflib
import json
from typing import Any

from bot.model import FileEdit, Patch

PATCH_SCHEMA = "multiarch-bot/patch/v1"


def unified_diff(edit: FileEdit) -> str:
    lines = difflib.unified_diff(
        edit.before.splitlines(keepends=True),
        edit.after.splitlines(keepends=True),
        fromfile=f"a/{edit.path}",
        tofile=f"b/{edit.path}",
    )
    # a line without its final newline gets git's marker, so the diff says what really changes
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


def patch_to_text(patch: Patch) -> str:
    out: list[str] = []
    for edit in patch.edits:
        out += [f"# {edit.path}"] + [f"#   - {why}" for why in edit.rationale]
        out.append(unified_diff(edit).rstrip("\n"))
        out.append("")
    if not patch.edits:
        out += ["No change proposed.", ""]
    if patch.left_alone:
        out.append("Left alone")
        out += [f"  {item.path}:{item.line}: {item.reason}" for item in patch.left_alone]
        out.append("")
    if patch.refused:
        out.append("Not patched")
        out += [f"  {item.path}: {item.reason}" for item in patch.refused]
        out.append("")
    if patch.questions:
        out.append("Questions for the maintainers")
        out += [f"  - {question}" for question in patch.questions]
        out.append("")
    return "\n".join(out)


def patch_to_json(patch: Patch) -> str:
    return json.dumps(patch_document(patch), indent=2) + "\n"


def patch_document(patch: Patch) -> dict[str, Any]:
    return {
        "schema": PATCH_SCHEMA,
        "edits": [
            {"path": e.path, "rationale": list(e.rationale), "diff": unified_diff(e)} for e in patch.edits
        ],
        "left_alone": [{"path": i.path, "line": i.line, "reason": i.reason} for i in patch.left_alone],
        "refused": [{"path": i.path, "reason": i.reason} for i in patch.refused],
        "questions": list(patch.questions),
    }

"""Fix the Dockerfile hazards that have one right answer; turn every other one into a question.

* arch-in-url, in a RUN (shell form, POSIX shell) or ADD that downloads from a URL: each lowercase
  ``amd64`` in a URL or file name becomes ``${TARGETARCH}``, which BuildKit sets to exactly amd64 or arm64,
  the Go names a project that says amd64 also uses for arm64. ``x86_64`` becomes ``$(uname -m)`` only at
  the head of a GNU/Rust target triple (``x86_64-unknown-linux-musl``): its arm64 twin is ``aarch64-…`` by
  definition, which is what ``uname -m`` prints on arm64, natively and under BuildKit's emulation; and only
  in a RUN of a stage that follows the target platform. A bare ``x86_64`` is asked about: hadolint names
  its arm64 build ``arm64``, docker-compose ``aarch64``. So is a step when any architecture name in it is
  anything else (``x64``, ``linux64``, ``64bit``, an ``arm64`` branch, a value), when it or a later step of
  its stage checks a checksum or signature (the amd64 one fails for the arm64 file), or when the build
  targets more than amd64/arm64 (their names cannot be derived). A file name a fixed download fetched is
  renamed the same way in the stage's later steps (``tar -xzf tool-linux-amd64.tgz``).
* goarch-amd64: ``GOARCH=amd64`` (RUN, ENV, stage ARG) → ``GOARCH=${TARGETARCH}``; ``ARG TARGETARCH=amd64``
  (or TARGETPLATFORM) loses the default, which would override BuildKit's per-platform value.
* platform-pinned: exactly ``--platform=linux/amd64`` is dropped from the FROM of a published stage built on
  an image, when the plan (which keeps only the platforms every base has) builds more than amd64.
* ``ARG TARGETARCH`` goes right after the stage's FROM unless the stage declares it before its first use.

Every result is re-parsed and re-scanned: a fix the scan still objects to, or that brings a new hazard into
its step, becomes a question again; a result whose stages or untouched steps differ is refused. Pure.

urls.py, goarch.py and pinned.py plan one rule's fixes each; verify.py applies and checks them; step_text.py
reads a step as the shell does, through the project's one shell lexer (bot.scan.shell_syntax).
"""

from __future__ import annotations

from bot.model import Hazard, Instruction
from bot.patch.base import PatchContext, PatchResult
from bot.patch.dockerfile.goarch import goarch_fix
from bot.patch.dockerfile.pinned import platform_fix
from bot.patch.dockerfile.plan import GOARCH, PINNED, URL, Fix, Patching, step_at
from bot.patch.dockerfile.urls import download_fix
from bot.patch.dockerfile.verify import verified

__all__ = ["GOARCH", "PINNED", "URL", "patch"]


def patch(path: str, text: str, context: PatchContext) -> PatchResult:
    p = Patching(path, text, context)
    fixes: list[Fix] = []
    asked: list[tuple[int, str]] = []
    done: set[tuple[str, int]] = set()
    hazards = [h for h in context.hazards if h.path == path]
    for h in sorted(hazards, key=lambda h: (h.code != PINNED, h.line)):  # later rules see dropped flags
        ordinal = step_at(p.info, h.line)
        if (h.code, ordinal) in done:
            continue  # the fix of its step covers it already
        plan = _plan(p, h, p.info.instructions[ordinal], ordinal) if ordinal >= 0 else h.fix
        if isinstance(plan, Fix):
            fixes.append(plan)
            done.add((h.code, ordinal))
        else:
            asked.append((h.line, f"({h.code}): {h.message} {plan}"))
    return verified(p, fixes, asked)


def _plan(p: Patching, h: Hazard, ins: Instruction, ordinal: int) -> Fix | str:
    if h.code == URL:
        return download_fix(p, h, ins, ordinal)
    if h.code == GOARCH:
        return goarch_fix(p, h, ins, ordinal)
    return platform_fix(p, h, ins, ordinal) if h.code == PINNED else h.fix

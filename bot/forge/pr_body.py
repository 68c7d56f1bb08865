"""The pull request a maintainer reads: title, Markdown body, and the marker a rerun compares.

Pure: records in, text out. The body answers, in the order a reviewer asks: why, what changed and
why each change, are the base images really multi-arch, did it build and run on each platform (with
the evidence), what is still doubtful, what it costs in CI, and how to say no. Repository and log
text goes through ``bot.forge.markdown``: it is untrusted. Bulky evidence (logs) comes last, so a
body cut to GitHub's limit loses that first; the opt-out and the marker always stay.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.forge.evidence import duration, verification_blocks
from bot.forge.markdown import code, fit, inline, prose_with_code, table
from bot.model import (
    AMD64,
    ARM64,
    Confirmation,
    ImageVerdict,
    Patch,
    Platform,
    ScanResult,
    Severity,
    VerdictStatus,
    VerifyResult,
    VerifyStatus,
)

BODY_LIMIT = 65_536  # GitHub refuses a longer pull request body
MARKER_VERSION = "multiarch-bot:v1"
_ISSUE_REF = re.compile(r"^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}#[1-9][0-9]{0,9}$")
_MARKER = re.compile(rf"^<!-- {re.escape(MARKER_VERSION)} fingerprint=([0-9a-f]{{32}}) -->$", re.MULTILINE)
_CAP = {"images": 40, "files": 60, "rationale": 20, "hazards": 40, "questions": 30, "left_alone": 30}
_TRUNCATED = (
    "> [!NOTE]\n> This description was cut to fit GitHub's size limit: {omitted} more lines of evidence "
    "are not shown. The bot's run report has all of it."
)


@dataclass(frozen=True)
class PrText:
    """What the pull request says (``bot.forge.records.PrSpec`` adds where it goes and how it is opened)."""

    title: str
    body: str  # Markdown within GitHub's limit, ending with the marker that carries ``fingerprint``
    fingerprint: str  # of the Patch: an open PR whose marker has it already proposes this change
    truncated: bool = False  # evidence was cut to fit; the opt-out and the marker never are


def patch_fingerprint(patch: Patch) -> str:
    """Identifies the change itself: the same edits to the same texts give the same fingerprint."""
    digest = hashlib.sha256(b"multiarch-bot/patch/v1\0")
    for edit in sorted(patch.edits, key=lambda e: e.path):
        digest.update(edit.path.encode() + b"\0")
        digest.update(hashlib.sha256(edit.before.encode()).digest())
        digest.update(hashlib.sha256(edit.after.encode()).digest())
    return digest.hexdigest()[:32]


def marker(fingerprint: str) -> str:
    return f"<!-- {MARKER_VERSION} fingerprint={fingerprint} -->"


def read_fingerprint(body: str | None) -> str | None:
    """The fingerprint of the bot's own marker in a PR body (the last one: ours always ends the body)."""
    found = _MARKER.findall(body or "")
    return found[-1] if found else None


def target_platforms(scan: ScanResult, verify: VerifyResult | None) -> tuple[Platform, ...]:
    """The platforms the patched build produces: every plan's, in the wanted order."""
    planned = {p for build in (verify.builds if verify else ()) for p in build.plan.platforms}
    ordered = [p for p in scan.wanted if p in planned] + sorted(planned - set(scan.wanted))
    return tuple(ordered) or scan.wanted


def pr_title(platforms: Sequence[Platform]) -> str:
    return f"Build the Docker image for {_listing([str(p) for p in platforms])}"


def render_pr(
    scan: ScanResult,
    patch: Patch,
    verify: VerifyResult | None,
    *,
    questions: Sequence[str] = (),
    related: Sequence[str] = (),
    limit: int = BODY_LIMIT,
) -> PrText:
    """The PR for ``patch``; ``verify`` is the verification of the *patched* tree (None: not built)."""
    platforms = target_platforms(scan, verify)
    fingerprint = patch_fingerprint(patch)
    blocks = [
        *_intro(scan, verify, platforms),
        *_related(related),
        *_changes(patch),
        *_base_images(scan.verdicts),
        *(verification_blocks(verify) if verify else ["", "### Verification", "", "Not built yet."]),
        *_hazards(verify, scan),
        *_questions([*patch.questions, *questions]),
    ]
    tail = "\n".join([*_ci_cost(verify, platforms), *_opt_out(), "", marker(fingerprint), ""])
    body, truncated = fit(blocks, tail, limit, _TRUNCATED)
    return PrText(pr_title(platforms), body, fingerprint, truncated)


# ---------------------------------------------------------------------------------------------- sections


def _intro(scan: ScanResult, verify: VerifyResult | None, platforms: Sequence[Platform]) -> list[str]:
    listed = _listing([f"**{p}**" for p in platforms])
    if verify is None:
        checked = "has not built the patched image yet"
    elif verify.status is VerifyStatus.PASSED:
        checked = "built the patched image for each platform, ran it, and checked its binaries: all passed"
    else:
        checked = (
            f"tried to build and run the patched image for each platform: **{verify.status}** (see below)"
        )
    if not scan.verdicts:
        bases = ""
    elif all(v.status is VerdictStatus.MULTI_ARCH for v in scan.verdicts):
        bases = (
            " The base images already publish every one of these platforms (table below), so the change "
            "is in how the image is built, not in what it is built from."
        )
    else:
        bases = " Not every base image could be confirmed for every platform: see the table below."
    return [
        f"This pull request makes the project's Docker image build for {listed}, instead of only for "
        f"the architecture of the machine that builds it. It was prepared by multiarch-bot, which {checked}.",
        "",
        "### Why",
        "",
        "arm64 machines are common now: Apple Silicon Macs, AWS Graviton and other arm64 cloud servers, "
        "Raspberry Pi 4 and 5. An image published for amd64 only either fails to pull there (`no matching "
        "manifest for linux/arm64`) or runs under QEMU emulation, several times slower, and some programs "
        f"in it crash.{bases}",
    ]


def _changes(patch: Patch) -> list[str]:
    lines = ["", "### What changed", ""]
    for edit in patch.edits[: _CAP["files"]]:
        lines.append(f"- {code(edit.path)}")
        lines += [f"  - {prose_with_code(why)}" for why in edit.rationale[: _CAP["rationale"]]]
        if len(edit.rationale) > _CAP["rationale"]:
            lines.append(f"  - … and {len(edit.rationale) - _CAP['rationale']} more changes in this file")
    if len(patch.edits) > _CAP["files"]:
        lines.append(f"- … and {len(patch.edits) - _CAP['files']} more files (see the diff)")
    if not patch.edits:
        lines.append("No file changes.")
    kept = [*patch.left_alone, *patch.refused]
    if kept:
        lines += ["", "Left as they are, on purpose:", ""]
        for item in kept[: _CAP["left_alone"]]:
            where = f"{item.path}:{item.line}" if item.line else item.path
            lines.append(f"- {code(where)}: {inline(item.reason)}")
        if len(kept) > _CAP["left_alone"]:
            lines.append(f"- … and {len(kept) - _CAP['left_alone']} more")
    return lines


def _base_images(verdicts: Sequence[ImageVerdict]) -> list[str]:
    first_use: dict[str, ImageVerdict] = {}
    for verdict in verdicts:
        first_use.setdefault(str(verdict.ref), verdict)
    unique = list(first_use.values())
    if not unique:
        return []
    rows = [
        [
            code(str(v.ref), in_table=True),
            code(_short(v.digest), in_table=True) if v.digest else "–",
            inline(_platform_list(v.platforms)) if v.platforms else "–",
            inline(
                v.label + (f": {v.detail}" if v.detail and v.status is not VerdictStatus.MULTI_ARCH else "")
            ),
        ]
        for v in unique[: _CAP["images"]]
    ]
    lines = ["", "### Base images", "", *table(["Image", "Digest", "Platforms", "Verdict"], rows)]
    if len(unique) > _CAP["images"]:
        lines += ["", f"… and {len(unique) - _CAP['images']} more base images."]
    return lines


def _hazards(verify: VerifyResult | None, scan: ScanResult) -> list[str]:
    findings = verify.findings if verify else ()
    hazards = [f.hazard for f in findings if f.hazard] if verify else list(scan.hazards)
    found_only = [c for f in findings if f.hazard is None for c in f.confirmed]
    if not hazards and not found_only:
        return []
    lines = ["", "### Hazards still in the tree", ""]
    for hazard in hazards[: _CAP["hazards"]]:
        label = "breaks the arm64 build" if hazard.severity is Severity.BREAKS_BUILD else "silently wrong"
        where = code(f"{hazard.path}:{hazard.line}")
        message, fix = prose_with_code(_sentence(hazard.message)), prose_with_code(hazard.fix)
        lines.append(f"- **{label}** {where}: {message} Suggested fix: {fix}")
        confirmed = next((f.confirmed for f in findings if f.hazard == hazard), ())
        lines += [f"  - confirmed by the build: {_wrong_binary(c)}" for c in confirmed]
    if len(hazards) > _CAP["hazards"]:
        lines.append(f"- … and {len(hazards) - _CAP['hazards']} more")
    lines += [f"- found by the build: {_wrong_binary(c)}" for c in found_only[: _CAP["hazards"]]]
    return lines


def _related(references: Sequence[str]) -> list[str]:
    """Issues asking for arm64 (``owner/repo#n``): GitHub links them; nothing else passes the pattern."""
    valid = [ref for ref in dict.fromkeys(references) if _ISSUE_REF.match(ref)]
    return ["", f"Addresses {', '.join(valid[:10])}."] if valid else []


def _questions(questions: Sequence[str]) -> list[str]:
    unique = list(dict.fromkeys(q for q in questions if q.strip()))
    if not unique:
        return []
    lines = ["", "### Questions for the maintainers", ""]
    lines += [f"{n}. {prose_with_code(q, 500)}" for n, q in enumerate(unique[: _CAP["questions"]], 1)]
    if len(unique) > _CAP["questions"]:
        lines.append(f"{_CAP['questions'] + 1}. … and {len(unique) - _CAP['questions']} more")
    return lines


def _ci_cost(verify: VerifyResult | None, platforms: Sequence[Platform]) -> list[str]:
    if ARM64 not in platforms:
        return []
    timings = ""
    if verify:
        seconds = {
            p: sum(r.build.seconds for b in verify.builds for r in b.platforms if r.build.platform == p)
            for p in (AMD64, ARM64)
        }
        if all(seconds.values()):
            timings = (
                f" In the bot's run the builds took {duration(seconds[ARM64])} for arm64 and "
                f"{duration(seconds[AMD64])} for amd64."
            )
    return [
        "",
        "### CI cost",
        "",
        "On an amd64 CI runner the arm64 half of the build runs under QEMU emulation and usually takes "
        f"several times longer than the amd64 half.{timings} If that matters, build arm64 on a native arm64 "
        "runner (GitHub's `ubuntu-24.04-arm`, or an arm64 agent in Azure Pipelines or GitLab) and join the "
        "two with `docker buildx imagetools create`, or build arm64 only when you publish a release.",
    ]


def _opt_out() -> list[str]:
    return [
        "",
        "### Not interested?",
        "",
        "Close this pull request. multiarch-bot treats a closed pull request as declined: it will not "
        "reopen it, and will not open another one from this branch. Comments and edits are welcome too.",
    ]


def _listing(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".?!:" else text + "."


def _wrong_binary(confirmation: Confirmation) -> str:
    binary = confirmation.binary
    return f"{code(binary.path)} is {inline(binary.found)} in the {confirmation.platform} image"


def _platform_list(platforms: Sequence[Platform], shown: int = 8) -> str:
    names = [str(p) for p in platforms]
    return ", ".join(names[:shown]) + (f" (+{len(names) - shown} more)" if len(names) > shown else "")


def _short(digest: str) -> str:
    algorithm, _, hexits = digest.partition(":")
    return f"{algorithm}:{hexits[:12]}" if hexits else digest[:19]

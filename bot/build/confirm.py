"""Join what the scan predicted with what the build found, so each problem is reported once.

The scan says "Dockerfile:5 downloads tini-amd64"; the binary check says "/usr/local/bin/tini is amd64
in the linux/arm64 image". They are the same problem. A binary is matched to a hazard of the
Dockerfile it was built from when the hazard's text names the binary (its path or its file name).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePosixPath

from bot.model import BuildResult, Confirmation, Hazard, JoinedHazard


def join_hazards(hazards: Sequence[Hazard], results: Sequence[BuildResult]) -> tuple[JoinedHazard, ...]:
    confirmed: dict[int, list[Confirmation]] = {}
    unmatched: list[Confirmation] = []
    for result in results:
        candidates = [i for i, h in enumerate(hazards) if _same_build(h, result)]
        for platform_result in result.platforms:
            check = platform_result.binaries
            for binary in check.wrong if check else ():
                confirmation = Confirmation(platform_result.build.platform, binary)
                match = next((i for i in candidates if _names(hazards[i], binary.path)), None)
                if match is None:
                    unmatched.append(confirmation)
                elif confirmation not in confirmed.setdefault(match, []):
                    confirmed[match].append(confirmation)
    joined = [JoinedHazard(h, tuple(confirmed.get(i, ()))) for i, h in enumerate(hazards)]
    return tuple(joined + [JoinedHazard(None, (c,)) for c in dict.fromkeys(unmatched)])


def _same_build(hazard: Hazard, result: BuildResult) -> bool:
    """Hazards of the plan's Dockerfile, or of files in its build context (scripts it RUNs)."""
    if hazard.path == result.plan.dockerfile:
        return True
    context = PurePosixPath(result.plan.context)
    return result.plan.context == "." or PurePosixPath(hazard.path).is_relative_to(context)


def _names(hazard: Hazard, binary_path: str) -> bool:
    text = f"{hazard.excerpt} {hazard.message}"
    if binary_path in text:
        return True
    name = PurePosixPath(binary_path).name
    # the file name as a word of its own, or as the stem of a download such as tini-amd64 / tini_linux_amd64
    return bool(name) and re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w])", text) is not None

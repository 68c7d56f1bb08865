"""The tags the build stage loads its per-platform images under, and the run each one belongs to."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from bot.model import BuildPlan, Platform

VERIFY_REPOSITORY = "multiarch-bot-verify"
OWNED_VERIFY_IMAGES = f"{VERIFY_REPOSITORY}/*/*"  # a reference filter: the tags that name their run
_OWNED_TAG = re.compile(rf"{VERIFY_REPOSITORY}/run-(?P<run>[0-9a-f-]+)/[a-z0-9-]+:[a-z0-9-]+")


def verify_tag(
    plan: BuildPlan, platform: Platform, checkout: Path | None = None, run: str | None = None
) -> str:
    """``multiarch-bot-verify/[run-<run>/]<slug>:<arch>``: where one platform of ``plan`` is loaded locally.

    The slug names the Dockerfile and target for people; the hash keeps plans that differ only in
    context or build args apart, and checkouts apart: two repositories verified at once (a fleet run's
    workers, two test processes) both build ``Dockerfile`` in ``.``, and must not load, run or remove
    each other's images. ``run`` (``bot.workspace.run_id``) names the run that owns the image, so a later
    run can remove it once that run is dead (``bot.build.leftovers``); a tag, not a label, so the image
    stays exactly what the build made.
    """
    where = str(checkout.resolve()) if checkout is not None else ""
    identity = json.dumps([plan.dockerfile, plan.context, plan.target, plan.build_args, where])
    digest = hashlib.sha256(identity.encode()).hexdigest()[:8]
    readable = re.sub(r"[^a-z0-9]+", "-", f"{plan.dockerfile} {plan.target or ''}".lower()).strip("-")
    arch = re.sub(r"[^a-z0-9]+", "-", str(platform).removeprefix(f"{platform.os}/").lower())
    owner = f"run-{run}/" if run is not None else ""
    return f"{VERIFY_REPOSITORY}/{owner}{readable[:80] or 'image'}-{digest}:{arch}"


def verify_tag_owner(tag: str) -> str | None:
    """The run named in a ``verify_tag``, or None for any other reference."""
    found = _OWNED_TAG.fullmatch(tag)
    return found["run"] if found else None

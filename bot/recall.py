"""What the last run learnt about a repository, recalled without a clone when nothing it depends on moved.

Most outcomes depend only on the repository's content and the run's settings: while ``pushed_at`` and
the settings' fingerprint are the same, the remembered outcome stands (``RepoCache``). A ``blocked``
outcome depends on the registry too: a base image can gain arm64 without the repository changing. So
it is remembered with the base references that blocked it and the digest each had, and recalled only
while every one of them still resolves to that digest (or is still not found): one registry look-up
each (a HEAD, with ``cache_dir``), no clone. A reference that moved, or that the registry cannot answer
for, sends the repository through the stages again.
"""

from __future__ import annotations

from bot.cache import Remembered, RepoCache
from bot.errors import BotError
from bot.forge.records import PrRef, PrState
from bot.model import ImagePlatforms, LookupFailure, Readiness, VerdictStatus
from bot.outcome import RepoOutcome, Verdict
from bot.scan.image_ref import parse_image_ref
from bot.scan.registry import RegistryClient

UNCHANGED = "unchanged since the last run"

# outcomes that only a push upstream (new pushed_at) or new settings can change
_CACHEABLE = frozenset(
    {
        Verdict.OPENED,
        Verdict.UPDATED,
        Verdict.UP_TO_DATE,
        Verdict.DECLINED,
        Verdict.MERGED,
        Verdict.NOTHING_TO_DO,
        Verdict.FAILED,
    }
)
_PR_LIVES = frozenset({Verdict.OPENED, Verdict.UPDATED, Verdict.UP_TO_DATE})
_PR_STATE_OF = {Verdict.DECLINED: PrState.DECLINED, Verdict.MERGED: PrState.MERGED}
_BLOCKING = (VerdictStatus.MISSING, VerdictStatus.NOT_FOUND)


def recall(
    cache: RepoCache, registry: RegistryClient, name: str, pushed_at: str, fingerprint: str
) -> RepoOutcome | None:
    """The last run's outcome, when neither the repository, the settings nor a blocking base moved since."""
    seen = cache.recall(name, pushed_at, fingerprint)
    if seen is None:
        return None
    if seen.verdict == Verdict.BLOCKED and _bases_unmoved(seen.bases, registry):
        return RepoOutcome(name, Verdict.BLOCKED, (UNCHANGED, *seen.reasons))
    if seen.verdict not in _CACHEABLE:
        return None
    verdict = Verdict(seen.verdict)
    pr = None
    if seen.pr_number is not None and seen.pr_url is not None:
        verdict = Verdict.UP_TO_DATE if verdict in _PR_LIVES else verdict
        pr = PrRef(seen.pr_number, seen.pr_url, _PR_STATE_OF.get(verdict, PrState.UP_TO_DATE))
    return RepoOutcome(name, verdict, (UNCHANGED, *seen.reasons), pr)


def remember(cache: RepoCache, name: str, pushed_at: str, fingerprint: str, outcome: RepoOutcome) -> None:
    bases: tuple[tuple[str, str | None], ...] = ()
    if outcome.verdict is Verdict.BLOCKED:
        scan = outcome.scan
        if scan is None or scan.readiness is not Readiness.BLOCKED:
            return  # blocked by the build's own findings: nothing cheap tells when that changes
        bases = tuple(
            sorted({(str(v.ref), v.digest) for v in scan.verdicts if v.status in _BLOCKING}, key=str)
        )
    elif outcome.verdict not in _CACHEABLE:
        return
    reasons = tuple(r for r in outcome.reasons if r != UNCHANGED)
    pr = outcome.pr
    remembered = Remembered(
        outcome.verdict.value, reasons, pr.number if pr else None, pr.html_url if pr else None, bases
    )
    cache.remember(name, pushed_at, fingerprint, remembered)


def _bases_unmoved(bases: tuple[tuple[str, str | None], ...], registry: RegistryClient) -> bool:
    """Each blocking base still resolves to the remembered digest (None: still not found)."""
    for text, digest in bases:
        try:
            answer = registry.lookup(parse_image_ref(text))
        except BotError:
            return False
        if isinstance(answer, LookupFailure):
            if not (answer.not_found and digest is None):
                return False
        elif not isinstance(answer, ImagePlatforms) or answer.digest != digest:
            return False
    return True

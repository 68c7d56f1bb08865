"""GitHub's naming rules for ``owner/repo``, and finding the first such name in free text (request issues).

Owners (users and organisations): 1–39 characters, letters, digits and hyphens, not starting or ending
with a hyphen (accounts from before GitHub refused ``--`` may still have one, so it is allowed).
Repositories: 1–100 characters of letters, digits, ``.``, ``_`` and ``-``, and not ``.`` or ``..``; GitHub
reserves the ``.git`` suffix for its clone URLs. GitHub compares both case-insensitively.
"""

from __future__ import annotations

import re

from bot.model import Platform

_OWNER = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?"
_REPO = r"[A-Za-z0-9._-]{1,100}"
_FULL_NAME = re.compile(rf"({_OWNER})/({_REPO})")
# In free text: a github.com URL (with or without scheme, maybe with a path after the name), or a bare
# owner/repo token standing alone (not part of a longer path such as docs/setup.md or a/b/c).
_URL = re.compile(rf"(?:https?://)?(?:www\.)?github\.com/({_OWNER})/({_REPO})", re.IGNORECASE)
_TOKEN = re.compile(rf"(?<![\w./:@-])({_OWNER})/({_REPO})(?![\w/-]|\.[\w])")
_TEXT_MAX = 20_000  # request bodies are untrusted; the name is near the top or nowhere
# GitHub paths that look like owner/repo but are not repositories
_NOT_OWNERS = frozenset({"orgs", "settings", "marketplace", "topics", "search", "sponsors", "features"})


def check_repo_name(text: str) -> str:
    """``text`` when it is a valid ``owner/repo``; otherwise ValueError saying why (for config errors)."""
    match = _FULL_NAME.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a GitHub repository (expected owner/repo)")
    name = match[2]
    if name in (".", ".."):
        raise ValueError(f"{text!r} is not a GitHub repository name")
    if name.lower().endswith(".git"):
        raise ValueError(f"{text!r}: write the repository without the .git suffix")
    return text


def is_repo_name(text: str) -> bool:
    try:
        check_repo_name(text)
    except ValueError:
        return False
    return True


def names_in_text(text: str) -> list[str]:
    """The ``owner/repo`` names ``text`` mentions, each once: GitHub URLs first, then bare tokens, each kind
    in order of appearance.

    URLs (``https://github.com/o/r``, ``github.com/o/r.git``, ``…/o/r/issues/1``) come first because they
    are unambiguous; a bare ``o/r`` may be something else, so platforms (``linux/arm64``) are not names.
    Names that break GitHub's rules are left out, so the first one returned is usable."""
    text = text[:_TEXT_MAX]
    ordered: list[str] = []
    for pattern in (_URL, _TOKEN):
        for match in pattern.finditer(text):
            owner, name = match[1], match[2].removesuffix(".git").rstrip(".")
            full = f"{owner}/{name}"
            if owner.lower() in _NOT_OWNERS or not is_repo_name(full) or _is_platform(full):
                continue
            if full.lower() not in {seen.lower() for seen in ordered}:
                ordered.append(full)
    return ordered


def _is_platform(text: str) -> bool:
    try:
        Platform.parse(text)
    except ValueError:
        return False
    return True

"""The one registry of patchers: a build-file kind → the module that patches it."""

from __future__ import annotations

from collections.abc import Mapping

from bot.model import BuildKind
from bot.patch import bake, compose, dockerfile_fixes, github_actions, npm
from bot.patch.base import Patcher

PATCHERS: Mapping[BuildKind, Patcher] = {
    BuildKind.GITHUB_ACTIONS: github_actions,
    BuildKind.COMPOSE: compose,
    BuildKind.BAKE: bake,
    BuildKind.NPM: npm,
}
DOCKERFILE_PATCHER: Patcher | None = dockerfile_fixes

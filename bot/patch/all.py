"""The one registry of patchers: a build-file kind → the module that patches it."""

from __future__ import annotations

from collections.abc import Mapping

from bot.model import BuildKind
from bot.patch.base import Patcher

PATCHERS: Mapping[BuildKind, Patcher] = {}
DOCKERFILE_PATCHER: Patcher | None = None

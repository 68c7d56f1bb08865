"""The one registry of patchers: a build-file kind → the module that patches it."""

from __future__ import annotations

from collections.abc import Mapping

from bot.model import BuildKind
from bot.patch import (
    azure_pipelines,
    bake,
    circleci,
    compose,
    dockerfile,
    github_actions,
    gitlab_ci,
    just,
    make,
    npm,
    shell,
)
from bot.patch.base import Patcher

PATCHERS: Mapping[BuildKind, Patcher] = {
    BuildKind.GITHUB_ACTIONS: github_actions,
    BuildKind.COMPOSE: compose,
    BuildKind.BAKE: bake,
    BuildKind.NPM: npm,
    BuildKind.SHELL: shell,
    BuildKind.MAKE: make,
    BuildKind.GITLAB_CI: gitlab_ci,
    BuildKind.AZURE_PIPELINES: azure_pipelines,
    BuildKind.JUST: just,
    BuildKind.CIRCLECI: circleci,
}
DOCKERFILE_PATCHER: Patcher = dockerfile

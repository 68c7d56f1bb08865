"""One error root. Messages are actionable and never carry secrets."""

from __future__ import annotations


class BotError(Exception):
    """Base of every error the bot raises on purpose."""


class ConfigError(BotError):
    """The configuration file is missing, unreadable or invalid (exit code 2)."""


class InputError(BotError):
    """A repository file is unusable: binary, too large, malformed, hostile. Reported, never fatal."""


class ImageRefError(InputError):
    """A string is not a valid image reference."""


class RegistryError(BotError):
    """A registry could not answer a question."""


class GitError(BotError):
    """A git operation failed (clone, fetch, push)."""


class ForgeError(BotError):
    """GitHub refused or could not do what the bot asked (a per-repository outcome, never a crash)."""


class BudgetExhausted(ForgeError):
    """The API budget left is below the reserve: stop now, the next run resumes here."""

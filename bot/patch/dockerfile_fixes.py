"""The name bot.patch.all registers the Dockerfile patcher under; it lives in bot.patch.dockerfile."""

from __future__ import annotations

from bot.patch.dockerfile import GOARCH, PINNED, URL, patch

__all__ = ["GOARCH", "PINNED", "URL", "patch"]

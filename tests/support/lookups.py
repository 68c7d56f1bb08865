"""Helpers for tests that look images up: a hermetic, quick-to-give-up client and typed answer checks."""

from __future__ import annotations

from collections.abc import Mapping

from bot.model import ImagePlatforms, LookupFailure
from bot.scan.registry import RegistryClient
from bot.scan.registry_auth import CredentialStore


def client(
    *,
    mirrors: Mapping[str, str] | None = None,
    credentials: CredentialStore | None = None,
    total_budget: float = 5.0,
    timeout: float = 2.0,
) -> RegistryClient:
    """A client that never reads the developer's own docker config and gives up within seconds."""
    return RegistryClient(
        mirrors=mirrors,
        credentials=credentials if credentials is not None else CredentialStore(),
        timeout=timeout,
        total_budget=total_budget,
    )


def found(answer: ImagePlatforms | LookupFailure) -> ImagePlatforms:
    assert isinstance(answer, ImagePlatforms), answer
    return answer


def failed(answer: ImagePlatforms | LookupFailure) -> LookupFailure:
    assert isinstance(answer, LookupFailure), answer
    return answer

"""PyGithub's failures as the forge's: one ``ForgeError`` saying what was being done and what GitHub said."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import requests
from github import GithubException

from bot.errors import ForgeError
from bot.proc import redact

_T = TypeVar("_T")


def call(what: str, call: Callable[[], _T]) -> _T:
    try:
        return call()
    except GithubException as error:
        raise ForgeError(describe(what, error)) from None
    except requests.RequestException as error:  # retries exhausted (RetryError) or the connection failed
        raise ForgeError(f"{what}: {type(error).__name__}: {redact(str(error))}") from None


def describe(what: str, error: GithubException) -> str:
    detail = "; ".join(messages(error)) or "no message"
    return redact(f"{what}: GitHub answered {error.status}: {detail}")


def messages(error: GithubException) -> list[str]:
    data = error.data if isinstance(error.data, dict) else {}
    found = [str(data["message"])] if data.get("message") else []
    for item in data.get("errors") or []:
        if isinstance(item, dict) and item.get("message"):
            found.append(str(item["message"]))
        elif isinstance(item, str):
            found.append(item)
    return found

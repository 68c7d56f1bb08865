"""The environment git children get: no GIT_* from the caller, and no variable holding the bot's token."""

from __future__ import annotations

import pytest

from bot.forge.git import scrubbed_env
from bot.proc import register_secret


def test_a_variable_holding_a_registered_secret_never_reaches_git(monkeypatch: pytest.MonkeyPatch) -> None:
    register_secret("ghp_envtoken0123456789abcdef")
    monkeypatch.setenv("MULTIARCH_BOT_TOKEN", "ghp_envtoken0123456789abcdef")
    monkeypatch.setenv("SOMETHING_ELSE", "Bearer ghp_envtoken0123456789abcdef")
    monkeypatch.setenv("GIT_DIR", "/elsewhere")
    monkeypatch.setenv("LANG", "C.UTF-8")
    env = scrubbed_env()
    assert "MULTIARCH_BOT_TOKEN" not in env
    assert "SOMETHING_ELSE" not in env
    assert "GIT_DIR" not in env
    assert env["LANG"] == "C.UTF-8"
    assert env["GIT_TERMINAL_PROMPT"] == "0"

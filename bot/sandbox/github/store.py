"""The local GitHub's state directory: ``state.json`` for metadata, ``repos/<owner>/<name>.git`` for git.

One lock serialises every read-modify-write; each change is written to a temporary file and renamed over
``state.json``, so a server killed mid-write leaves the previous state, never half a file.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from bot.proc import register_secret
from bot.sandbox.github.records import LOGIN, Account, AccountType, State, Token, TokenKind

STATE_FILE = "state.json"


def now_iso() -> str:
    """A timestamp as GitHub writes them: ``2026-11-28T08:30:00Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_token(kind: TokenKind) -> str:
    # GitHub's prefixes tell token kinds apart (ghp_ personal, ghs_ installation); secret scanners know them.
    return ("ghp_" if kind == "pat" else "ghs_") + secrets.token_hex(18)


class Store:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.repos_dir = self.root / "repos"
        self.lock = threading.RLock()
        self.repos_dir.mkdir(parents=True, exist_ok=True)
        path = self.root / STATE_FILE
        self._written = ""
        if path.exists():
            self._state = State.model_validate_json(path.read_text())
        else:
            self._state = State(admin_token=new_token("pat"))
            self._write()
        register_secret(self._state.admin_token)
        for token in self._state.tokens:
            register_secret(token)

    @contextmanager
    def reading(self) -> Iterator[State]:
        with self.lock:
            yield self._state

    @contextmanager
    def changing(self) -> Iterator[State]:
        """The state to change in place; written out when the block ends without an exception."""
        with self.lock:
            snapshot = self._state.model_copy(deep=True)
            try:
                yield self._state
            except BaseException:
                self._state = snapshot  # a failed request leaves nothing half-done
                raise
            self._write()

    def last_id(self) -> int:
        with self.lock:
            return self._state.next_id

    @property
    def admin_token(self) -> str:
        with self.lock:
            return self._state.admin_token

    def git_dir(self, full_name: str) -> Path:
        return self.repos_dir / f"{full_name}.git"

    def _write(self) -> None:
        text = self._state.model_dump_json(indent=1)
        if text == self._written:
            return  # a read that went through changing() (a PR refresh that found nothing new)
        # No fsync: the rename alone keeps a killed server's file whole, and a sandbox need not survive
        # power loss; fsync per request would slow every test down.
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".state-", suffix=".json")
        try:
            with os.fdopen(fd, "w") as out:
                out.write(text)
            os.replace(tmp, self.root / STATE_FILE)
            self._written = text
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # Accounts and tokens are set up by tests and the seeding CLI, never through the REST API.

    def ensure_account(
        self,
        login: str,
        *,
        type: AccountType = "User",
        name: str | None = None,
        members: tuple[str, ...] = (),
    ) -> Account:
        if not LOGIN.fullmatch(login):
            raise ValueError(f"{login!r} is not a GitHub login")
        with self.changing() as state:
            account = state.accounts.get(login)
            if account is None:
                account = Account(login=login, id=state.new_id(), type=type, name=name, created_at=now_iso())
                state.accounts[login] = account
            account.members = sorted(set(account.members) | set(members))
            return account.model_copy()

    def issue_token(
        self, login: str, *, kind: TokenKind = "pat", scopes: tuple[str, ...] = ("repo", "workflow")
    ) -> str:
        token = new_token(kind)
        register_secret(token)
        with self.changing() as state:
            if login not in state.accounts:
                raise KeyError(f"no account {login!r}")
            state.tokens[token] = Token(login=login, kind=kind, scopes=list(scopes))
        return token

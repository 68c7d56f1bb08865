"""What the local GitHub remembers between requests and restarts: users, tokens, repositories, issues.

Pydantic models, so the JSON state file is validated when a server starts on an existing directory. Git
data (branches, commits, files) is not here: it lives in the bare repositories themselves.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?(?:\[bot\])?")
# GitHub's repository names; "." and ".." and a ".git" suffix never, which also keeps paths inside repos/.
REPO_NAME = re.compile(r"(?!\.\.?$)(?!.*\.git$)[A-Za-z0-9._-]{1,100}")

TokenKind = Literal["pat", "installation"]
AccountType = Literal["User", "Organization", "Bot"]


class Account(BaseModel):
    login: str
    id: int
    type: AccountType = "User"
    name: str | None = None
    email: str | None = None
    members: list[str] = Field(default_factory=list)  # organizations only
    created_at: str


class Token(BaseModel):
    login: str
    kind: TokenKind = "pat"
    # A PAT's OAuth scopes ("repo", "workflow"); an installation token's permissions ("workflows").
    scopes: list[str] = Field(default_factory=list)


class Label(BaseModel):
    id: int
    name: str
    color: str
    description: str | None = None
    default: bool = False


class Comment(BaseModel):
    id: int
    user: str
    body: str
    created_at: str
    updated_at: str


class PullFacts(BaseModel):
    """The pull-request half of an issue. Counters are recomputed by git when the head moves."""

    head_owner: str
    head_repo: str | None  # full name; None once the head repository is deleted
    head_ref: str
    head_sha: str
    base_ref: str
    base_sha: str
    draft: bool = False
    maintainer_can_modify: bool = False
    merged: bool = False
    commits: int = 0
    additions: int = 0
    deletions: int = 0
    changed_files: int = 0
    mergeable: bool | None = None


class Issue(BaseModel):
    number: int
    id: int
    user: str
    title: str
    body: str | None = None
    state: Literal["open", "closed"] = "open"
    state_reason: str | None = None
    labels: list[str] = Field(default_factory=list)
    comments: list[Comment] = Field(default_factory=list)
    created_at: str
    updated_at: str
    closed_at: str | None = None
    closed_by: str | None = None
    pull: PullFacts | None = None  # set for pull requests, which are issues on GitHub too


class Repo(BaseModel):
    id: int
    owner: str
    name: str
    description: str | None = None
    private: bool = False
    parent: str | None = None  # full name, forks only
    source: str | None = None  # the root of the fork network, forks only
    default_branch: str = "main"
    archived: bool = False
    disabled: bool = False
    collaborators: list[str] = Field(default_factory=list)
    created_at: str
    updated_at: str
    pushed_at: str
    ready_at: float = 0.0  # epoch seconds: before this a new fork's git data answers as if not yet copied
    next_number: int = 1
    labels: dict[str, Label] = Field(default_factory=dict)  # by lower-cased name, as GitHub matches them
    issues: dict[int, Issue] = Field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def fork(self) -> bool:
        return self.parent is not None


class State(BaseModel):
    schema_version: int = 1
    admin_token: str
    next_id: int = 1000
    accounts: dict[str, Account] = Field(default_factory=dict)
    tokens: dict[str, Token] = Field(default_factory=dict)
    repos: dict[str, Repo] = Field(default_factory=dict)  # by full name
    renamed: dict[str, str] = Field(default_factory=dict)  # old full name → current full name

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

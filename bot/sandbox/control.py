"""`multiarch-bot sandbox up|down|status|seed`: the local machinery the demo and the tests run on.

Up: the local GitHub (REST API, git over HTTP and a web view, with an account and token for the bot),
Debian's distribution registry on 127.0.0.1, dockerd with buildx and QEMU for arm64 (no bridge network),
and the base images built from Debian's busybox-static and pushed to that registry. ``--no-engine``
stops after the GitHub and the registry: enough to rehearse a pull request or test the forge code,
on a machine without Docker. Each part is reused when it is already running; down stops only what
``up`` started from the same state directory. Seed imports a local directory as an upstream repository.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from bot import proc
from bot.errors import BotError, ConfigError
from bot.sandbox.base_images import BuiltImage, build_base_images, fetch_busybox
from bot.sandbox.engine import EngineInfo, ensure_engine, stop_engine
from bot.sandbox.github import daemon as github_daemon
from bot.sandbox.github.daemon import GitHubDaemon
from bot.sandbox.github.records import LOGIN, REPO_NAME, State
from bot.sandbox.github.store import STATE_FILE
from bot.sandbox.locks import file_lock
from bot.sandbox.registry import LocalRegistry

DEFAULT_STATE = Path(".state")
BOT_LOGIN = "multiarch-bot"
BOT_SCOPES = ("repo", "workflow")
THROWAWAY_NOTE = (
    "the sandbox's own throwaway token for multiarch-bot: it works only against this local GitHub;"
    " printed on purpose (export it as MULTIARCH_BOT_TOKEN to use it)"
)


class SandboxError(BotError):
    """A part of the sandbox cannot be brought up, or a sandbox command cannot do what was asked."""


@dataclass(frozen=True)
class LocalForge:
    """The local GitHub daemon and the bot's account on it."""

    daemon: GitHubDaemon
    token: str  # a PAT of BOT_LOGIN with BOT_SCOPES, made once per state directory

    def endpoints(self) -> dict[str, object]:
        return {
            "api_url": self.daemon.api_url,
            "git_url": self.daemon.git_url,
            "web_url": self.daemon.web_url,
            "login": BOT_LOGIN,
            "token": self.token,
            "token_note": THROWAWAY_NOTE,
            "pid": self.daemon.pid,
        }


@dataclass(frozen=True)
class Services:
    """What runs without Docker: the local GitHub and the registry (``sandbox up --no-engine``)."""

    state: Path
    registry: LocalRegistry
    github: LocalForge

    @property
    def mirrors(self) -> dict[str, str]:
        """The ``registry_mirrors`` a config needs so ``FROM node:…`` resolves in the sandbox."""
        return {"docker.io": self.registry.address}

    def endpoints(self) -> dict[str, object]:
        return {
            "github": self.github.endpoints(),
            "registry": self.registry.address,
            "registry_url": self.registry.url,
            "registry_mirrors": self.mirrors,
        }


@dataclass(frozen=True)
class Sandbox(Services):
    engine: EngineInfo
    images: tuple[BuiltImage, ...]
    busybox: Mapping[str, Path]  # architecture → Debian's static busybox binary, a real program per arch

    def endpoints(self) -> dict[str, object]:
        return super().endpoints() | {
            "docker_cli": str(self.engine.docker_cli),
            "buildx": self.engine.buildx_version,
            "platforms": [str(p) for p in self.engine.platforms],
            "dockerd_started_by_sandbox": self.engine.started_by_us,
            "base_images": {str(image.ref): [str(p) for p in image.platforms] for image in self.images},
        }


def up_services(state: Path = DEFAULT_STATE) -> Services:
    state = state.resolve()
    github = start_github(state)
    return Services(state, LocalRegistry.start(state / "registry"), github)


def up(state: Path = DEFAULT_STATE) -> Sandbox:
    services = up_services(state)
    engine = ensure_engine(services.state / "engine")
    images = build_base_images(engine, services.registry.address, services.state)
    busybox = fetch_busybox(services.state / "base-images" / "busybox")
    return Sandbox(services.state, services.registry, services.github, engine, images, busybox)


def down(state: Path = DEFAULT_STATE) -> list[str]:
    """Stop what ``up`` started here; return what was stopped."""
    stopped = []
    github = github_daemon.running(state / "github")
    if github is not None:
        github.stop()
        stopped.append(f"local GitHub on {github.web_url} (pid {github.pid})")
    running = LocalRegistry.running(state / "registry")
    if running is not None:
        running.stop()
        stopped.append(f"registry on {running.address}")
    if stop_engine(state / "engine"):
        stopped.append("dockerd")
    return stopped


def status(state: Path = DEFAULT_STATE) -> dict[str, object]:
    github = github_daemon.running(state / "github")
    registry = LocalRegistry.running(state / "registry")
    pid_file = (state / "engine" / "dockerd.pid").resolve()
    return {
        "github": {"web_url": github.web_url, "api_url": github.api_url, "pid": github.pid}
        if github
        else None,
        "registry": registry.address if registry else None,
        "dockerd_pid_file": str(pid_file) if pid_file.exists() else None,
    }


def start_github(state: Path) -> LocalForge:
    """The local GitHub daemon serving ``state/github`` (started or reused) and the bot's token on it."""
    try:
        daemon = github_daemon.start_daemon(state / "github")
    except RuntimeError as error:  # it did not come up: the message carries its log's tail
        raise SandboxError(str(error)) from None
    # Two `up`s at once must not both mint a token: the second finds the first one's.
    with file_lock(daemon.state_dir / "bot-account.lock"):
        token = _bot_token(daemon)
        if token is None:
            wanted = {"kind": "pat", "scopes": list(BOT_SCOPES)}
            token = str(
                _admin(daemon, "POST", "/_sandbox/users", {"login": BOT_LOGIN, "token": wanted})["token"]
            )
    proc.register_secret(token)  # printed once on purpose by `up`, never in a log or an error
    return LocalForge(daemon, token)


def seed(
    directory: Path, full_name: str, *, replace: bool = False, state: Path = DEFAULT_STATE
) -> dict[str, object]:
    """Import ``directory`` as the repository ``full_name`` (its owner is created if missing).

    Refuses an existing repository unless ``replace``: then it is deleted (its pull requests and issues
    with it) and imported afresh.
    """
    owner, _, name = full_name.partition("/")
    if not LOGIN.fullmatch(owner) or not REPO_NAME.fullmatch(name):
        raise ConfigError(f"{full_name!r} is not OWNER/NAME as GitHub allows them")
    if not directory.is_dir():
        raise SandboxError(f"{directory} is not a directory")
    daemon = github_daemon.running(state / "github")
    if daemon is None:
        raise SandboxError("the local GitHub is not running: start it with `multiarch-bot sandbox up` first")
    exists = full_name in _read_state(daemon).repos
    if exists and not replace:
        raise SandboxError(
            f"{full_name} already exists in the local GitHub; --replace deletes it (with its pull requests"
            " and issues) and imports the directory afresh"
        )
    if exists:
        _admin(daemon, "DELETE", f"/_sandbox/repos/{full_name}")
    made = _admin(
        daemon, "POST", "/_sandbox/repos", {"path": str(directory.resolve()), "owner": owner, "name": name}
    )
    return {
        "full_name": made["full_name"],
        "default_branch": made["default_branch"],
        "clone_url": f"{daemon.git_url}/{made['full_name']}.git",
        "web_url": f"{daemon.web_url}/{made['full_name']}",
        "replaced": exists,
    }


def _bot_token(daemon: GitHubDaemon) -> str | None:
    """The bot's token made by an earlier ``up`` (the oldest that fits), if there is one."""
    for token, facts in _read_state(daemon).tokens.items():
        if facts.login == BOT_LOGIN and facts.kind == "pat" and set(BOT_SCOPES) <= set(facts.scopes):
            return token
    return None


def _read_state(daemon: GitHubDaemon) -> State:
    # The daemon replaces state.json by rename on every change, so a read sees one whole version.
    return State.model_validate_json((daemon.state_dir / STATE_FILE).read_text())


def _admin(
    daemon: GitHubDaemon, method: str, path: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    with requests.Session() as session:
        session.trust_env = False  # a loopback call: no proxy from the environment, no .netrc
        try:
            answer = session.request(
                method,
                daemon.web_url + path,
                json=body,
                headers={"Authorization": f"token {daemon.admin_token}"},
                timeout=60,
            )
        except requests.RequestException as error:
            raise SandboxError(f"the local GitHub did not answer {method} {path}: {error}") from None
    if answer.status_code >= 400:
        try:
            message = answer.json()["message"]
        except (ValueError, KeyError, TypeError):
            message = answer.text.strip() or answer.reason
        raise SandboxError(f"the local GitHub refused {method} {path}: {message}")
    result: dict[str, Any] = answer.json() if answer.content else {}
    return result

"""YAML → validated, frozen Config with path-qualified errors.

Defaults live here and nowhere else. Secrets never come from this file: only from the environment.
pydantic does the validation because its error locations give exactly the path a user needs
(``registry_mirrors.docker.io: …``); hand-written checks would re-implement that badly.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from bot.errors import ConfigError, InputError
from bot.model import DEFAULT_PLATFORMS, Platform
from bot.scan.yamlsafe import load_yaml

MAX_CONFIG_BYTES = 1 << 20


def _platform(item: Any) -> Platform:
    if isinstance(item, Platform):
        return item
    if not isinstance(item, str):
        raise ValueError(f"{item!r} is not a platform")  # pydantic turns ValueError into a located error
    return Platform.parse(item)


PlatformField = Annotated[Platform, BeforeValidator(_platform)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RegistrySettings(_Frozen):
    timeout: Annotated[float, Field(gt=0, le=300)] = 10.0
    """Seconds for one HTTP request to a registry."""
    budget: Annotated[float, Field(gt=0, le=3600)] = 30.0
    """Seconds in all for one image look-up, retries included."""
    concurrency: Annotated[int, Field(ge=1, le=64)] = 8


class Timeouts(_Frozen):
    build: Annotated[float, Field(gt=0, le=6 * 3600)] = 1800.0
    """Seconds for one platform's build; a killed build is reported as a timeout."""
    smoke: Annotated[float, Field(gt=0, le=3600)] = 60.0
    """Seconds for one platform's smoke run."""


class GitHubSettings(_Frozen):
    api_url: str = "https://api.github.com"
    """REST base URL: GitHub Enterprise Server's is ``https://HOST/api/v3``; the sandbox prints its own."""
    token_env: str = "MULTIARCH_BOT_TOKEN"  # noqa: S105 (the name of a variable, not a secret)
    """The environment variable that holds the token (never the token itself: secrets stay out of files)."""
    fork_organization: str | None = None
    """Fork into this organisation instead of the token's own account."""
    branch: str = "multiarch/arm64"
    """The branch on the fork that carries the change (pushed with --force-with-lease)."""
    draft: bool = False
    reopen_declined: bool = False
    """A pull request closed without merging means "no, thanks": it stays closed unless this is true."""
    labels: tuple[str, ...] = ()
    author_name: str = "multiarch-bot"
    author_email: str = "multiarch-bot@users.noreply.github.com"
    fork_ready_timeout: Annotated[float, Field(gt=0, le=3600)] = 300.0

    @field_validator("api_url")
    @classmethod
    def _check_api_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")) or any(c.isspace() for c in value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.rstrip("/")

    @field_validator("branch")
    @classmethod
    def _check_branch(cls, value: str) -> str:
        bad = value.startswith(("-", "/")) or value.endswith(("/", ".lock")) or ".." in value
        if not value or bad or any(c in value for c in " ~^:?*[\\") or any(ord(c) < 32 for c in value):
            raise ValueError(f"{value!r} is not a valid branch name")
        return value


class Limits(_Frozen):
    prs_per_run: Annotated[int, Field(ge=0, le=10_000)] = 20
    prs_per_hour: Annotated[int, Field(ge=0, le=10_000)] = 20
    """GitHub's secondary limits count content-creating requests; a polite bot opens few PRs per hour."""
    api_reserve: Annotated[int, Field(ge=0, le=10_000)] = 50
    """API requests kept back: a run stops cleanly (and the next one resumes) below this."""


class Config(_Frozen):
    platforms: Annotated[tuple[PlatformField, ...], Field(min_length=1)] = DEFAULT_PLATFORMS
    registry_mirrors: Mapping[str, str] = Field(default_factory=dict)
    registry: RegistrySettings = RegistrySettings()
    builder: str | None = None
    """A buildx builder by name (remote, kubernetes or native arm64); None: the current builder."""
    timeouts: Timeouts = Timeouts()
    github: GitHubSettings = GitHubSettings()
    limits: Limits = Limits()

    @field_validator("registry_mirrors")
    @classmethod
    def _check_mirrors(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        for registry, mirror in value.items():
            if not registry or "/" in registry or not mirror.strip():
                raise ValueError(f"{registry!r}: {mirror!r} is not a 'registry: mirror-host[:port]' pair")
        return dict(value)


def load_config(path: Path | None) -> Config:
    """Read and validate a config file; ``None`` gives the defaults."""
    if path is None:
        return Config()
    try:
        raw = path.read_bytes()[: MAX_CONFIG_BYTES + 1]
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the config file ({err.strerror})") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_CONFIG_BYTES >> 20} MiB; is this a config file?")
    try:
        data = load_yaml(raw.decode("utf-8"), str(path))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except (InputError, yaml.YAMLError) as err:
        raise ConfigError(f"{path}: {err}") from None
    return config_from_mapping(data if data is not None else {}, str(path))


def config_from_mapping(data: Any, source: str = "config") -> Config:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of settings")
    try:
        return Config.model_validate(data)
    except ValidationError as err:
        raise ConfigError(f"{source}: " + "; ".join(_describe(e) for e in err.errors())) from None


def _describe(error: Any) -> str:
    where = ""
    for part in error["loc"]:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message

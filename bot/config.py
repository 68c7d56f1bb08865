"""YAML → validated, frozen Config with path-qualified errors.

Defaults live here and nowhere else. Secrets never come from this file: only from the environment.
pydantic does the validation because its error locations give exactly the path a user needs
(``registry_mirrors.docker.io: …``); hand-written checks would re-implement that badly.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.errors import ConfigError, ImageRefError, InputError
from bot.model import DEFAULT_PLATFORMS, Platform
from bot.repo_names import check_repo_name
from bot.scan.image_ref import parse_image_ref
from bot.scan.yamlsafe import load_yaml

MAX_CONFIG_BYTES = 1 << 20


def _platform(item: Any) -> Platform:
    if isinstance(item, Platform):
        return item
    if not isinstance(item, str):
        raise ValueError(f"{item!r} is not a platform")  # pydantic turns ValueError into a located error
    return Platform.parse(item)


PlatformField = Annotated[Platform, BeforeValidator(_platform)]
RepoName = Annotated[str, AfterValidator(check_repo_name)]
_BUILD_ARG = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SEARCH_MAX = 256 - len(" is:issue is:open")  # GitHub refuses longer queries; the bot adds these two
_LABEL_MAX = 50  # GitHub's longest label name


def _argv(value: Any) -> Any:
    """A smoke command as YAML gives it: a list is the argv, a string is split the way a shell would."""
    if isinstance(value, str):
        try:
            value = shlex.split(value)
        except ValueError as err:
            raise ValueError(f"{value!r} cannot be split into words ({err})") from None
    if isinstance(value, list | tuple) and not value:
        raise ValueError("an empty command; leave the key out to use the image's own entrypoint")
    return value


def _build_arg_value(value: Any) -> Any:
    # YAML reads `VERSION: 18` as a number; a build arg is text either way. A bool is probably a mistake.
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _label(value: str) -> str:
    if not value.strip() or len(value) > _LABEL_MAX or "," in value:
        raise ValueError(f"{value!r} is not a GitHub label (1-{_LABEL_MAX} characters, no comma)")
    return value


LabelName = Annotated[str, AfterValidator(_label)]


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
    seconds_between_requests: Annotated[float, Field(ge=0, le=60)] = 0.07
    """Pacing of all API requests: under GitHub's secondary limit of 900 REST points a minute (a read is
    one point); writes are paced by ``seconds_between_writes``, GitHub's one second. 0 for your own server."""
    seconds_between_writes: Annotated[float, Field(ge=0, le=60)] = 1.0

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
    build_memory_mb: Annotated[int, Field(ge=64, le=1 << 20)] | None = 4096
    """MiB for the RUN steps of all builds at once (a cgroup given as --cgroup-parent); null: no limit."""
    build_pids: Annotated[int, Field(ge=16, le=1 << 22)] = 4096
    """Processes for the RUN steps of all builds at once, in the same cgroup."""


class TargetSettings(_Frozen):
    """One entry of ``targets:``: ``owner/repo`` alone, or a mapping with per-repository overrides."""

    repo: RepoName
    platforms: Annotated[tuple[PlatformField, ...], Field(min_length=1)] | None = None
    """None: the global ``platforms``."""
    skip_dockerfiles: tuple[str, ...] = ()
    """Repo-relative Dockerfiles the bot must neither build nor change."""
    image: str | None = None
    """The image the project publishes; when it already has every platform, there is nothing to do."""
    build_args: Mapping[str, Annotated[str, BeforeValidator(_build_arg_value)]] = Field(default_factory=dict)
    smoke_command: Annotated[tuple[str, ...], BeforeValidator(_argv)] | None = None
    """None: the image's own entrypoint with a --version/--help probe."""
    draft: bool | None = None
    labels: tuple[LabelName, ...] | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_name(cls, data: Any) -> Any:
        if isinstance(data, str):  # `- owner/repo`: checked here, so the error names the entry itself
            return {"repo": check_repo_name(data)}
        if not isinstance(data, Mapping | TargetSettings):
            raise ValueError(f"{data!r} is neither owner/repo nor a mapping with a repo key")
        return data

    @field_validator("skip_dockerfiles")
    @classmethod
    def _check_paths(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        normalised = []
        for path in value:
            pure = PurePosixPath(path)
            if not path.strip() or pure.is_absolute() or ".." in pure.parts or "\\" in path:
                raise ValueError(f"{path!r} is not a repo-relative path")
            normalised.append(str(pure))  # ./docker/Dockerfile and docker/Dockerfile are the same file
        return tuple(normalised)

    @field_validator("image")
    @classmethod
    def _check_image(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_image_ref(value)
            except ImageRefError as err:
                raise ValueError(str(err)) from None
        return value

    @field_validator("build_args")
    @classmethod
    def _check_build_args(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        for name in value:
            if not _BUILD_ARG.fullmatch(name):
                raise ValueError(f"{name!r} is not a build argument name")
        return dict(value)


class Sources(_Frozen):
    """Where targets come from besides ``targets:``: request issues, and upstream issues to link."""

    requests_repo: RepoName | None = None
    """A repository where people ask for a repo by opening an issue that names it (with ``label``)."""
    label: LabelName = "multiarch-request"
    """The opt-in label: only open issues in ``requests_repo`` that carry it are requests."""
    search: str | None = None
    """A GitHub issue search; each open issue found is a request (``is:issue is:open`` is implied)."""
    link_upstream_issues: bool = True
    """Find each target's open issues asking for arm64 (one search per repo) and link them from the PR."""
    max_requests: Annotated[int, Field(ge=1, le=1000)] = 100
    """Request issues read per run, both sources together; the rest wait for the next run."""
    dashboard: bool = False
    """Keep one issue in ``requests_repo`` listing every target's state, updated at the end of each run."""

    @field_validator("search")
    @classmethod
    def _check_search(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or len(value) > _SEARCH_MAX):
            raise ValueError(f"a search query is 1-{_SEARCH_MAX} characters (GitHub refuses longer ones)")
        return value


class Config(_Frozen):
    targets: tuple[TargetSettings, ...] = ()
    """The repositories to process, each ``owner/repo`` or a mapping with overrides."""
    sources: Sources = Sources()
    concurrency: Annotated[int, Field(ge=1, le=32)] = 2
    """Repositories processed at once."""
    cache_dir: Path | None = Path(".state/cache")
    """Registry digests and each repo's last-seen upstream HEAD, so an unchanged repo costs one API call;
    relative to the working directory; None: no cache."""
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

    @field_validator("targets")
    @classmethod
    def _check_duplicates(cls, value: tuple[TargetSettings, ...]) -> tuple[TargetSettings, ...]:
        first: dict[str, int] = {}
        for index, target in enumerate(value):
            key = target.repo.lower()  # GitHub names are case-insensitive
            if key in first:
                raise ValueError(f"targets[{first[key]}] and targets[{index}] both name {target.repo!r}")
            first[key] = index
        return value

    @field_validator("cache_dir", mode="before")
    @classmethod
    def _check_cache_dir(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():  # Path("") would quietly mean "."
            raise ValueError("an empty path; write null to disable the cache")
        return value


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
        raise ConfigError(f"{source}: " + "; ".join(_describe(e) for e in _root_causes(err))) from None


def _root_causes(err: ValidationError) -> list[Any]:
    """The errors without the "too short" that pydantic adds to a list after refusing its only item."""
    errors = err.errors()
    deeper = [tuple(e["loc"]) for e in errors]
    return [
        e
        for e in errors
        if e["type"] != "too_short"
        or not any(len(loc) > len(e["loc"]) and loc[: len(e["loc"])] == tuple(e["loc"]) for loc in deeper)
    ]


def _describe(error: Any) -> str:
    where = ""
    for part in error["loc"]:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message

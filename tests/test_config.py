"""Config: validated on load, with errors that say where."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import config_from_mapping, load_config
from bot.errors import ConfigError
from bot.model import ARM64, DEFAULT_PLATFORMS, Platform


def test_no_file_gives_the_defaults() -> None:
    config = load_config(None)
    assert config.platforms == DEFAULT_PLATFORMS
    assert dict(config.registry_mirrors) == {}


def test_mirrors_and_platforms_are_read(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "platforms: [linux/arm64/v8, linux/arm/v7]\nregistry_mirrors:\n  docker.io: 127.0.0.1:5000\n"
    )
    config = load_config(path)
    assert config.platforms == (ARM64, Platform("linux", "arm", "v7"))
    assert config.registry_mirrors == {"docker.io": "127.0.0.1:5000"}


def test_bad_platform_error_names_its_position() -> None:
    with pytest.raises(ConfigError, match=r"platforms\[1\]: 'linux/arm65' is not a platform"):
        config_from_mapping({"platforms": ["linux/amd64", "linux/arm65"]})


def test_unknown_key_is_an_error_not_ignored() -> None:
    with pytest.raises(ConfigError, match="registry_mirror: Extra inputs are not permitted"):
        config_from_mapping({"registry_mirror": {"docker.io": "x"}})


def test_nested_errors_are_path_qualified() -> None:
    with pytest.raises(ConfigError, match=r"registry\.timeout: Input should be greater than 0"):
        config_from_mapping({"registry": {"timeout": 0}})


def test_empty_platform_list_is_refused() -> None:
    with pytest.raises(ConfigError, match="platforms"):
        config_from_mapping({"platforms": []})


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_config(path)


def test_malformed_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("platforms: [linux/amd64\n")
    with pytest.raises(ConfigError, match=str(path)):
        load_config(path)


def test_yaml_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match=str(path)):
        load_config(path)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.yaml")


def test_github_settings_default_to_github_com_and_the_documented_branch() -> None:
    config = config_from_mapping({})
    assert config.github.api_url == "https://api.github.com"
    assert config.github.branch == "multiarch/arm64"
    assert config.github.reopen_declined is False


def test_an_enterprise_api_url_loses_its_trailing_slash() -> None:
    # PyGithub before 2.10 built `//user` from a trailing slash; the URL is stored without one
    config = config_from_mapping({"github": {"api_url": "https://ghe.example.com/api/v3/"}})
    assert config.github.api_url == "https://ghe.example.com/api/v3"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"github": {"branch": "bad branch"}}, "github.branch: 'bad branch' is not a valid branch name"),
        ({"github": {"branch": "-x"}}, "github.branch: '-x' is not a valid branch name"),
        ({"github": {"api_url": "ftp://x"}}, "github.api_url: 'ftp://x' is not an http(s) URL"),
        ({"github": {"token": "ghp_x"}}, "github.token: Extra inputs are not permitted"),
        ({"limits": {"prs_per_run": -1}}, "limits.prs_per_run: Input should be greater than or equal to 0"),
    ],
)
def test_bad_github_and_limit_settings_are_located(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config_from_mapping(settings)
    assert message in str(caught.value)

"""Config: validated on load, with errors that say where."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Config, Sources, TargetSettings, config_from_mapping, load_config
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


# ------------------------------------------------------------------------------------- targets and sources


def test_targets_are_names_or_mappings_with_overrides() -> None:
    config = config_from_mapping(
        {
            "targets": [
                "Azure/Azurite",
                {
                    "repo": "acme/tool",
                    "platforms": ["linux/arm64"],
                    "skip_dockerfiles": ["./test/Dockerfile"],
                    "image": "acme/tool:latest",
                    "build_args": {"VERSION": 18, "FLAVOUR": "slim"},
                    "smoke_command": "tool --version 'a b'",
                    "draft": True,
                    "labels": ["arm64"],
                },
            ]
        }
    )
    bare, full = config.targets
    assert (bare.repo, bare.platforms, bare.smoke_command, bare.draft) == ("Azure/Azurite", None, None, None)
    assert full.platforms == (ARM64,)
    assert full.skip_dockerfiles == ("test/Dockerfile",)
    assert dict(full.build_args) == {"VERSION": "18", "FLAVOUR": "slim"}
    assert full.smoke_command == ("tool", "--version", "a b")
    assert (full.draft, full.labels) == (True, ("arm64",))


def test_a_smoke_command_list_is_the_argv_as_given() -> None:
    config = config_from_mapping({"targets": [{"repo": "a/b", "smoke_command": ["sh", "-c", "x | y"]}]})
    assert config.targets[0].smoke_command == ("sh", "-c", "x | y")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"targets": ["a/b", "c/d", "e/f", {"repo": "g/h", "platforms": ["linux/arm65"]}]},
            r"targets\[3\]\.platforms\[0\]: 'linux/arm65' is not a platform",
        ),
        (
            {"targets": ["a/b", "nope"]},
            r"targets\[1\]: 'nope' is not a GitHub repository \(expected owner/repo\)",
        ),
        ({"targets": [{"repo": "-a/b"}]}, r"targets\[0\]\.repo: '-a/b' is not a GitHub repository"),
        ({"targets": [{"repo": "a/" + "x" * 101}]}, r"targets\[0\]\.repo: .* is not a GitHub repository"),
        ({"targets": [{"repo": "a/b.git"}]}, r"targets\[0\]\.repo: 'a/b\.git': write the repository without"),
        ({"targets": ["a/.."]}, r"targets\[0\]: 'a/\.\.' is not a GitHub repository name"),
        ({"targets": [12]}, r"targets\[0\]: 12 is neither owner/repo nor a mapping"),
        (
            {"targets": [{"repo": "a/b", "platform": []}]},
            r"targets\[0\]\.platform: Extra inputs are not permitted",
        ),
        (
            {"targets": [{"repo": "a/b", "smoke_command": "x 'y"}]},
            r"targets\[0\]\.smoke_command: .*cannot be split",
        ),
        (
            {"targets": [{"repo": "a/b", "smoke_command": ""}]},
            r"targets\[0\]\.smoke_command: an empty command",
        ),
        (
            {"targets": [{"repo": "a/b", "build_args": {"1X": "y"}}]},
            r"targets\[0\]\.build_args: '1X' is not a",
        ),
        (
            {"targets": [{"repo": "a/b", "image": "Not An Image"}]},
            r"targets\[0\]\.image: invalid image reference",
        ),
        (
            {"targets": [{"repo": "a/b", "skip_dockerfiles": ["../x"]}]},
            r"skip_dockerfiles: '\.\./x' is not a",
        ),
        (
            {"targets": [{"repo": "a/b", "labels": ["a,b"]}]},
            r"targets\[0\]\.labels\[0\]: 'a,b' is not a GitHub",
        ),
        ({"sources": {"requests_repo": "x"}}, r"sources\.requests_repo: 'x' is not a GitHub repository"),
        ({"sources": {"search": "x" * 300}}, r"sources\.search: a search query is 1-"),
        ({"sources": {"label": ""}}, r"sources\.label: '' is not a GitHub label"),
        (
            {"sources": {"max_requests": 0}},
            r"sources\.max_requests: Input should be greater than or equal to 1",
        ),
        ({"sources": {"requests": "a/b"}}, r"sources\.requests: Extra inputs are not permitted"),
        ({"concurrency": 33}, r"concurrency: Input should be less than or equal to 32"),
        ({"cache_dir": " "}, r"cache_dir: an empty path; write null to disable the cache"),
    ],
)
def test_bad_targets_and_sources_are_located(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_mapping(settings)


def test_a_refused_only_platform_gives_one_error_not_two() -> None:
    with pytest.raises(ConfigError) as caught:
        config_from_mapping({"targets": [{"repo": "a/b", "platforms": ["linux/arm65"]}]})
    assert "at least 1 item" not in str(caught.value)


def test_a_repository_listed_twice_is_refused_with_both_places() -> None:
    with pytest.raises(
        ConfigError, match=r"targets: targets\[0\] and targets\[2\] both name 'azure/azurite'"
    ):
        config_from_mapping({"targets": ["Azure/Azurite", "acme/tool", {"repo": "azure/azurite"}]})


def test_sources_concurrency_and_cache_have_documented_defaults() -> None:
    config = config_from_mapping({})
    assert config.targets == ()
    assert config.sources.requests_repo is None
    assert config.sources.label == "multiarch-request"
    assert config.sources.search is None
    assert config.sources.link_upstream_issues is True
    assert config.concurrency == 2
    assert config.cache_dir == Path(".state/cache")
    assert config_from_mapping({"cache_dir": None}).cache_dir is None


def test_the_shipped_example_loads_and_lists_azurite() -> None:
    example = Path(__file__).parents[1] / "config" / "example.yaml"
    config = load_config(example)
    assert "Azure/Azurite" in [target.repo for target in config.targets]
    text = example.read_text()
    documented = {*Config.model_fields, *(f"sources.{key}" for key in Sources.model_fields)}
    documented |= {f"targets.{key}" for key in TargetSettings.model_fields}
    for key in documented:  # every key appears in the example, so it doubles as the reference
        assert f"{key.rsplit('.', 1)[-1]}:" in text, key

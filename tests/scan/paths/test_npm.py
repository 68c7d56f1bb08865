"""package.json scripts, modeled on Azurite's before its arm64 change."""

from __future__ import annotations

import json

import pytest

from bot.errors import InputError
from bot.model import BuildKind
from bot.scan.paths import npm

AZURITE_IMAGE = "xstoreazurite.azurecr.io/public/azure-storage/azurite"
AZURITE_BUILD = (
    f'cross-var docker build --no-cache --rm -f \\"Dockerfile\\" -t {AZURITE_IMAGE}:$npm_package_version .'
)
AZURITE_PACKAGE = f"""\
{{
  "name": "azurite",
  "version": "3.17.1",
  "scripts": {{
    "build": "tsc",
    "docker:prebuild": "cross-var docker rmi {AZURITE_IMAGE}:$npm_package_version",
    "docker:build": "{AZURITE_BUILD}",
    "docker:publish": "cross-var docker push {AZURITE_IMAGE}:$npm_package_version",
    "docker:all": "npm run docker:build && npm run docker:publish"
  }}
}}
"""


def test_azurite_docker_build_script_is_the_one_direct_build_path() -> None:
    direct = [p for p in npm.find("package.json", AZURITE_PACKAGE) if p.via is None]
    assert len(direct) == 1
    (found,) = direct
    assert (found.kind, found.name, found.line) == (BuildKind.NPM, "docker:build", 7)
    assert (found.dockerfile, found.context) == ("Dockerfile", ".")
    assert found.tags == (f"{AZURITE_IMAGE}:$npm_package_version",)
    assert found.platforms == ()
    assert found.command.startswith("cross-var docker build --no-cache")


def test_rmi_and_push_scripts_are_not_build_paths() -> None:
    names = {p.name for p in npm.find("package.json", AZURITE_PACKAGE)}
    assert "docker:prebuild" not in names
    assert "docker:publish" not in names


def test_script_running_another_script_builds_through_it() -> None:
    (chained,) = [p for p in npm.find("package.json", AZURITE_PACKAGE) if p.name == "docker:all"]
    assert chained.via == "npm run docker:build"
    assert chained.command == "npm run docker:build"
    assert chained.dockerfile == "Dockerfile"
    assert chained.line == 9


def test_yarn_pnpm_and_run_s_globs_chain_too() -> None:
    scripts = {
        "image": "docker build -t app .",
        "y": "yarn image",
        "p": "pnpm run image",
        "all": "run-s im*",
        "nested": "yarn y",
    }
    found = npm.find("package.json", json.dumps({"scripts": scripts}, indent=2))
    via = {p.name: p.via for p in found if p.via}
    assert via == {
        "y": "yarn run image",
        "p": "pnpm run image",
        "all": "npm run image",
        "nested": "yarn run y",
    }


def test_pre_hook_that_builds_makes_the_main_script_build() -> None:
    scripts = {"predeploy": "docker build -t app .", "deploy": "kubectl apply -f k8s"}
    found = npm.find("package.json", json.dumps({"scripts": scripts}))
    assert {(p.name, p.via) for p in found} == {("predeploy", None), ("deploy", "npm run predeploy")}


def test_call_cycles_terminate() -> None:
    scripts = {"a": "npm run b", "b": "npm run a && docker build ."}
    found = npm.find("package.json", json.dumps({"scripts": scripts}))
    assert {(p.name, p.via) for p in found} == {("b", None), ("a", "npm run b"), ("b", "npm run a")}


def test_package_without_scripts_has_no_build_paths() -> None:
    assert npm.find("package.json", '{"name": "x"}') == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"scripts": {"a": "x",}}', "invalid JSON at line 1"),
        ("[1, 2]", "must hold a JSON object"),
        ('{"scripts": ["docker build ."]}', '"scripts" must be an object'),
        ("[" * 200 + "]" * 200, "nested more than 100 levels"),
    ],
)
def test_malformed_package_json_raises_input_error_naming_the_file(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as raised:
        npm.find("web/package.json", text)
    assert str(raised.value).startswith("web/package.json: ")


def test_script_lines_ignore_scripts_keys_nested_elsewhere() -> None:
    text = '{\n  "jest": {"scripts": {"docker": 1}},\n  "scripts": {\n    "docker": "x"\n  }\n}'
    assert npm.script_lines(text) == {"docker": 4}

"""Bake files."""

from __future__ import annotations

import json

import pytest

from bot.errors import InputError
from bot.model import BuildKind, BuildPath
from bot.scan.paths import bake

HCL = """\
variable "TAG" {
  default = "latest"
}
variable "DIR" {
  default = "services"
}
group "default" {
  targets = ["app", "worker"]
}
# settings every image shares
target "_common" {
  context = "${DIR}/app"
  platforms = ["linux/amd64", "linux/arm64"]
  args = {
    GO_VERSION = "1.22"
  }
}

target "app" {
  inherits = ["_common"]
  dockerfile = "app.Dockerfile"
  tags = ["ghcr.io/acme/app:${TAG}"]
  target = "runtime"
  output = ["type=registry"]
}

target "worker" {
  inherits = ["_common"]
  context = "worker"
}
"""


def by_name(text: str = HCL, path: str = "docker/docker-bake.hcl") -> dict[str, BuildPath]:
    return {p.name: p for p in bake.find(path, text)}


def test_inherits_supplies_context_platforms_and_args_with_variables_resolved() -> None:
    app = by_name()["app"]
    assert (app.kind, app.line, app.command) == (BuildKind.BAKE, 19, 'target "app"')
    assert (app.context, app.dockerfile) == ("services/app", "services/app/app.Dockerfile")
    assert app.platforms == ("linux/amd64", "linux/arm64")
    assert app.build_args == (("GO_VERSION", "1.22"),)
    assert (app.target, app.pushes) == ("runtime", True)
    assert app.tags == ("ghcr.io/acme/app:${TAG}",)  # tags keep the text as written


def test_own_attributes_override_inherited_ones() -> None:
    worker = by_name()["worker"]
    assert (worker.context, worker.dockerfile, worker.pushes) == ("worker", "worker/Dockerfile", False)


def test_a_target_only_inherited_from_is_not_a_build_path() -> None:
    assert set(by_name()) == {"app", "worker"}


def test_unresolvable_expressions_stay_as_written() -> None:
    found = by_name('target "x" {\n  context = BASE\n  platforms = split(",", PLATFORMS)\n}\n')["x"]
    assert found.context == "${BASE}"
    assert found.platforms == ('${split(",", PLATFORMS)}',)


def test_json_bake_file_with_a_group() -> None:
    document = {
        "group": {"default": {"targets": ["app"]}},
        "target": {"app": {"dockerfile": "Dockerfile", "target": "runtime", "platforms": ["linux/arm64"]}},
    }
    app = by_name(json.dumps(document, indent=2), "docker-bake.json")["app"]
    assert (app.dockerfile, app.target, app.platforms) == ("Dockerfile", "runtime", ("linux/arm64",))


def test_invalid_hcl_raises_input_error() -> None:
    with pytest.raises(InputError, match=r"docker-bake\.hcl: invalid HCL"):
        bake.find("docker-bake.hcl", 'target "x" {')

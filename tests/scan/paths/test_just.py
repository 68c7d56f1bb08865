"""justfile recipes."""

from __future__ import annotations

from bot.model import BuildKind
from bot.scan.paths import just

JUSTFILE = """\
image := "ghcr.io/acme/app"

# build the image
[linux]
build tag="latest": lint
    @echo building
    docker build -t {{ image }}:{{tag}} \\
        -f deploy/Dockerfile .

lint:
    hadolint deploy/Dockerfile

release: build
    docker push {{image}}

scripted:
    #!/usr/bin/env bash
    set -euo pipefail
    podman build -t x ./ctx
"""


def test_recipe_line_with_interpolations_keeps_them_as_written() -> None:
    (found,) = [p for p in just.find("justfile", JUSTFILE) if p.name == "build"]
    assert (found.kind, found.line) == (BuildKind.JUST, 7)
    assert found.tags == ("{{ image }}:{{tag}}",)
    assert found.command.startswith("docker build -t {{ image }}:{{tag}}")
    assert (found.dockerfile, found.context) == ("deploy/Dockerfile", ".")


def test_shebang_recipe_is_scanned_as_one_script() -> None:
    (found,) = [p for p in just.find("justfile", JUSTFILE) if p.name == "scripted"]
    assert (found.line, found.context, found.dockerfile) == (19, "ctx", "ctx/Dockerfile")


def test_dependency_on_a_building_recipe_is_an_indirect_build() -> None:
    (found,) = [p for p in just.find("justfile", JUSTFILE) if p.name == "release"]
    assert found.via == "just build"


def test_lint_and_assignments_are_not_build_paths() -> None:
    assert {p.name for p in just.find("justfile", JUSTFILE)} == {"build", "scripted", "release"}

"""Makefile recipes: targets, $(VAR) kept, prefixes, continuations, tool variables, chains."""

from __future__ import annotations

from bot.model import BuildKind, BuildPath
from bot.scan.paths import make

MAKEFILE = """\
IMAGE ?= ghcr.io/acme/app
VERSION := $(shell git describe --tags)
DOCKER ?= docker
DOCKER_CMD = $(DOCKER) buildx

.PHONY: build push release multiarch

build:
\t@echo "building $(IMAGE)"
\t-$(DOCKER) build \\
\t\t--build-arg VERSION=$(VERSION) \\
\t\t-t $(IMAGE):$(VERSION) \\
\t\t-f docker/Dockerfile .

# pushes what build built
push: build
\tdocker push $(IMAGE):$(VERSION)

multiarch: ; $(DOCKER_CMD) build --platform linux/amd64,linux/arm64 -t $(IMAGE) --push .

release:
\t$(MAKE) push
"""


def by_name(text: str = MAKEFILE) -> dict[str, list[BuildPath]]:
    grouped: dict[str, list[BuildPath]] = {}
    for found in make.find("Makefile", text):
        grouped.setdefault(found.name, []).append(found)
    return grouped


def test_recipe_with_prefix_and_continuations_is_one_build_under_its_target() -> None:
    (found,) = by_name()["build"]
    assert (found.kind, found.line) == (BuildKind.MAKE, 10)
    assert found.dockerfile == "docker/Dockerfile"
    assert found.context == "."
    assert found.tags == ("$(IMAGE):$(VERSION)",)
    assert found.build_args == (("VERSION", "$(VERSION)"),)


def test_tool_variable_resolves_but_the_command_is_reported_as_written() -> None:
    (found,) = by_name()["build"]
    assert found.command.startswith("$(DOCKER) build --build-arg")
    (multiarch,) = by_name()["multiarch"]
    assert multiarch.command.startswith("$(DOCKER_CMD) build --platform")
    assert multiarch.platforms == ("linux/amd64", "linux/arm64")
    assert multiarch.pushes


def test_prerequisite_and_recursive_make_calls_build_through_the_called_target() -> None:
    (push,) = by_name()["push"]
    assert (push.via, push.line, push.dockerfile) == ("make build", 16, "docker/Dockerfile")
    assert {p.via for p in by_name()["release"]} == {"make push"}


def test_phony_and_variable_lines_are_not_targets() -> None:
    assert set(by_name()) == {"build", "push", "multiarch", "release"}


def test_each_recipe_line_is_its_own_shell_so_cd_does_not_carry_over() -> None:
    text = "image:\n\tcd docker && docker build -t a .\n\tdocker build -t b .\n"
    assert [p.context for p in make.find("Makefile", text)] == ["docker", "."]


def test_dollar_dollar_reaches_the_shell_as_one_dollar() -> None:
    (found,) = make.find("Makefile", "image:\n\tdocker build -t app:$$(git rev-parse HEAD) .\n")
    assert found.tags == ("app:$(git rev-parse HEAD)",)


def test_makefile_without_docker_has_no_build_paths() -> None:
    assert make.find("Makefile", "all:\n\tgo build ./...\n") == []

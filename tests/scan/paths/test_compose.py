"""Compose files."""

from __future__ import annotations

import pytest

from bot.errors import InputError
from bot.model import BuildKind
from bot.scan.paths import compose

COMPOSE = """\
services:
  web:
    build: ./web
    image: ghcr.io/acme/web:${TAG:-latest}
  api:
    image: acme/api
    build:
      context: api
      dockerfile: docker/Dockerfile.prod
      args:
        - VERSION=1
        - FROM_ENV
      target: runtime
      platforms: [linux/amd64, linux/arm64]
  inline:
    build:
      dockerfile_inline: FROM alpine
  db:
    image: postgres:16
"""


def test_build_string_with_image_as_the_tag() -> None:
    web = compose.find("deploy/compose.yaml", COMPOSE)[0]
    assert (web.kind, web.name, web.line) == (BuildKind.COMPOSE, "web", 3)
    assert (web.context, web.dockerfile) == ("web", "web/Dockerfile")
    assert web.tags == ("ghcr.io/acme/web:${TAG:-latest}",)


def test_build_mapping_dockerfile_is_relative_to_its_context() -> None:
    api = compose.find("deploy/compose.yaml", COMPOSE)[1]
    assert (api.line, api.context, api.dockerfile) == (7, "api", "api/docker/Dockerfile.prod")
    assert api.build_args == (("VERSION", "1"), ("FROM_ENV", None))
    assert (api.target, api.platforms) == ("runtime", ("linux/amd64", "linux/arm64"))


def test_inline_dockerfile_has_no_file_and_image_only_services_are_skipped() -> None:
    found = compose.find("deploy/compose.yaml", COMPOSE)
    assert [p.name for p in found] == ["web", "api", "inline"]
    assert found[2].dockerfile is None


def test_services_must_be_a_mapping() -> None:
    with pytest.raises(InputError, match="`services` must map"):
        compose.find("compose.yaml", "services: [web]\n")

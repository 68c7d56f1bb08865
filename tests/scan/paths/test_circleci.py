"""CircleCI."""

from __future__ import annotations

from bot.model import BuildKind, BuildPath
from bot.scan.paths import circleci

CONFIG = """\
version: 2.1
orbs:
  dock: circleci/docker@2.5.0
jobs:
  build:
    docker:
      - image: cimg/base:stable
    steps:
      - checkout
      - setup_remote_docker
      - run: docker build -t acme/app:$CIRCLE_SHA1 .
      - run:
          name: Build worker
          working_directory: services
          command: |
            docker buildx build --platform linux/amd64 -f worker/Dockerfile worker
      - dock/build:
          image: acme/api
          tag: latest,$CIRCLE_TAG
          path: api
          extra_build_args: --build-arg X=1
workflows:
  main:
    jobs:
      - build
      - dock/publish:
          image: acme/web
          dockerfile: web.Dockerfile
"""


def by_name() -> dict[str, BuildPath]:
    return {p.name: p for p in circleci.find(".circleci/config.yml", CONFIG)}


def test_run_string_and_command_mapping_are_both_build_paths() -> None:
    found = by_name()
    assert (found["build"].kind, found["build"].line, found["build"].context) == (BuildKind.CIRCLECI, 11, ".")
    worker = found["build: Build worker"]
    assert (worker.line, worker.dockerfile, worker.context) == (
        16,
        "services/worker/Dockerfile",
        "services/worker",
    )
    assert worker.platforms == ("linux/amd64",)


def test_aliased_orb_build_step_reads_path_tags_and_extra_args() -> None:
    api = by_name()["build: dock/build"]
    assert (api.dockerfile, api.context) == ("api/Dockerfile", "api")
    assert api.tags == ("docker.io/acme/api:latest", "docker.io/acme/api:$CIRCLE_TAG")
    assert api.build_args == (("X", "1"),)
    assert not api.pushes


def test_orb_publish_job_in_a_workflow_builds_and_pushes() -> None:
    web = by_name()["main: dock/publish"]
    assert (web.line, web.dockerfile, web.pushes) == (26, "web.Dockerfile", True)
    assert web.tags == ("docker.io/acme/web:$CIRCLE_SHA1",)

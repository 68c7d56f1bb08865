"""GitLab CI."""

from __future__ import annotations

import pytest

from bot.errors import InputError
from bot.model import BuildKind
from bot.scan.paths import gitlab_ci

GITLAB = """\
stages: [build]
variables:
  IMAGE: $CI_REGISTRY_IMAGE
.docker:
  image: docker:24
  services: [docker:24-dind]
  before_script:
    - docker login -u $CI_REGISTRY_USER -p $CI_REGISTRY_PASSWORD $CI_REGISTRY
  script:
    - docker build -t $IMAGE:$CI_COMMIT_SHA .
build:
  extends: .docker
  stage: build
deploy:
  extends: .docker
  script:
    - docker push $IMAGE:$CI_COMMIT_SHA
kaniko:
  image:
    name: gcr.io/kaniko-project/executor:debug
    entrypoint: [""]
  script:
    - !reference [.docker, before_script]
    - >-
      /kaniko/executor
      --context "${CI_PROJECT_DIR}"
      --dockerfile "${CI_PROJECT_DIR}/docker/Dockerfile"
      --destination "${CI_REGISTRY_IMAGE}:${CI_COMMIT_TAG}"
"""


def test_job_inherits_its_docker_build_through_extends_at_the_templates_line() -> None:
    found = [p for p in gitlab_ci.find(".gitlab-ci.yml", GITLAB) if p.name == "build"]
    assert [(p.kind, p.line, p.context, p.tags) for p in found] == [
        (BuildKind.GITLAB_CI, 10, ".", ("$IMAGE:$CI_COMMIT_SHA",))
    ]


def test_job_overriding_script_does_not_inherit_the_build() -> None:
    assert not [p for p in gitlab_ci.find(".gitlab-ci.yml", GITLAB) if p.name == "deploy"]


def test_hidden_templates_are_not_reported_themselves() -> None:
    assert ".docker" not in {p.name for p in gitlab_ci.find(".gitlab-ci.yml", GITLAB)}


def test_kaniko_executor_counts_as_a_pushing_build_path() -> None:
    (found,) = [p for p in gitlab_ci.find(".gitlab-ci.yml", GITLAB) if p.name == "kaniko"]
    assert found.line == 25
    assert found.dockerfile == "${CI_PROJECT_DIR}/docker/Dockerfile"
    assert found.context == "${CI_PROJECT_DIR}"
    assert found.pushes


def test_reference_tag_pulls_in_the_named_lines() -> None:
    snippets = [s for s in gitlab_ci.scan(".gitlab-ci.yml", GITLAB).snippets if s.name == "kaniko"]
    assert snippets[0].text.startswith("docker login")
    assert snippets[0].line == 8


def test_top_level_sequence_is_malformed() -> None:
    with pytest.raises(InputError, match="must be a YAML mapping"):
        gitlab_ci.find(".gitlab-ci.yml", "- a\n- b\n")

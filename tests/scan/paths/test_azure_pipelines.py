"""Azure Pipelines, modeled on Azurite's pipeline before its arm64 change."""

from __future__ import annotations

import pytest

from bot.errors import InputError
from bot.model import BuildKind
from bot.scan.paths import azure_pipelines

AZURITE_PIPELINE = """\
trigger:
  - main
stages:
  - stage: Build
    jobs:
      - job: docker
        displayName: Docker image
        pool:
          vmImage: ubuntu-latest
        steps:
          - task: NodeTool@0
            inputs:
              versionSpec: 18.x
          - script: npm ci
            workingDirectory: $(System.DefaultWorkingDirectory)
          - script: npm run docker:build
            displayName: docker build
          - script: docker run xstoreazurite.azurecr.io/public/azure-storage/azurite:latest azurite -v
            displayName: docker run
"""


def test_docker_run_step_is_not_a_build_path() -> None:
    assert azure_pipelines.find("azure-pipelines.yml", AZURITE_PIPELINE) == []


def test_script_steps_are_snippets_named_by_job_and_display_name() -> None:
    snippets = azure_pipelines.scan("azure-pipelines.yml", AZURITE_PIPELINE).snippets
    assert [(s.line, s.name, s.text) for s in snippets][1:] == [
        (16, "docker: docker build", "npm run docker:build"),
        (
            18,
            "docker: docker run",
            "docker run xstoreazurite.azurecr.io/public/azure-storage/azurite:latest azurite -v",
        ),
    ]


DOCKER_TASKS = """\
steps:
  - task: Docker@2
    displayName: Build and push
    inputs:
      command: buildAndPush
      containerRegistry: acr
      repository: public/azure-storage/azurite
      Dockerfile: docker/Dockerfile
      tags: |
        latest
        $(Build.BuildId)
      arguments: --platform linux/arm64
  - task: Docker@2
    inputs:
      command: build
      arguments: --build-arg VERSION=1 --target runtime
  - task: Docker@2
    inputs:
      command: push
      repository: acme/app
  - bash: docker buildx build --platform linux/amd64,linux/arm64 -t acme/app .
"""


def test_docker2_build_and_push_reads_repository_tags_and_ignores_arguments() -> None:
    found = azure_pipelines.find("pipelines/ci.yml", DOCKER_TASKS)[0]
    assert (found.kind, found.line, found.name) == (BuildKind.AZURE_PIPELINES, 2, "Build and push")
    assert (found.dockerfile, found.context) == ("docker/Dockerfile", "docker")
    assert found.tags == (
        "public/azure-storage/azurite:latest",
        "public/azure-storage/azurite:$(Build.BuildId)",
    )
    assert found.pushes
    assert found.platforms == ()  # the task drops `arguments` for buildAndPush


def test_docker2_build_defaults_to_a_dockerfile_glob_and_reads_arguments() -> None:
    found = azure_pipelines.find("pipelines/ci.yml", DOCKER_TASKS)[1]
    assert (found.dockerfile, found.context) == ("**/Dockerfile", "**")
    assert found.build_args == (("VERSION", "1"),)
    assert (found.target, found.pushes) == ("runtime", False)


def test_push_task_is_not_a_build_and_bash_step_is() -> None:
    found = azure_pipelines.find("pipelines/ci.yml", DOCKER_TASKS)
    assert len(found) == 3
    assert found[2].platforms == ("linux/amd64", "linux/arm64")


def test_bash_task_script_file_becomes_a_snippet_call() -> None:
    text = "steps:\n  - task: Bash@3\n    inputs:\n      filePath: scripts/build.sh\n"
    (snippet,) = azure_pipelines.scan("azure-pipelines.yml", text).snippets
    assert snippet.text == "bash scripts/build.sh"


def test_malformed_pipeline_raises_input_error() -> None:
    with pytest.raises(InputError, match="must be a YAML mapping"):
        azure_pipelines.find("azure-pipelines.yml", "just a string")

"""discover(): classification, path resolution, problems, and calls followed between build files."""

from __future__ import annotations

import json

import pytest

from bot.model import BuildKind, BuildPath
from bot.scan.discover import build_file_kind, candidate_files, classify, discover, is_dockerfile_name
from tests.scan.paths.test_azure_pipelines import AZURITE_PIPELINE
from tests.scan.paths.test_npm import AZURITE_IMAGE, AZURITE_PACKAGE
from tests.scan.test_yamlsafe import BILLION_LAUGHS


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("Dockerfile", True),
        ("docker/app.Dockerfile", True),
        ("build/api.dockerfile", True),
        ("Dockerfile.prod", True),
        ("Containerfile", True),
        ("Containerfile.arm64", True),
        ("Dockerfile.md", False),
        ("Dockerfile.txt", False),
        ("Dockerfile.orig", False),
        ("Dockerfile.rej", False),
        ("app.Dockerfile.dockerignore", False),
        ("Dockerfile.j2", False),
        ("Dockerfiles/README", False),
        ("docs/dockerfile-guide.md", False),
        (".dockerfile", False),
    ],
)
def test_dockerfile_names(path: str, expected: bool) -> None:
    assert is_dockerfile_name(path) is expected


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("package.json", BuildKind.NPM),
        ("node_modules/x/package.json", None),
        ("Makefile", BuildKind.MAKE),
        ("build/rules.mk", BuildKind.MAKE),
        ("justfile", BuildKind.JUST),
        ("scripts/build.sh", BuildKind.SHELL),
        (".github/workflows/ci.yml", BuildKind.GITHUB_ACTIONS),
        (".github/workflows/sub/ci.yml", None),
        (".github/actions/build/action.yaml", BuildKind.GITHUB_ACTIONS),
        ("azure-pipelines.yml", BuildKind.AZURE_PIPELINES),
        (".azure-pipelines/templates/build.yml", BuildKind.AZURE_PIPELINES),
        ("release.azure-pipelines.yml", BuildKind.AZURE_PIPELINES),
        (".gitlab-ci.yml", BuildKind.GITLAB_CI),
        (".circleci/config.yml", BuildKind.CIRCLECI),
        ("docker-bake.hcl", BuildKind.BAKE),
        ("docker-bake.override.json", BuildKind.BAKE),
        ("docker-compose.yml", BuildKind.COMPOSE),
        ("deploy/docker-compose.prod.yaml", BuildKind.COMPOSE),
        ("compose.yaml", BuildKind.COMPOSE),
        ("k8s/deployment.yaml", None),
        ("./Makefile", BuildKind.MAKE),
    ],
)
def test_build_file_kind_by_name(path: str, kind: BuildKind | None) -> None:
    assert build_file_kind(path) == kind


def test_candidates_include_possible_scripts_and_pipelines_but_not_docs_or_dependencies() -> None:
    paths = [
        "README.md",
        "LICENSE",
        "Makefile",
        "bin/release",
        "ci/build.yml",
        "node_modules/a/package.json",
        "x.py",
    ]
    assert candidate_files(paths) == ["Makefile", "bin/release", "ci/build.yml"]


def test_content_decides_for_extensionless_scripts_and_unnamed_azure_pipelines() -> None:
    assert classify("bin/release", "#!/usr/bin/env bash\ndocker build .\n") is BuildKind.SHELL
    assert classify("bin/release", "binary-ish text") is None
    assert classify("ci/build.yml", "steps:\n  - task: Docker@2\n") is BuildKind.AZURE_PIPELINES
    assert classify("k8s/app.yaml", "kind: Deployment\nspec: {}\n") is None


# ---------------------------------------------------------------------------------------- Azurite


def azurite() -> list[BuildPath]:
    files = {"package.json": AZURITE_PACKAGE, "azure-pipelines.yml": AZURITE_PIPELINE}
    return list(discover(files).build_paths)


def test_azurite_pipeline_step_builds_via_the_npm_script() -> None:
    (step,) = [p for p in azurite() if p.kind is BuildKind.AZURE_PIPELINES]
    assert (step.path, step.line, step.name) == ("azure-pipelines.yml", 16, "docker: docker build")
    assert (step.via, step.command) == ("npm run docker:build", "npm run docker:build")
    assert (step.dockerfile, step.context) == ("Dockerfile", ".")
    assert step.tags == (f"{AZURITE_IMAGE}:$npm_package_version",)


def test_azurite_docker_run_step_is_not_a_build_path() -> None:
    assert not [p for p in azurite() if "docker run" in p.command]


def test_azurite_lists_each_build_path_once() -> None:
    found = azurite()
    assert len(found) == len(set(found)) == 3  # the script, docker:all through it, the pipeline step


# ------------------------------------------------------------------------------------- following


def test_ci_steps_reach_make_targets_and_scripts_in_other_directories() -> None:
    workflow = (
        "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: make -C services image\n"
        "      - run: ./scripts/build.sh\n"
        "      - run: make lint\n"
    )
    files = {
        ".github/workflows/ci.yml": workflow,
        "services/Makefile": "image:\n\tdocker build -t svc -f api/Dockerfile api\nlint:\n\techo ok\n",
        "scripts/build.sh": '#!/bin/sh\ncd "$(dirname "$0")/.."\ndocker build -t root .\n',
    }
    found = [p for p in discover(files).build_paths if p.kind is BuildKind.GITHUB_ACTIONS]
    assert [(p.line, p.via, p.dockerfile) for p in found] == [
        (6, "make -C services image", "services/api/Dockerfile"),
        (7, "./scripts/build.sh", "Dockerfile"),
    ]


def test_calls_chain_across_files_and_honour_working_directory() -> None:
    workflow = "on: push\njobs:\n  j:\n    steps:\n      - run: yarn image\n        working-directory: web\n"
    files = {
        ".github/workflows/ci.yml": workflow,
        "web/package.json": json.dumps({"scripts": {"image": "make docker"}}),
        "web/Makefile": "docker:\n\tdocker buildx build --platform linux/arm64 .\n",
    }
    found = {(p.path, p.name): p for p in discover(files).build_paths}
    step = found[(".github/workflows/ci.yml", "j: step 1")]
    assert (step.via, step.dockerfile, step.platforms) == (
        "yarn run image",
        "web/Dockerfile",
        ("linux/arm64",),
    )
    assert found[("web/package.json", "image")].via == "make docker"


def test_a_call_to_an_unknown_entry_point_is_not_a_build_path() -> None:
    files = {".gitlab-ci.yml": "test:\n  script:\n    - npm run docker:build\n"}
    assert discover(files).build_paths == ()


# ------------------------------------------------------------------------------------- resolution


def test_compose_and_bake_paths_resolve_from_their_own_directory() -> None:
    files = {
        "deploy/docker-compose.yml": "services:\n  web:\n    build: ../web\n",
        "docker/docker-bake.hcl": 'target "api" {\n  context = "../api"\n}\n',
    }
    found = {p.kind: (p.dockerfile, p.context) for p in discover(files).build_paths}
    assert found == {BuildKind.COMPOSE: ("web/Dockerfile", "web"), BuildKind.BAKE: ("api/Dockerfile", "api")}


def test_ci_workspace_variables_mean_the_repository_root() -> None:
    script = (
        '/kaniko/executor --context "$CI_PROJECT_DIR/app" --dockerfile "${CI_PROJECT_DIR}/app/Dockerfile"'
    )
    files = {".gitlab-ci.yml": f"kaniko:\n  script:\n    - {script}\n"}
    (found,) = discover(files).build_paths
    assert (found.dockerfile, found.context) == ("app/Dockerfile", "app")


def test_paths_leaving_the_repository_or_absolute_become_problems() -> None:
    files = {"app/build.sh": "docker build -f ../../other/Dockerfile .\ndocker build -f /etc/Dockerfile .\n"}
    result = discover(files)
    assert [p.dockerfile for p in result.build_paths] == [None, None]
    assert [p.context for p in result.build_paths] == ["app", "app"]
    assert [(p.path, p.message) for p in result.problems] == [
        ("app/build.sh", "line 1: Dockerfile path '../../other/Dockerfile' points outside the repository"),
        (
            "app/build.sh",
            "line 2: Dockerfile path '/etc/Dockerfile' "
            "is absolute, so it cannot name a file of this repository",
        ),
    ]


def test_variables_in_paths_leave_them_unknown_without_a_problem() -> None:
    files = {"build.sh": "docker build -f $DOCKERFILE -t $IMAGE $CONTEXT\n"}
    result = discover(files)
    (found,) = result.build_paths
    assert (found.dockerfile, found.context, found.command) == (
        None,
        None,
        "docker build -f $DOCKERFILE -t $IMAGE $CONTEXT",
    )
    assert result.problems == ()


def test_azure_dockerfile_glob_resolves_when_exactly_one_dockerfile_matches() -> None:
    pipeline = "steps:\n  - task: Docker@2\n    inputs:\n      command: build\n"
    (found,) = discover(
        {"azure-pipelines.yml": pipeline}, all_paths=["src/app/Dockerfile", "README.md"]
    ).build_paths
    assert (found.dockerfile, found.context) == ("src/app/Dockerfile", "src/app")
    two = discover({"azure-pipelines.yml": pipeline}, all_paths=["a/Dockerfile", "b/Dockerfile"]).build_paths
    assert two[0].dockerfile is None


def test_script_run_from_the_root_resolves_from_the_root_when_only_that_file_exists() -> None:
    files = {"scripts/image.sh": "docker build -f docker/app.Dockerfile .\n"}
    (found,) = discover(files, all_paths=["docker/app.Dockerfile"]).build_paths
    assert (found.dockerfile, found.context) == ("docker/app.Dockerfile", ".")


def test_named_dockerfiles_lists_files_the_name_patterns_miss() -> None:
    files = {"Makefile": "a:\n\tdocker build -f build/app.prod .\nb:\n\tdocker build -f x.Dockerfile .\n"}
    assert discover(files).named_dockerfiles == ("build/app.prod",)


# ---------------------------------------------------------------------------------------- problems


def test_malformed_files_become_problems_and_the_rest_is_still_scanned() -> None:
    files = {
        "package.json": '{"scripts": {"x": "docker build ."},}',
        "web/package.json": "[" * 1000 + "]" * 1000,
        ".github/workflows/bomb.yml": BILLION_LAUGHS,
        "docker-bake.hcl": 'target "x" {',
        "Makefile": "image:\n\tdocker build .\n",
    }
    result = discover(files)
    assert [p.path for p in result.build_paths] == ["Makefile"]
    messages = {p.path: p.message for p in result.problems}
    assert set(messages) == {
        "package.json",
        "web/package.json",
        ".github/workflows/bomb.yml",
        "docker-bake.hcl",
    }
    assert "invalid JSON" in messages["package.json"]
    assert "nested more than 100 levels" in messages["web/package.json"]
    assert "alias bomb" in messages[".github/workflows/bomb.yml"]
    assert "invalid HCL" in messages["docker-bake.hcl"]


def test_files_of_no_build_kind_are_ignored() -> None:
    assert discover({"README.md": "docker build .", "src/main.py": "print()"}).build_paths == ()

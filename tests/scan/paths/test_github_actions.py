"""GitHub Actions workflows."""

from __future__ import annotations

import pytest

from bot.errors import InputError
from bot.model import BuildKind
from bot.scan.paths import github_actions

WORKFLOW = "tests/.github/workflows/docker.yml"

RELEASE = """\
name: release
on:
  push:
    tags: ["v*"]
jobs:
  image:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Build and push app
        uses: docker/build-push-action@4f58ea79222b3b9dc2c8bbdd6debcef730109a75 # v6.9.0
        with:
          context: ./app
          file: ./app/Dockerfile.prod
          push: ${{ github.event_name != 'pull_request' }}
          tags: |
            ghcr.io/acme/app:latest
            ghcr.io/acme/app:${{ github.ref_name }}
          build-args: |
            VERSION=${{ github.ref_name }}
            COMMIT
          target: runtime
      - name: Build worker
        uses: docker/build-push-action@v5
        with:
          tags: ghcr.io/acme/worker:latest,ghcr.io/acme/worker:edge
          platforms: linux/amd64,linux/arm64
"""


def test_build_push_action_pinned_by_sha_with_multiline_tags() -> None:
    app = github_actions.find(WORKFLOW, RELEASE)[0]
    assert (app.kind, app.line, app.name) == (BuildKind.GITHUB_ACTIONS, 10, "image: Build and push app")
    assert app.command == "uses: docker/build-push-action@4f58ea79222b3b9dc2c8bbdd6debcef730109a75"
    assert (app.context, app.dockerfile, app.target) == ("app", "app/Dockerfile.prod", "runtime")
    assert app.tags == ("ghcr.io/acme/app:latest", "ghcr.io/acme/app:${{ github.ref_name }}")
    assert app.build_args == (("VERSION", "${{ github.ref_name }}"), ("COMMIT", None))
    assert app.pushes  # an expression pushes on some runs
    assert app.platforms == ()


def test_two_build_steps_in_one_job_are_two_paths_with_defaults_for_the_second() -> None:
    found = github_actions.find(WORKFLOW, RELEASE)
    assert [p.name for p in found] == ["image: Build and push app", "image: Build worker"]
    worker = found[1]
    assert (worker.context, worker.dockerfile) == (".", "Dockerfile")
    assert worker.tags == ("ghcr.io/acme/worker:latest", "ghcr.io/acme/worker:edge")
    assert worker.platforms == ("linux/amd64", "linux/arm64")
    assert not worker.pushes


MATRIX = """\
on: push
jobs:
  build:
    strategy:
      matrix:
        platform: [linux/amd64, linux/arm64]
        image: [api, web]
        exclude:
          - image: web
            platform: linux/arm64
    runs-on: ubuntu-latest
    steps:
      - uses: docker/build-push-action@v6
        with:
          context: ${{ matrix.image }}
          platforms: ${{ matrix.platform }}
"""


def test_matrix_expands_per_image_and_unites_platforms_of_the_same_build() -> None:
    found = {p.context: p.platforms for p in github_actions.find(WORKFLOW, MATRIX)}
    assert found == {"api": ("linux/amd64", "linux/arm64"), "web": ("linux/amd64",)}


def test_matrix_include_only_rows_each_become_a_combination() -> None:
    text = MATRIX.replace(
        "        platform: [linux/amd64, linux/arm64]\n        image: [api, web]\n"
        "        exclude:\n          - image: web\n            platform: linux/arm64\n",
        "        include:\n          - {image: api, platform: linux/arm64}\n"
        "          - {image: web, platform: linux/amd64}\n",
    )
    found = {p.context: p.platforms for p in github_actions.find(WORKFLOW, text)}
    assert found == {"api": ("linux/arm64",), "web": ("linux/amd64",)}


RUN_CHAIN = """\
on: push
defaults:
  run:
    working-directory: services
jobs:
  docker:
    runs-on: ubuntu-latest
    steps:
      - name: build, tag, push
        run: |
          docker build -t api:${{ github.sha }} -f api/Dockerfile api
          docker tag api:${{ github.sha }} ghcr.io/acme/api:latest
          docker push ghcr.io/acme/api:latest
      - name: bake
        run: docker buildx bake --push
        working-directory: .
"""


def test_run_step_build_tag_push_chain_is_one_build_at_its_own_line() -> None:
    found = github_actions.find(WORKFLOW, RUN_CHAIN)
    build = found[0]
    assert (build.line, build.name) == (11, "docker: build, tag, push")
    assert (build.dockerfile, build.context) == ("services/api/Dockerfile", "services/api")
    assert build.command == "docker build -t api:${{ github.sha }} -f api/Dockerfile api"


def test_run_step_bake_is_a_build_path_without_a_dockerfile() -> None:
    bake = github_actions.find(WORKFLOW, RUN_CHAIN)[1]
    assert (bake.command, bake.dockerfile, bake.pushes) == ("docker buildx bake --push", None, True)


def test_workflow_that_only_echoes_linux_amd64_has_no_build_paths() -> None:
    text = """\
on: push
jobs:
  info:
    runs-on: ubuntu-latest
    steps:
      - run: echo "this project ships linux/amd64 only"
      - run: docker run --platform linux/amd64 alpine uname -m
"""
    assert github_actions.find(WORKFLOW, text) == []


def test_bake_action_reads_platforms_from_set() -> None:
    text = """\
on: push
jobs:
  bake:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/bake-action@v5
        with:
          push: true
          set: |
            *.platform=linux/amd64,linux/arm64
"""
    (found,) = github_actions.find(WORKFLOW, text)
    assert (found.platforms, found.pushes, found.dockerfile) == (("linux/amd64", "linux/arm64"), True, None)


def test_composite_action_steps_are_scanned() -> None:
    text = "name: build\nruns:\n  using: composite\n  steps:\n    - run: docker build .\n      shell: bash\n"
    (found,) = github_actions.find(".github/actions/build/action.yml", text)
    assert (found.line, found.context) == (5, ".")


def test_run_snippets_are_kept_for_call_following() -> None:
    text = (
        "on: push\njobs:\n  j:\n    steps:\n"
        "      - run: npm run docker:build\n        working-directory: web\n"
    )
    (snippet,) = github_actions.scan(WORKFLOW, text).snippets
    assert (snippet.line, snippet.name, snippet.text, snippet.workdir) == (
        5,
        "j: step 1",
        "npm run docker:build",
        "web",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- just\n- a list\n", "must be a YAML mapping"),
        ("jobs: [a]\n", "`jobs` must map"),
        ("jobs: {a: [\n", "invalid"),
    ],
)
def test_malformed_workflow_raises_input_error(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        github_actions.find(WORKFLOW, text)

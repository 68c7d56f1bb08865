"""The docker build command-line engine: splitting scripts, peeling wrappers, reading build flags."""

from __future__ import annotations

import pytest

from bot.model import BuildCommand
from bot.scan.docker_cli import (
    find_build_commands,
    find_build_invocations,
    mentions_docker_build,
    parse_build_words,
    split_simple_commands,
)


def only_build(script: str) -> BuildCommand:
    found = find_build_commands(script)
    assert len(found) == 1, found
    return found[0][1]


# ------------------------------------------------------------------------------------ shell splitting


def test_split_on_operators_keeps_quoted_and_substituted_text_whole() -> None:
    script = "a && b || c; d | e & f\necho \"x && y\" $(g; h) `i | j` 'k;l'"
    words = [command.words for command in split_simple_commands(script)]
    assert words == [
        ("a",),
        ("b",),
        ("c",),
        ("d",),
        ("e",),
        ("f",),
        ("echo", "x && y", "$(g; h)", "`i | j`", "k;l"),
    ]


def test_continuation_lines_join_into_one_command_reported_on_its_first_line() -> None:
    script = "echo start\ndocker build \\\n  -t app \\\n  .\necho end"
    commands = split_simple_commands(script)
    assert [(c.line, c.words[0]) for c in commands] == [(0, "echo"), (1, "docker"), (4, "echo")]
    assert commands[1].text == "docker build -t app ."


def test_comments_are_dropped_but_a_hash_inside_a_word_is_not() -> None:
    commands = split_simple_commands("# docker build .\necho a#b # docker build .")
    assert [c.words for c in commands] == [("echo", "a#b")]


def test_heredoc_bodies_are_not_commands() -> None:
    script = "cat <<-EOF > out\n\tdocker build .\n\tEOF\necho done"
    assert [c.words for c in split_simple_commands(script)] == [("cat",), ("echo", "done")]


def test_redirections_are_not_arguments() -> None:
    (command,) = split_simple_commands("docker build . > build.log 2>&1")
    assert command.words == ("docker", "build", ".")
    assert command.text == "docker build ."


def test_cd_moves_later_commands_and_unknowable_cd_is_none() -> None:
    commands = split_simple_commands("cd app && a\ncd ../web; b\ncd $DIR && c")
    assert [(c.words[0], c.cwd) for c in commands if c.words[0] != "cd"] == [
        ("a", "app"),
        ("b", "web"),
        ("c", None),
    ]


def test_cd_to_the_scripts_own_directory_is_the_starting_directory() -> None:
    commands = split_simple_commands('cd "$(dirname "$0")/.."\ndocker build .')
    assert commands[-1].cwd == ".."


# ------------------------------------------------------------------------------------- recognition


@pytest.mark.parametrize(
    ("script", "tool"),
    [
        ("docker build .", "docker build"),
        ("docker image build .", "docker build"),
        ("docker builder build .", "docker build"),
        ("docker buildx build .", "docker buildx build"),
        ("docker buildx b .", "docker buildx build"),
        ("docker --context remote buildx build .", "docker buildx build"),
        ("podman build .", "podman build"),
        ("nerdctl build .", "nerdctl build"),
        ("buildah bud .", "buildah bud"),
        ("buildah build .", "buildah bud"),
        ("docker buildx bake", "docker buildx bake"),
        ("docker compose -f ci.yml build app", "docker compose build"),
        ("docker-compose build", "docker-compose build"),
        ("/kaniko/executor --context . --destination x", "kaniko"),
    ],
)
def test_every_builder_spelling_is_recognised_with_its_canonical_tool(script: str, tool: str) -> None:
    assert only_build(script).tool == tool


@pytest.mark.parametrize(
    "script",
    [
        "DOCKER_BUILDKIT=1 docker build .",
        "sudo -E docker build .",
        "cross-var docker build .",
        "npx cross-var docker build .",
        "time docker build .",
        "exec docker build .",
        "env -u X K=V docker build .",
        "command docker build .",
        "timeout 30m docker build .",
        "if docker build .; then echo ok; fi",
        'sh -c "docker build ."',
        "ID=$(docker build -q .)",
    ],
)
def test_wrappers_assignments_and_nested_scripts_are_seen_through(script: str) -> None:
    assert only_build(script).context == "."


@pytest.mark.parametrize(
    "script",
    [
        'echo "building for linux/amd64"',
        "docker run --platform linux/amd64 alpine uname -m",
        "docker pull --platform linux/amd64 alpine",
        "docker push ghcr.io/acme/app:latest",
        "docker image ls",
        "command -v docker",
        "docker buildx create --use",
    ],
)
def test_commands_that_merely_mention_docker_or_amd64_are_not_builds(script: str) -> None:
    assert find_build_commands(script) == []


# ------------------------------------------------------------------------------------------ flags


def test_azurite_npm_script_reads_dockerfile_tag_and_context() -> None:
    command = only_build(
        'cross-var docker build --no-cache --rm -f "Dockerfile" '
        "-t xstoreazurite.azurecr.io/public/azure-storage/azurite:$npm_package_version ."
    )
    assert command.dockerfile == "Dockerfile"
    assert command.context == "."
    assert command.tags == ("xstoreazurite.azurecr.io/public/azure-storage/azurite:$npm_package_version",)
    assert command.platforms == ()
    assert not command.push


def test_value_flags_are_skipped_so_the_context_is_the_real_positional() -> None:
    command = only_build(
        "docker buildx build --cache-from type=gha --cache-to type=gha,mode=max --label a=b "
        "--secret id=npm,src=.npmrc --ssh default --network host --progress plain --iidfile id.txt "
        "--metadata-file meta.json --add-host h:1.2.3.4 --build-context base=../base --shm-size 2g "
        "--ulimit nofile=1024 -m 4g ./services/api"
    )
    assert command.context == "./services/api"


def test_build_args_with_and_without_values_keep_their_order() -> None:
    command = only_build("docker build --build-arg VERSION=1.2 --build-arg=TOKEN --build-arg EMPTY= .")
    assert command.build_args == (("VERSION", "1.2"), ("TOKEN", None), ("EMPTY", ""))


def test_platforms_split_on_commas_across_repeated_flags() -> None:
    command = only_build("docker buildx build --platform linux/amd64,linux/arm64 --platform=linux/s390x .")
    assert command.platforms == ("linux/amd64", "linux/arm64", "linux/s390x")


def test_variables_stay_exactly_as_written() -> None:
    command = only_build(
        'docker build -t "$IMAGE:$VERSION" -t $(IMAGE):${npm_package_version} --platform $P .'
    )
    assert command.tags == ("$IMAGE:$VERSION", "$(IMAGE):${npm_package_version}")
    assert command.platforms == ("$P",)


def test_file_tag_and_target_accept_equals_and_attached_short_forms() -> None:
    command = only_build(
        "docker build --file=build/app.Dockerfile -tapp:1 --tag=app:latest --target runtime ctx"
    )
    assert command.dockerfile == "build/app.Dockerfile"
    assert command.tags == ("app:1", "app:latest")
    assert command.target == "runtime"
    assert command.context == "ctx"


@pytest.mark.parametrize(
    ("flags", "pushes", "loads"),
    [
        ("--push", True, False),
        ("--push=false", False, False),
        ("-o type=registry", True, False),
        ("--output type=image,name=x,push=true", True, False),
        ("--load", False, True),
        ("-o type=docker", False, True),
        ("", False, False),
    ],
)
def test_push_and_load_come_from_flags_and_outputs(flags: str, pushes: bool, loads: bool) -> None:
    command = only_build(f"docker buildx build {flags} .")
    assert (command.push, command.load) == (pushes, loads)


def test_builder_value_is_not_mistaken_for_the_context() -> None:
    assert only_build("docker buildx build --builder multiarch .").context == "."


def test_stdin_context_is_a_dash() -> None:
    assert only_build("docker build -t x - < Dockerfile").context == "-"


def test_kaniko_executor_maps_its_own_flags() -> None:
    command = only_build(
        '/kaniko/executor --context "${CI_PROJECT_DIR}" --dockerfile "${CI_PROJECT_DIR}/docker/Dockerfile" '
        "--destination reg/app:1 --destination reg/app:latest --custom-platform linux/arm64"
    )
    assert command.context == "${CI_PROJECT_DIR}"
    assert command.dockerfile == "${CI_PROJECT_DIR}/docker/Dockerfile"
    assert command.tags == ("reg/app:1", "reg/app:latest")
    assert command.platforms == ("linux/arm64",)
    assert command.push


def test_kaniko_no_push_builds_without_pushing() -> None:
    assert not only_build("/kaniko/executor --context . --no-push").push


def test_bake_reads_platform_and_push_from_set_and_has_no_dockerfile() -> None:
    command = only_build(
        "docker buildx bake -f docker-bake.hcl --set *.platform=linux/amd64,linux/arm64 --push app"
    )
    assert command.platforms == ("linux/amd64", "linux/arm64")
    assert command.push
    assert (command.dockerfile, command.context) == (None, None)


def test_compose_file_flag_is_not_a_dockerfile() -> None:
    command = only_build("docker compose -f docker-compose.ci.yml build --build-arg X=1 web")
    assert command.dockerfile is None
    assert command.build_args == (("X", "1"),)


def test_parse_build_words_rejects_other_programs_and_empty_argv() -> None:
    assert parse_build_words([]) is None
    assert parse_build_words(["make", "build"]) is None
    assert parse_build_words(["docker", "run", "build"]) is None


# ------------------------------------------------------------------------------------- invocations


def test_invocations_carry_line_text_and_directory_of_each_build() -> None:
    script = (
        "set -e\ncd web\ndocker build -t web .\n"
        "docker tag web web:1 && docker push web:1\ncd .. && docker build ."
    )
    found = find_build_invocations(script)
    assert [(f.line, f.cwd, f.text) for f in found] == [
        (2, "web", "docker build -t web ."),
        (4, "", "docker build ."),
    ]


def test_a_build_hidden_in_sh_c_after_cd_runs_in_that_directory() -> None:
    (found,) = find_build_invocations("cd app && bash -ec 'cd sub && docker build .'")
    assert found.cwd == "app/sub"


def test_mentions_docker_build_is_a_cheap_superset() -> None:
    assert mentions_docker_build("docker buildx b .")
    assert mentions_docker_build("$(DOCKER) build .")
    assert mentions_docker_build("/kaniko/executor --context .")
    assert not mentions_docker_build("npm test && echo linux/amd64")

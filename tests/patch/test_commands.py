"""The command engine on its own: which builds publish, and the exact words it inserts and removes."""

from __future__ import annotations

import pytest

from bot.patch.commands import LOCAL_ONLY, NOT_PUSHED, rewrite
from bot.patch.spans import Unpatchable, splice

PLATFORMS = ["linux/amd64", "linux/arm64"]
LIST = "linux/amd64,linux/arm64"


def patched(*scripts: str, platform_text: str = LIST) -> list[str]:
    result = rewrite(list(scripts), PLATFORMS, platform_text)
    return [
        splice(text, [span for k, span in result.spans if k == index]) for index, text in enumerate(scripts)
    ]


def left_alone(*scripts: str) -> list[tuple[int, int, str]]:
    return list(rewrite(list(scripts), PLATFORMS, LIST).left_alone)


def test_a_build_and_its_push_collapse_into_one_buildx_build() -> None:
    assert patched("docker build -t a/b:1 . && docker push a/b:1") == [
        f"docker buildx build --platform {LIST} -t a/b:1 --push ."
    ]


def test_docker_image_build_and_load_are_rewritten_in_place() -> None:
    assert patched("sudo docker image build --load -t a . && sudo docker push a") == [
        f"sudo docker buildx build --platform {LIST} -t a --push ."
    ]


def test_a_build_without_a_context_gets_push_at_its_end() -> None:
    script = "docker build -t a -f - < Dockerfile\ndocker push a\n"
    assert patched(script) == [
        "docker buildx build --platform linux/amd64,linux/arm64 -t a -f - --push < Dockerfile\n"
    ]


def test_a_tag_then_push_becomes_another_tag_of_the_build() -> None:
    script = "docker build -t a:1 .\ndocker tag a:1 a:latest\ndocker push a:1\ndocker push a:latest\n"
    assert patched(script) == [f"docker buildx build --platform {LIST} -t a:1 -t a:latest --push .\n"]


def test_a_push_in_another_script_becomes_a_build_and_push_there() -> None:
    build = 'cross-var docker build --rm -f "Dockerfile" -t r:$npm_package_version -t r:latest .'
    assert patched(build, "cross-var docker push r:latest") == [
        build,
        f'cross-var docker buildx build --platform {LIST} --rm -f "Dockerfile" -t r:latest --push .',
    ]


def test_a_build_run_here_and_never_pushed_is_left_alone() -> None:
    assert patched("docker build -t a .\ndocker run --rm a\n") == ["docker build -t a .\ndocker run --rm a\n"]
    assert left_alone("docker build -t a .\ndocker run --rm a\n") == [(0, 0, LOCAL_ONLY)]


def test_a_build_nothing_pushes_is_left_alone() -> None:
    assert left_alone("docker build -t a .\n") == [(0, 0, NOT_PUSHED)]


def test_echoing_the_tag_is_not_using_the_image() -> None:
    script = 'docker build -t a:$V .\necho "built a:$V"\ndocker push a:$V\n'
    assert patched(script) == [f'docker buildx build --platform {LIST} -t a:$V --push .\necho "built a:$V"\n']


def test_a_conditional_push_stays_conditional() -> None:
    script = 'docker build -t a .\nif [ "$PUSH" = 1 ]; then\n  docker push a\nfi\n'
    rewritten = f"  docker buildx build --platform {LIST} -t a --push .\n"
    assert patched(script) == [f'docker build -t a .\nif [ "$PUSH" = 1 ]; then\n{rewritten}fi\n']


def test_a_push_in_a_chain_keeps_the_rest_of_the_chain() -> None:
    script = "docker build -t a . && docker push a && echo done\n"
    assert patched(script) == [f"docker buildx build --platform {LIST} -t a --push . && echo done\n"]
    script = "docker build -t a .\ndocker push a && echo done\n"
    assert patched(script) == [f"docker buildx build --platform {LIST} -t a --push .\necho done\n"]


def test_a_covering_buildx_build_is_left_as_it_is() -> None:
    script = f"docker buildx build --platform {LIST} -t a --push .\n"
    assert patched(script) == [script]
    assert patched(
        "docker buildx build --platform $(PLATFORMS) -t a --push .", platform_text="$(PLATFORMS)"
    ) == ["docker buildx build --platform $(PLATFORMS) -t a --push ."]


def test_a_pinned_platform_is_the_projects_choice() -> None:
    assert left_alone("docker buildx build --platform linux/amd64 -t a --push .") == [
        (0, 0, "pins --platform linux/amd64; left as the project chose")
    ]


def test_other_tools_are_reported_not_rewritten() -> None:
    assert left_alone("podman build -t a .\npodman push a\n") == [
        (0, 0, "`podman build` as written here is not rewritten; only plain docker builds are")
    ]


def test_a_push_no_build_produces_is_reported() -> None:
    assert left_alone("docker push other/image") == [
        (0, 0, "pushes other/image, which no build here produces")
    ]


@pytest.mark.parametrize(
    "script",
    ["docker build -t a .\ndocker push a | tee log\n", "docker build -t a .\ndocker push a > log\n"],
)
def test_a_push_that_cannot_be_removed_cleanly_is_refused(script: str) -> None:
    with pytest.raises(Unpatchable):
        rewrite([script], PLATFORMS, LIST)


def test_a_push_two_builds_could_answer_for_goes_to_the_first() -> None:
    assert patched("docker build -t a .", "docker build --no-cache -t a .", "docker push a") == [
        "docker build -t a .",
        "docker build --no-cache -t a .",
        f"docker buildx build --platform {LIST} -t a --push .",
    ]


def test_makefile_tool_variables_run_docker_when_the_file_says_so() -> None:
    result = rewrite(
        ["$(DOCKER) build -t a . && $(DOCKER) push a"], PLATFORMS, LIST, docker_words=frozenset({"$(DOCKER)"})
    )
    assert splice("$(DOCKER) build -t a . && $(DOCKER) push a", [span for _, span in result.spans]) == (
        f"$(DOCKER) buildx build --platform {LIST} -t a --push ."
    )


def test_braced_and_bare_variables_name_the_same_tag() -> None:
    script = 'docker build -t "${IMAGE}:${TAG}" .\ndocker push "$IMAGE:$TAG"\n'
    assert patched(script) == [f'docker buildx build --platform {LIST} -t "${{IMAGE}}:${{TAG}}" --push .\n']

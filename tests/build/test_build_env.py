"""What a build is given before it runs: its environment, its tag, its paths. Pure: no docker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.build.run import BuildError, build_platform, push_multi_platform, scrubbed_env
from bot.build.verify_tags import verify_tag, verify_tag_owner
from bot.model import AMD64, ARM64, BuildPlan, Outcome, Platform

SECRET = "ghp_not-a-real-token"


def test_the_build_environment_keeps_nothing_but_what_buildx_needs(tmp_path: Path) -> None:
    user_config = tmp_path / "user-docker"
    (user_config / "cli-plugins").mkdir(parents=True)
    (user_config / "config.json").write_text(json.dumps({"auths": {"ghcr.io": {"auth": SECRET}}}))
    environ = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DOCKER_CONFIG": str(user_config),
        "DOCKER_HOST": "unix:///run/user/1000/docker.sock",
        "GITHUB_TOKEN": SECRET,
        "MULTIARCH_BOT_TOKEN": SECRET,
        "BUILDX_BUILDER": "someone-elses",
        "SSH_AUTH_SOCK": "/tmp/agent.sock",
    }
    with scrubbed_env(environ) as (env, work):
        assert set(env) == {"PATH", "LANG", "HOME", "DOCKER_CONFIG", "BUILDX_CONFIG", "DOCKER_HOST"}
        assert SECRET not in json.dumps(env)
        assert env["DOCKER_HOST"] == environ["DOCKER_HOST"]
        assert env["BUILDX_CONFIG"] == str(user_config / "buildx")  # the user's builders
        docker_config = Path(env["DOCKER_CONFIG"])
        assert docker_config != user_config
        assert [path.name for path in docker_config.iterdir()] == ["cli-plugins"]  # no config.json
        assert (docker_config / "cli-plugins").resolve() == (user_config / "cli-plugins").resolve()
        assert list(Path(env["HOME"]).iterdir()) == []
        assert work.is_dir()
    assert not docker_config.exists()
    assert not work.exists()


def test_buildx_config_follows_the_users_own_setting(tmp_path: Path) -> None:
    with scrubbed_env({"HOME": str(tmp_path), "BUILDX_CONFIG": "/srv/buildx"}) as (env, _):
        assert env["BUILDX_CONFIG"] == "/srv/buildx"
        assert "DOCKER_HOST" not in env
    with scrubbed_env({"HOME": str(tmp_path)}) as (env, _):
        assert env["BUILDX_CONFIG"] == str(tmp_path / ".docker" / "buildx")
        assert env["LANG"] == "C.UTF-8"


def test_verify_tags_name_the_image_and_platform_and_keep_plans_apart() -> None:
    plan = BuildPlan("docker/Dockerfile.prod", ".", target="Runtime")
    tag = verify_tag(plan, ARM64)
    assert tag.startswith("multiarch-bot-verify/docker-dockerfile-prod-runtime-")
    assert tag.endswith(":arm64")
    assert verify_tag(plan, AMD64) == tag.replace(":arm64", ":amd64")
    assert verify_tag(plan, Platform.parse("linux/arm/v7")).endswith(":arm-v7")
    other_args = BuildPlan("docker/Dockerfile.prod", ".", target="Runtime", build_args=(("V", "2"),))
    assert verify_tag(other_args, ARM64) != tag
    assert verify_tag(plan, ARM64) == tag  # stable: the smoke run finds it again
    assert verify_tag(plan, ARM64, Path("/work/a")) != verify_tag(plan, ARM64, Path("/work/b"))


def test_a_runs_verify_tags_name_the_run_and_others_name_none() -> None:
    plan = BuildPlan("docker/Dockerfile.prod", ".", target="Runtime")
    run = "0123456789-abcdef0123"
    owned = verify_tag(plan, ARM64, Path("/work/a"), run)
    assert owned.startswith(f"multiarch-bot-verify/run-{run}/docker-dockerfile-prod-runtime-")
    assert owned.endswith(":arm64")
    assert owned.split("/", 2)[2] == verify_tag(plan, ARM64, Path("/work/a")).split("/", 1)[1]
    assert verify_tag_owner(owned) == run
    for other in (verify_tag(plan, ARM64), "busybox:latest", "multiarch-bot-verify/x/y:z", f"a/{owned}"):
        assert verify_tag_owner(other) is None


@pytest.mark.parametrize(
    ("context", "dockerfile"),
    [("..", "Dockerfile"), (".", "../Dockerfile"), ("escape", "Dockerfile"), (".", "/etc/passwd")],
)
def test_a_context_or_dockerfile_outside_the_checkout_is_never_built(
    tmp_path: Path, context: str, dockerfile: str
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "escape").symlink_to(tmp_path)  # a symlink in the repository pointing out of it
    plan = BuildPlan(dockerfile, context)
    build = build_platform(plan, ARM64, repo, builder=None, timeout=5, tag="multiarch-bot-verify/x:arm64")
    assert build.outcome is Outcome.FAILED
    assert "outside the checkout" in build.error
    with pytest.raises(BuildError, match="outside the checkout"):
        push_multi_platform(plan, [ARM64], repo, builder=None, registry_ref="127.0.0.1:5000/x:1", timeout=5)

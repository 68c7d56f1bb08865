"""The janitor removes a platform's containers and image off the critical path, and all of them by close."""

from __future__ import annotations

import logging
from pathlib import Path

import docker
import pytest

from bot.build.container import RUN_LABEL
from bot.build.janitor import Janitor
from bot.build.verify import VerifySettings, docker_runner
from bot.model import AMD64, BuildPlan, Outcome
from bot.sandbox.engine import DOCKER_HOST
from bot.workspace import run_id, run_workspace
from tests.build.conftest import one_step_checkout
from tests.support.docker import DockerSandbox

PLAN = BuildPlan("Dockerfile", ".", platforms=(AMD64,))


@pytest.mark.docker
def test_a_runners_containers_and_image_are_gone_once_the_janitor_is_closed(
    docker_sandbox: DockerSandbox, client: docker.DockerClient, tmp_path: Path
) -> None:
    checkout = one_step_checkout(docker_sandbox, tmp_path)
    with run_workspace(tmp_path) as workspace:
        rid = str(run_id(workspace))
        with Janitor(DOCKER_HOST) as janitor:
            runner = docker_runner(
                checkout, client, VerifySettings(build_timeout=120), {}, run=rid, janitor=janitor
            )
            result = runner(PLAN, AMD64)
            assert result.outcome is Outcome.PASSED, result
            assert result.smoke is not None
            assert result.binaries is not None
            assert result.binaries.checked > 0  # the inspect container was read before it was handed over
        # closed: every removal handed over is done
        assert client.containers.list(all=True, filters={"label": f"{RUN_LABEL}={rid}"}) == []
        tags = {tag for image in client.images.list() for tag in image.tags}
        assert str(result.build.image) not in tags


def test_an_unreachable_engine_is_logged_and_close_still_returns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    not_a_socket = tmp_path / "docker.sock"
    not_a_socket.write_text("")
    with (
        caplog.at_level(logging.WARNING, logger="bot.build.janitor"),
        Janitor(f"unix://{not_a_socket}") as janitor,
    ):
        janitor.remove_container("0" * 64)
        janitor.remove_image("multiarch-bot-verify/run-x/gone:amd64")
    assert [record.getMessage().split(":")[0] for record in caplog.records] == [
        f"could not remove container {'0' * 12}",
        "could not remove image multiarch-bot-verify/run-x/gone",
    ]

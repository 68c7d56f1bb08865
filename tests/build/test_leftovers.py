"""A dead run's images and containers are removed from the engine by the next run; nothing else is."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import pytest

from bot.build.container import RUN_LABEL, create_container
from bot.build.leftovers import reap_dead_runs, reap_leftovers
from bot.build.verify import VerifySettings, docker_runner
from bot.build.verify_tags import verify_tag
from bot.model import AMD64, BuildPlan, Outcome
from bot.workspace import run_id, run_workspace
from tests.build.conftest import one_step_checkout
from tests.support.docker import DockerSandbox
from tests.support.images import FixtureImages
from tests.test_workspace import hold

TEST_LABEL = "multiarch-bot.test"
PLAN = BuildPlan("Dockerfile", ".", platforms=(AMD64,))


@contextlib.contextmanager
def held_workspace(root: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A run's workspace below ``root``, locked by a live process (killed afterwards), and its run id."""
    holder, workspace = hold(root)
    try:
        rid = run_id(workspace)
        assert rid is not None
        yield holder, rid
    finally:
        holder.kill()
        holder.wait(timeout=10)


@pytest.fixture
def test_value(client: docker.DockerClient) -> Iterator[str]:
    """A label value for this test's containers (and part of its tags): all removed after."""
    value = uuid.uuid4().hex[:12]
    yield value
    for container in client.containers.list(all=True, filters={"label": f"{TEST_LABEL}={value}"}):
        container.remove(force=True, v=True)


def existing(client: docker.DockerClient, wanted: list[str]) -> set[str]:
    return {tag for image in client.images.list() for tag in image.tags if tag in wanted}


def containers(client: docker.DockerClient, value: str) -> dict[str, str]:
    """This test's containers: what each is (its ``role`` label) by id."""
    found = client.containers.list(all=True, filters={"label": f"{TEST_LABEL}={value}"})
    return {str(c.id): str(c.labels["role"]) for c in found}


@pytest.mark.docker
def test_a_dead_runs_images_and_containers_go_and_a_live_runs_and_others_stay(
    images: FixtureImages, client: docker.DockerClient, test_value: str, loaded: list[str], tmp_path: Path
) -> None:
    root, elsewhere = tmp_path / "tmp", tmp_path / "elsewhere"
    root.mkdir()
    elsewhere.mkdir()
    base = client.images.get(images.get("shell", AMD64))
    with held_workspace(root) as (killed, killed_id), held_workspace(root) as (_, live_id):
        with run_workspace(root) as finished:
            gone_id = str(run_id(finished))  # its directory is removed: that run is over
        with run_workspace(elsewhere) as other_place:
            other_id = str(run_id(other_place))  # another place's run: not ours to judge
        owners = {"killed": killed_id, "live": live_id, "gone": gone_id, "elsewhere": other_id}
        made: dict[str, str] = {}
        for role, owner in owners.items():
            tag = verify_tag(PLAN, AMD64, tmp_path / test_value, owner)
            repository, _, version = tag.rpartition(":")
            base.tag(repository, version)
            loaded.append(tag)
            made[role] = tag
            labels = {RUN_LABEL: owner, TEST_LABEL: test_value, "role": role}
            create_container(client, tag, AMD64, role="smoke", labels=labels)  # created, never started
        running = create_container(
            client,
            made["killed"],
            AMD64,
            role="smoke",
            command=["sleep", "300"],
            labels={RUN_LABEL: killed_id, TEST_LABEL: test_value, "role": "killed-running"},
        )
        running.start()  # a smoke run the killed run never stopped
        unowned = verify_tag(PLAN, AMD64, tmp_path / test_value)  # no run: as older versions named them
        unrelated = f"multiarch-bot-test/unrelated-{test_value}:x"
        for tag in (unowned, unrelated):
            base.tag(*tag.rsplit(":", 1))
            loaded.append(tag)
        create_container(
            client, unowned, AMD64, role="smoke", labels={TEST_LABEL: test_value, "role": "unowned"}
        )
        client.containers.create(
            base.id, labels={TEST_LABEL: test_value, "role": "unrelated"}, network_mode="none"
        )
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=10)

        started = time.monotonic()
        reaped = reap_leftovers(client, root)
        seconds = time.monotonic() - started

        assert existing(client, loaded) == {made["live"], made["elsewhere"], unowned, unrelated}
        assert sorted(containers(client, test_value).values()) == [
            "elsewhere",
            "live",
            "unowned",
            "unrelated",
        ]
        assert sorted(reaped.images) == sorted([made["killed"], made["gone"]])
        assert len(reaped.containers) == 3
        assert reaped.failures == ()
        lines = reaped.lines()
        assert sum("removed container" in line for line in lines) == 3
        assert f"removed image {made['killed']} of a dead run" in lines
        assert seconds < 20, seconds

        assert reap_leftovers(client, root).lines() == []  # nothing left to do: nothing said


@pytest.mark.docker
def test_a_runs_build_is_tagged_and_its_containers_labelled_with_the_run(
    docker_sandbox: DockerSandbox, client: docker.DockerClient, test_value: str, tmp_path: Path
) -> None:
    checkout = one_step_checkout(docker_sandbox, tmp_path)
    with run_workspace(tmp_path) as workspace:
        rid = str(run_id(workspace))
        since = int(time.time()) - 1
        runner = docker_runner(checkout, client, VerifySettings(build_timeout=120), {}, run=rid)
        result = runner(PLAN, AMD64)
    assert result.outcome is Outcome.PASSED, result
    assert result.build.image == verify_tag(PLAN, AMD64, checkout, rid)
    assert str(result.build.image).startswith(f"multiarch-bot-verify/run-{rid}/")
    assert str(result.build.image) not in {tag for image in client.images.list() for tag in image.tags}
    events = client.events(
        since=since,
        until=int(time.time()) + 1,
        filters={"type": "container", "event": "create", "label": f"{RUN_LABEL}={rid}"},
        decode=True,
    )
    roles = sorted(event["Actor"]["Attributes"]["multiarch-bot"] for event in events)
    assert roles == ["inspect", "smoke"]


def test_no_engine_is_no_error(tmp_path: Path) -> None:
    assert reap_dead_runs(tmp_path, f"unix://{tmp_path / 'absent.sock'}") == []  # quiet: a scan-only run
    not_a_socket = tmp_path / "docker.sock"
    not_a_socket.write_text("")
    (line,) = reap_dead_runs(tmp_path, f"unix://{not_a_socket}")
    assert line.startswith("could not look for a dead run's images and containers in the engine:")

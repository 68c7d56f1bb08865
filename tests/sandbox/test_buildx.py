"""The pure parts of the sandbox: root filesystems, daemon.json, the shims (argv: tests/build)."""

from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from bot import proc
from bot.sandbox.base_images import NODE_SHIM, NPM_SHIM, rootfs_tar
from bot.sandbox.engine import EngineError, write_daemon_config


def test_rootfs_is_busybox_with_applet_symlinks_and_is_deterministic() -> None:
    applets = ["bin/sh", "bin/uname", "usr/bin/env"]
    data = rootfs_tar(b"\x7fELF fake busybox", applets, {"usr/local/bin/npm": NPM_SHIM})
    assert data == rootfs_tar(b"\x7fELF fake busybox", applets, {"usr/local/bin/npm": NPM_SHIM})
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = {member.name: member for member in tar.getmembers()}
        assert members["bin/busybox"].mode == 0o755
        assert {members[name].linkname for name in applets} == {"/bin/busybox"}
        assert all(members[name].issym() for name in applets)
        assert members["tmp"].mode == 0o1777
        assert members["usr/local/bin/npm"].mode == 0o755
        extracted = tar.extractfile("etc/passwd")
        assert extracted is not None
        assert extracted.read().startswith(b"root:x:0:0:")
    # Every parent directory comes before what it holds, so ADD can lay the tarball out.
    names = list(members)
    for name in names:
        parent = str(Path(name).parent)
        assert parent == "." or names.index(parent) < names.index(name)


@pytest.mark.parametrize(
    ("shim", "args", "expected"),
    [
        (NODE_SHIM, ["--version"], "v12.22.12"),
        (NPM_SHIM, ["--version"], "6.14.16"),
        (NPM_SHIM, ["ci"], "npm stand-in (multiarch-bot sandbox): ci (nothing done)"),
        (
            NPM_SHIM,
            ["config", "set", "unsafe-perm=true"],
            "npm stand-in (multiarch-bot sandbox): config set unsafe-perm=true (nothing done)",
        ),
    ],
)
def test_node_and_npm_shims_answer_and_do_nothing_else(
    shim: str, args: list[str], expected: str, tmp_path: Path
) -> None:
    script = tmp_path / "shim"
    script.write_text(shim)
    done = proc.run(["sh", str(script), *args], timeout=10, cwd=tmp_path, env={"PATH": os.environ["PATH"]})
    assert done.out.strip() == expected
    assert [path.name for path in tmp_path.iterdir()] == ["shim"]


PACKAGE_JSON = """{
  "name": "app",
  "bin": {
    "app": "./dist/app.js"
  },
  "scripts": {
    "build": "mkdir -p dist && echo built > dist/app.js",
    "test": "exit 3"
  }
}
"""


def test_npm_stand_in_runs_package_scripts_and_links_bin_entries(tmp_path: Path) -> None:
    npm = tmp_path / "npm"
    npm.write_text(NPM_SHIM)
    project, prefix = tmp_path / "project", tmp_path / "prefix"
    project.mkdir()
    (prefix / "bin").mkdir(parents=True)
    (project / "package.json").write_text(PACKAGE_JSON)
    env = {"PATH": os.environ["PATH"], "npm_config_prefix": str(prefix)}

    proc.run(["sh", str(npm), "run", "build"], timeout=10, cwd=project, env=env)
    proc.run(["sh", str(npm), "install", "-g", "--loglevel", "verbose"], timeout=10, cwd=project, env=env)

    assert (project / "dist" / "app.js").read_text() == "built\n"
    assert (prefix / "bin" / "app").read_text() == f'#!/bin/sh\nexec node {project}/dist/app.js "$@"\n'
    failed = proc.run(["sh", str(npm), "run", "test"], timeout=10, cwd=project, env=env, check=False)
    assert failed.returncode == 3
    missing = proc.run(["sh", str(npm), "run", "lint"], timeout=10, cwd=project, env=env, check=False)
    assert missing.returncode == 1


def test_daemon_config_is_merged_and_written_only_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "docker" / "daemon.json"
    assert write_daemon_config(path)
    assert json.loads(path.read_text()) == {
        "bridge": "none",
        "features": {"containerd-snapshotter": True},
        "iptables": False,
        "ip-masq": False,
    }
    assert not write_daemon_config(path)

    path.write_text('{"log-level": "warn", "bridge": "docker0", "features": {"buildkit": true}}')
    assert write_daemon_config(path)
    written = json.loads(path.read_text())
    assert written["log-level"] == "warn"  # someone else's setting is kept
    assert written["bridge"] == "none"
    assert written["features"] == {"buildkit": True, "containerd-snapshotter": True}


def test_unreadable_daemon_config_is_an_engine_error(tmp_path: Path) -> None:
    path = tmp_path / "daemon.json"
    path.write_text("{not json")
    with pytest.raises(EngineError, match="not JSON"):
        write_daemon_config(path)

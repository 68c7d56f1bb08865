"""Shell scripts."""

from __future__ import annotations

from bot.model import BuildKind
from bot.scan.paths import shell

SCRIPT = """\
#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=$(git describe)
docker buildx build \\
  --platform "${PLATFORMS:-linux/amd64}" \\
  -t "ghcr.io/acme/app:${VERSION}" \\
  --push .
echo "pushed for linux/amd64"
"""


def test_build_after_cd_to_the_parent_of_the_script_dir() -> None:
    (found,) = shell.find("scripts/release.sh", SCRIPT)
    assert (found.kind, found.line, found.name) == (BuildKind.SHELL, 5, "")
    assert (found.context, found.dockerfile) == ("..", "../Dockerfile")
    assert found.platforms == ("${PLATFORMS:-linux/amd64}",)
    assert found.pushes


def test_whole_script_is_kept_as_one_snippet_for_call_following() -> None:
    (snippet,) = shell.scan("scripts/release.sh", SCRIPT).snippets
    assert (snippet.line, snippet.text) == (1, SCRIPT)


def test_shebang_detection_covers_env_and_rejects_other_interpreters() -> None:
    assert shell.has_shell_shebang("#!/bin/sh\n")
    assert shell.has_shell_shebang("#!/usr/bin/env -S bash -e\n")
    assert not shell.has_shell_shebang("#!/usr/bin/env python3\n")
    assert not shell.has_shell_shebang("echo no shebang\n")

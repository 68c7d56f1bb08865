"""Shell scripts (``*.sh``, ``*.bash``, extension-less with a sh/bash shebang): the file is one script."""

from __future__ import annotations

import re

from bot.model import BuildKind, BuildPath
from bot.scan.paths.common import FileScan, Snippet, script_paths

_SHEBANG = re.compile(r"^#!\s*\S*/(?:env\s+(?:-\S+\s+)*)?(?:ba|da|z|k|a)?sh\b")


def has_shell_shebang(text: str) -> bool:
    """True for ``#!/bin/sh``, ``#!/usr/bin/env bash``, ``#!/usr/bin/env -S bash -e`` and the like."""
    return bool(_SHEBANG.match(text))


def find(path: str, text: str) -> list[BuildPath]:
    return list(scan(path, text).build_paths)


def scan(path: str, text: str) -> FileScan:
    return FileScan(tuple(script_paths(BuildKind.SHELL, path, 1, "", text)), (Snippet(1, "", text),))

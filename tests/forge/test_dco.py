"""Whether a repository wants Signed-off-by on every commit, from its own files."""

from __future__ import annotations

import pytest

from bot.forge.dco import candidate_paths, dco_requirement


@pytest.mark.parametrize(
    ("files", "why"),
    [
        ({".github/dco.yml": "require:\n  members: false\n"}, ".github/dco.yml configures the DCO app"),
        ({"DCO": "Developer Certificate of Origin\nVersion 1.1\n"}, "DCO holds the Developer Certificate"),
        (
            {"CONTRIBUTING.md": "# Contributing\n\nEvery commit needs a `Signed-off-by` line.\n"},
            "CONTRIBUTING.md asks for it: Every commit needs a `Signed-off-by` line.",
        ),
        ({"docs/CONTRIBUTING.rst": "We use the Developer Certificate of Origin.\n"}, "docs/CONTRIBUTING.rst"),
        (
            {".github/CONTRIBUTING.md": "Sign your commits: git commit -s -m 'msg'\n"},
            ".github/CONTRIBUTING.md",
        ),
        (
            {".github/PULL_REQUEST_TEMPLATE.md": "- [ ] I signed off (DCO)\n"},
            ".github/PULL_REQUEST_TEMPLATE.md",
        ),
        (
            {".github/workflows/dco.yml": "steps:\n  - uses: tisonkun/actions-dco@v1.1\n"},
            ".github/workflows/dco.yml runs a DCO check",
        ),
    ],
)
def test_a_repository_that_asks_for_sign_off_gets_it(files: dict[str, str], why: str) -> None:
    reason = dco_requirement(files)
    assert reason is not None
    assert reason.startswith(why)


@pytest.mark.parametrize(
    "files",
    [
        {},
        {"CONTRIBUTING.md": "Please open an issue first. Sign the CLA at https://cla.example.\n"},
        {"CONTRIBUTING.md": "A DCO sign-off is not required for this project.\n"},
        {"CONTRIBUTING.md": "You do not need to add Signed-off-by lines.\n"},
        {".github/workflows/ci.yml": "steps:\n  - uses: actions/checkout@v4\n  - run: make dco-report\n"},
        {"src/dco.py": "# mentions DCO and Signed-off-by but is code, not a guide\n"},
    ],
)
def test_a_repository_that_does_not_ask_gets_no_trailer(files: dict[str, str]) -> None:
    assert dco_requirement(files) is None


def test_only_the_files_that_can_say_it_are_read() -> None:
    paths = [
        "README.md",
        "CONTRIBUTING.md",
        "src/main.go",
        ".github/dco.yml",
        ".github/workflows/ci.yml",
        "docs/contributing.md",
        "Dockerfile",
        "DCO",
        "vendor/x/CONTRIBUTING.md",
    ]
    assert candidate_paths(paths) == [
        ".github/dco.yml",
        ".github/workflows/ci.yml",
        "CONTRIBUTING.md",
        "DCO",
        "README.md",
        "docs/contributing.md",
    ]

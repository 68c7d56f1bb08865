"""Dockerfile fixes. Golden cases live in ``tests/patch/golden/dockerfile/<case>/``:

* ``Dockerfile.in``: the file as a project has it, modeled on real shapes;
* ``Dockerfile.out``: what the patch must produce, byte for byte (the same as ``.in``: nothing to change);
* ``questions.txt``: the questions for the PR body, one a line;
* ``rationale.txt``: the rationale lines, in order (edited cases).

The context is the real scan's: parse_dockerfile + find_hazards, reading no context files. Every case also
runs as CRLF and without its final newline, derived from the same files. ``UPDATE_GOLDEN=1`` rewrites the
expected files from the patcher's output, for review in the diff.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from bot.model import DEFAULT_PLATFORMS, BuildKind, BuildPath, DockerfileInfo, Hazard, Platform, Severity
from bot.patch.base import Edited, PatchContext, PatchResult, Refused, Unchanged
from bot.patch.dockerfile import GOARCH, PINNED, URL, patch
from bot.patch.dockerfile import verify as dockerfile_fixes
from bot.scan.dockerfile import parse_dockerfile
from bot.scan.hazards import CODES, find_hazards

GOLDEN = Path(__file__).parent / "golden" / "dockerfile"
CASES = sorted(d.name for d in GOLDEN.iterdir() if d.is_dir())
VARIANTS = ("as-written", "crlf", "no-final-newline")
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def context_for(text: str, platforms: tuple[Platform, ...] = DEFAULT_PLATFORMS) -> PatchContext:
    """What the pipeline passes: the real scan's hazards for the file (no context files readable)."""
    hazards = find_hazards(parse_dockerfile(text, "Dockerfile"), lambda _: None)
    return PatchContext(platforms, hazards=tuple(hazards))


def run(text: str, platforms: tuple[Platform, ...] = DEFAULT_PLATFORMS) -> PatchResult:
    return patch("Dockerfile", text, context_for(text, platforms))


def read(case: str, name: str) -> str:
    return (GOLDEN / case / name).read_bytes().decode("utf-8")


def lines(case: str, name: str) -> list[str]:
    path = GOLDEN / case / name
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def variant(text: str, how: str) -> str:
    if how == "crlf":
        return text.replace("\r\n", "\n").replace("\n", "\r\n")
    return text.rstrip("\r\n") if how == "no-final-newline" else text


# ------------------------------------------------------------------------------------------- golden cases


GOLDEN_VARIANTS = [
    pytest.param(case, how, id=f"{case}-{how}")
    for case in CASES
    for how in VARIANTS
    if how == "as-written" or variant(read(case, "Dockerfile.in"), how) != read(case, "Dockerfile.in")
]


@pytest.mark.parametrize(("case", "how"), GOLDEN_VARIANTS)  # variants that say nothing new are left out
def test_golden(case: str, how: str) -> None:
    before = variant(read(case, "Dockerfile.in"), how)
    result = run(before)
    assert not isinstance(result, Refused), result.reason
    if UPDATE and how == "as-written":
        write_golden(case, before, result)
    text = result.text if isinstance(result, Edited) else before
    assert text == variant(read(case, "Dockerfile.out"), how)
    assert isinstance(result, Edited) == (text != before)
    assert list(result.questions) == lines(case, "questions.txt")
    assert list(getattr(result, "rationale", ())) == lines(case, "rationale.txt")


def write_golden(case: str, before: str, result: Edited | Unchanged) -> None:
    directory = GOLDEN / case
    (directory / "Dockerfile.out").write_bytes(
        (result.text if isinstance(result, Edited) else before).encode()
    )
    (directory / "questions.txt").write_text("".join(q + "\n" for q in result.questions), encoding="utf-8")
    rationale = directory / "rationale.txt"
    if isinstance(result, Edited):
        rationale.write_text("".join(r + "\n" for r in result.rationale), encoding="utf-8")
    elif rationale.exists():
        rationale.unlink()


@pytest.mark.parametrize("how", VARIANTS)
@pytest.mark.parametrize("case", CASES)
def test_golden_output_is_idempotent_and_parses_as_the_input_did(case: str, how: str) -> None:
    before = variant(read(case, "Dockerfile.in"), how)
    after = variant(read(case, "Dockerfile.out"), how)
    old, new = parse_dockerfile(before, "Dockerfile"), parse_dockerfile(after, "Dockerfile")
    assert [(s.name, s.base_written, s.base_ref) for s in new.stages] == [
        (s.name, s.base_written, s.base_ref) for s in old.stages
    ]
    assert len(new.warnings) == len(old.warnings)
    fixed = {h.code for h in find_hazards(old, lambda _: None)} - {
        h.code for h in find_hazards(new, lambda _: None)
    }
    assert fixed <= {URL, GOARCH, PINNED}
    again = run(after)
    assert isinstance(again, Unchanged), getattr(again, "text", again)
    assert list(again.questions) == lines(case, "questions.txt")


def test_the_codes_it_fixes_are_the_scans() -> None:
    assert {URL, GOARCH, PINNED} <= set(CODES)


def test_every_golden_case_has_its_expected_files() -> None:
    for case in CASES:
        assert (GOLDEN / case / "Dockerfile.out").exists(), case
        assert (GOLDEN / case / "questions.txt").exists(), case
        changed = read(case, "Dockerfile.out") != read(case, "Dockerfile.in")
        assert (GOLDEN / case / "rationale.txt").exists() == changed, case


# ---------------------------------------------------------------------------------- rules beyond the goldens

TINI = "ADD https://github.com/krallin/tini/releases/download/v0.19.0/tini-amd64 /tini\n"


def test_platforms_beyond_arm64_are_asked_about_not_guessed() -> None:
    text = "FROM alpine:3.19\n" + TINI
    result = run(text, (*DEFAULT_PLATFORMS, Platform.parse("linux/arm/v7")))
    assert isinstance(result, Unchanged)
    assert "also targets arm, whose names cannot be derived" in result.questions[0]
    assert result.questions[0].startswith("Dockerfile:2 (arch-in-url): ")


def test_a_pinned_final_stage_stays_when_the_plan_has_only_amd64() -> None:
    result = run("FROM --platform=linux/amd64 node:18\nRUN npm ci\n", (Platform.parse("linux/amd64"),))
    assert isinstance(result, Unchanged)
    assert "the build plan has only amd64" in result.questions[0]


def test_the_published_stage_is_the_build_target() -> None:
    text = "FROM --platform=linux/amd64 node:18 AS app\nRUN npm ci\nFROM app AS test\nRUN npm test\n"
    target = BuildPath(
        BuildKind.SHELL, "build.sh", 1, "", "docker build --target app .", "Dockerfile", ".", target="app"
    )
    hazards = find_hazards(parse_dockerfile(text, "Dockerfile"), lambda _: None, ".", [0])
    result = patch("Dockerfile", text, PatchContext(DEFAULT_PLATFORMS, (target,), tuple(hazards)))
    assert isinstance(result, Edited)
    assert result.text.startswith("FROM node:18 AS app\n")


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        pytest.param(
            'FROM alpine:3.19\nRUN ["wget", "-O", "/yq", "https://example.com/yq_linux_amd64"]\n',
            "exec form",
            id="exec-form-run",
        ),
        pytest.param(
            'FROM alpine:3.19\nSHELL ["pwsh", "-Command"]\n'
            "RUN curl -o /yq https://example.com/yq_linux_amd64\n",
            "a shell other than sh or bash",
            id="non-posix-shell",
        ),
        pytest.param(
            "FROM alpine:3.19\nADD https://example.com/tool-1.0-x86_64-unknown-linux-musl.tgz /tmp/\n",
            "is the arm64 asset named aarch64",
            id="x86_64-triple-in-ADD-has-no-shell",
        ),
        pytest.param(
            "FROM alpine:3.19\n"
            "RUN curl -o /t https://example.com/t-linux-amd64 \\\n"
            ' && echo "no arm64 build yet"\n',
            "already names arm64",
            id="step-already-names-arm64",
        ),
        pytest.param(
            "FROM alpine:3.19\nRUN curl -o /t https://example.com/download?arch=amd64\n",
            "as a value, not in a file name",
            id="query-value",
        ),
        pytest.param(
            "FROM alpine:3.19\nARG ARCH=amd64\nRUN curl -o /t https://example.com/t-linux-${ARCH}\n",
            "instead of ${ARCH}",
            id="variable-fixed-to-amd64",
        ),
        pytest.param(
            "ARG GOARCH=amd64\nFROM golang:1.22\nARG GOARCH\nRUN go build -o /app .\n",
            "Forces GOARCH=amd64",
            id="global-ARG-GOARCH",
        ),
        pytest.param(
            "FROM rust:1.75\nRUN cargo build --release --target x86_64-unknown-linux-gnu\n",
            "--target",
            id="cargo-target-triple",
        ),
    ],
)
def test_what_has_no_single_right_fix_is_asked(text: str, asked: str) -> None:
    result = run(text)
    assert isinstance(result, Unchanged), getattr(result, "text", result)
    assert result.questions
    assert any(asked in q for q in result.questions), result.questions


def test_a_fix_the_rescan_does_not_confirm_becomes_a_question() -> None:
    # GOARCH is fixed, but the same step also forces an x86_64 cargo target: the scan still objects there
    text = "FROM golang:1.22\nRUN GOARCH=amd64 go build . && cargo build --target x86_64-unknown-linux-gnu\n"
    result = run(text)
    assert isinstance(result, Unchanged)
    assert result.questions == (
        "Dockerfile:2 (goarch-amd64): Forces GOARCH=amd64: Go cross-compiles an amd64 binary even in the "
        "arm64 image. Build for the target: `ARG TARGETOS TARGETARCH`, `GOOS=$TARGETOS GOARCH=$TARGETARCH`.",
    )


def test_a_result_that_parses_differently_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dockerfile_fixes, "splice", lambda text, spans: text + "FROM scratch\n")
    result = run("FROM alpine:3.19\n" + TINI)
    assert isinstance(result, Refused)
    assert "parse differently" in result.reason


def test_hazards_of_other_files_and_of_no_step_are_handled() -> None:
    text = "FROM alpine:3.19\n# a comment\n" + TINI
    elsewhere = Hazard(URL, "scripts/install.sh", 3, Severity.WRONG_IMAGE, "Downloads x.", "Fix x.")
    nowhere = Hazard("host-binary-copied", "Dockerfile", 2, Severity.WRONG_IMAGE, "Copies y.", "Fix y.")
    context = context_for(text)
    context = PatchContext(context.platforms, hazards=(*context.hazards, elsewhere, nowhere))
    result = patch("Dockerfile", text, context)
    assert isinstance(result, Edited)
    # line 3: the comment's line once ARG TARGETARCH is inserted at line 2
    assert result.questions == ("Dockerfile:3 (host-binary-copied): Copies y. Fix y.",)


def test_a_later_ARG_TARGETARCH_is_not_reused_for_an_earlier_use() -> None:
    text = "FROM alpine:3.19\n" + TINI + "ARG TARGETARCH\nRUN echo $TARGETARCH\n"
    result = run(text)
    assert isinstance(result, Edited)
    assert result.text.splitlines()[:3] == [
        "FROM alpine:3.19",
        "ARG TARGETARCH",
        TINI.strip().replace("amd64", "${TARGETARCH}"),
    ]


JUST = "RUN curl -fsSL https://example.com/just-1.25-x86_64-unknown-linux-musl.tgz | tar -xz -C /bin\n"


def test_uname_is_used_once_the_stage_follows_the_target_platform() -> None:
    result = run("FROM --platform=linux/amd64 debian:bookworm\n" + JUST)
    assert isinstance(result, Edited)
    assert result.text == "FROM debian:bookworm\n" + JUST.replace("x86_64", "$(uname -m)")


def test_uname_is_not_used_in_a_stage_whose_platform_flag_stays() -> None:
    result = run('FROM --platform="linux/amd64" debian:bookworm\n' + JUST)  # quoted: not dropped
    assert isinstance(result, Unchanged)
    assert [q.split(" ", 2)[1] for q in result.questions] == ["(platform-pinned):", "(arch-in-url):"]
    assert "is the arm64 asset named aarch64" in result.questions[1]


@pytest.mark.parametrize("case", CASES)
def test_hazards_on_physical_lines_give_the_same_file(case: str) -> None:
    # the pipeline's scan can read the Dockerfile, so it reports a continued step's hazard on its own line
    before = read(case, "Dockerfile.in")
    hazards = find_hazards(parse_dockerfile(before, "Dockerfile"), {"Dockerfile": before}.get)
    result = patch("Dockerfile", before, PatchContext(DEFAULT_PLATFORMS, hazards=tuple(hazards)))
    assert not isinstance(result, Refused), result.reason
    assert (result.text if isinstance(result, Edited) else before) == read(case, "Dockerfile.out")
    assert list(getattr(result, "rationale", ())) == lines(case, "rationale.txt")


def test_a_dropped_fix_takes_the_fixes_that_rely_on_it_along(monkeypatch: pytest.MonkeyPatch) -> None:
    # should the re-scan still object to the ADD, the tar step renamed to match it must not stay either

    def stubborn(info: DockerfileInfo, *args: Any) -> list[Hazard]:
        add = next(i for i in info.instructions if i.keyword == "ADD")
        return [
            *find_hazards(info, *args),
            Hazard(URL, info.path, add.line, Severity.WRONG_IMAGE, "Still.", "Fix."),
        ]

    monkeypatch.setattr(dockerfile_fixes, "find_hazards", stubborn)
    result = run(read("add-then-extract", "Dockerfile.in"))
    assert isinstance(result, Unchanged)
    assert [q.split(" ", 1)[0] for q in result.questions] == ["Dockerfile:2", "Dockerfile:3"]

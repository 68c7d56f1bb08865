from __future__ import annotations

import pytest

from bot.model import BaseKind, DockerfileInfo, ImageRef, Stage
from bot.scan.dockerfile import parse_dockerfile, stages_needed
from bot.scan.image_ref import familiar, parse_image_ref

SHA256 = "sha256:" + "ab" * 32


def parse(*lines: str, build_args: dict[str, str] | None = None) -> DockerfileInfo:
    return parse_dockerfile("\n".join(lines) + "\n", "Dockerfile", build_args)


def base(info: DockerfileInfo, index: int = -1) -> str:
    """The stage's base in short form, or its kind when it is not an image."""
    stage = info.stages[index]
    return familiar(stage.base_ref) if stage.base_ref else str(stage.base_kind)


def ref(text: str) -> ImageRef:
    return parse_image_ref(text)


# ------------------------------------------------------------------------------------ real-world shapes

AZURITE = """\
#
# Builder
#
FROM node:lts-alpine3.10 as builder

WORKDIR /opt/azurite

# Install build dependencies first
COPY package.json package-lock.json tsconfig.json ./
RUN npm config set unsafe-perm=true && \\
  npm ci

COPY . .
RUN npm run build && \\
  npm install -g --loglevel verbose

#
# Production image
#
FROM node:lts-alpine3.10

ENV NODE_ENV=production
WORKDIR /opt/azurite
VOLUME [ "/data" ]
COPY package.json package-lock.json ./
RUN npm config set unsafe-perm=true && \\
  npm ci
COPY --from=builder /opt/azurite/dist/ dist/
EXPOSE 10000 10001 10002
CMD ["azurite", "-l", "/data", "--blobHost", "0.0.0.0"]
"""


def test_azurite_two_stage_build_with_lower_case_as() -> None:
    info = parse_dockerfile(AZURITE, "Dockerfile")
    builder, final = info.stages
    assert (builder.name, builder.line, builder.base_kind) == ("builder", 4, BaseKind.IMAGE)
    assert builder.base_ref == ref("docker.io/library/node:lts-alpine3.10")
    assert (final.name, final.line, final.base_ref) == (None, 20, builder.base_ref)
    assert final.copy_from_stages == (0,)
    assert stages_needed(info, None) == (0, 1)
    assert info.warnings == ()


def test_azurite_continued_run_is_one_instruction_spanning_its_lines() -> None:
    info = parse_dockerfile(AZURITE, "Dockerfile")
    runs = [i for i in info.instructions if i.keyword == "RUN"]
    assert [(r.line, r.end_line, r.stage) for r in runs] == [(10, 11, 0), (14, 15, 0), (26, 27, 1)]
    assert runs[0].value == "npm config set unsafe-perm=true &&   npm ci"


def test_go_cross_compile_build_stage_runs_on_the_build_platform() -> None:
    info = parse(
        "# syntax=docker/dockerfile:1",
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS build",
        "ARG TARGETOS TARGETARCH",
        "WORKDIR /src",
        "RUN --mount=type=cache,target=/root/.cache/go-build \\",
        "    GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app .",
        "FROM gcr.io/distroless/static",
        "COPY --from=build /out/app /app",
    )
    build, final = info.stages
    assert build.platform_flag == "$BUILDPLATFORM"
    assert build.base_ref == ref("golang:1.22")
    assert build.copy_from == ()  # a cache mount reads no image
    assert final.base_ref == ImageRef("gcr.io", "distroless/static", "latest")
    assert final.platform_flag is None
    assert final.copy_from_stages == (0,)
    assert info.directives == (("syntax", "docker/dockerfile:1"),)


def test_global_arg_default_names_the_base() -> None:
    info = parse("ARG BASE=debian:bookworm", "FROM ${BASE}", "RUN true")
    assert info.stages[0].base_written == "${BASE}"
    assert base(info) == "debian:bookworm"
    assert info.global_args == (("BASE", "debian:bookworm"),)


def test_build_arg_overrides_the_default_of_a_declared_arg() -> None:
    info = parse("ARG BASE=debian:bookworm", "FROM $BASE", build_args={"BASE": "ubuntu:24.04"})
    assert base(info) == "ubuntu:24.04"
    assert info.global_args == (("BASE", "ubuntu:24.04"),)


def test_build_arg_for_an_undeclared_arg_has_no_effect() -> None:
    info = parse("FROM alpine:${TAG:-3.19}", build_args={"TAG": "3.20"})
    assert base(info) == "alpine:3.19"
    assert info.global_args == ()


def test_build_arg_value_is_used_literally_not_expanded() -> None:
    info = parse("ARG TAG=1", "ARG IMAGE", "FROM $IMAGE", build_args={"IMAGE": "repo:${TAG}"})
    assert info.stages[0].base_kind is BaseKind.UNRESOLVED
    assert "expands to an invalid reference" in (info.stages[0].unresolved_reason or "")


@pytest.mark.parametrize(
    ("args", "word", "expected"),
    [
        (["ARG VARIANT"], "${VARIANT:-alpine}", "alpine:latest"),
        (["ARG VARIANT"], "node:20-${VARIANT:-alpine}", "node:20-alpine"),
        (["ARG VARIANT="], "node:20-${VARIANT:-alpine}", "node:20-alpine"),  # ':-' also replaces empty
        (["ARG VARIANT="], "node:20${VARIANT-alpine}", "node:20"),  # '-' replaces only unset
        ([], "node:20-${VARIANT-alpine}", "node:20-alpine"),
        (["ARG SLIM=1"], "debian:bookworm${SLIM:+-slim}", "debian:bookworm-slim"),
        (["ARG SLIM"], "debian:bookworm${SLIM:+-slim}", "debian:bookworm"),
        (["ARG SLIM="], "debian:bookworm${SLIM+-slim}", "debian:bookworm-slim"),  # '+' tests set, not empty
        (["ARG V=20"], "node:$V", "node:20"),
        (["ARG V=20"], "node:${V}-alpine", "node:20-alpine"),
        (["ARG A=3 B=19"], "alpine:$A.$B", "alpine:3.19"),
        (["ARG TAG=1.0", "ARG IMG=repo:${TAG}"], "$IMG", "repo:1.0"),
        (['ARG BASE="debian:bookworm-slim"'], "$BASE", "debian:bookworm-slim"),
        (["ARG BASE='debian:bookworm'"], "$BASE", "debian:bookworm"),
        (["ARG REG=ghcr.io", "ARG ORG=acme"], "${REG}/${ORG}/app:1", "ghcr.io/acme/app:1"),
        (["ARG B=x", "ARG B"], "alpine:$B", "alpine:x"),  # a bare re-declaration keeps the value
        (["ARG V=1"], "alpine:${V:-${MISSING}}", "alpine:1"),  # the unused alternative does not count
        ([], r"alpine:3\$x", "UNRESOLVED"),  # \$ is a literal dollar, and '$' is not a tag character
        ([], '"alpine:3.19"', "alpine:3.19"),  # quotes are removed, as by BuildKit's lexer
        (["ARG V=19"], "'alpine:3.$V'", "UNRESOLVED"),  # no expansion inside single quotes
        (["ARG TARGETARCH=arm64"], "arm64v8/alpine:${TARGETARCH}", "arm64v8/alpine:arm64"),
    ],
)
def test_variable_expansion_forms_in_from(args: list[str], word: str, expected: str) -> None:
    info = parse(*args, f"FROM {word}")
    got = base(info) if info.stages[0].base_kind is BaseKind.IMAGE else "UNRESOLVED"
    assert got == expected


# --------------------------------------------------------------------------------- unresolved bases


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        (
            ["ARG BASE_IMAGE", "FROM ${BASE_IMAGE}"],
            "variable BASE_IMAGE has no default and no build arg sets it",
        ),
        (["ARG SUFFIX", "FROM node${SUFFIX}"], "variable SUFFIX has no default and no build arg sets it"),
        (["FROM $BASE"], "variable BASE is not declared by an ARG before the first FROM"),
        (
            ["FROM alpine AS a", "ARG BASE=debian", "FROM $BASE"],
            "variable BASE is declared inside a stage; FROM only sees ARGs before the first FROM",
        ),
        (["FROM alpine:${TARGETARCH}"], "variable TARGETARCH is set by BuildKit for each platform"),
        (["ARG TARGETARCH", "FROM alpine:${TARGETARCH}"], "variable TARGETARCH is set by BuildKit"),
        (["FROM alpine:${TARGETARCH:-amd64}"], "variable TARGETARCH is set by BuildKit"),
        (["FROM ${TARGETOS}/app"], "variable TARGETOS"),
        (["ARG IMG=alpine:${BUILDARCH}", "FROM $IMG"], "variable BUILDARCH is set by BuildKit"),
        (["ARG IMG=alpine:${BUILDARCH}", "FROM $IMG"], "(through ARG IMG)"),
        (["ARG T", "ARG IMG=alpine:$T", "FROM $IMG"], "variable T has no default and no build arg sets it"),
        (["ARG REG=", "FROM ${REG}/app"], "'${REG}/app' expands to an invalid reference: "),
        (["ARG REG=", "FROM ${REG}/app"], "empty path component"),
        (["ARG B=", "FROM ${B}"], "'${B}' expands to an empty base name"),
        (["FROM ${BASE"], "'${BASE' cannot be expanded: missing '}'"),
        (["FROM ${}"], "bad substitution"),
        (["FROM ${BASE:?required}"], "BASE: required"),
        (["ARG BASE=", "FROM ${BASE:?}"], "BASE: is not allowed to be unset or empty"),
        (["FROM ${BASE:?set BASE}"], "got '${BASE:?set BASE}'"),  # FROM words split on spaces first
        (["ARG V=alpine:3", "FROM ${V#alpine}"], "is not evaluated"),
        (["ARG V=a", "FROM ${V:=b}"], "unsupported modifier"),
        (["FROM 'alpine"], "missing closing single quote"),
        (['FROM "alpine'], "missing closing double quote"),
        (["FROM Alpine:3"], "must be lower-case"),
        (["FROM SCRATCH"], "must be lower-case"),  # BuildKit knows scratch only in lower case
        (["FROM"], "FROM expects 'image [AS name]', got ''"),
        (["FROM alpine AS"], "FROM expects 'image [AS name]', got 'alpine AS'"),
        (["FROM alpine build"], "got 'alpine build'"),
        (["FROM alpine AS a b"], "got 'alpine AS a b'"),
        (["FROM --platform=linux/amd64"], "got ''"),
    ],
)
def test_unresolved_base_says_precisely_why(lines: list[str], reason: str) -> None:
    stage = parse(*lines).stages[-1]
    assert stage.base_kind is BaseKind.UNRESOLVED
    assert stage.base_ref is None
    assert reason in (stage.unresolved_reason or "")


def test_unresolved_base_is_not_a_guess_even_when_buildkit_would_use_an_empty_string() -> None:
    # BuildKit would pull "node"; the author clearly expects SUFFIX from a build we cannot see.
    info = parse("ARG SUFFIX", "FROM node${SUFFIX}")
    assert info.stages[0].base_kind is BaseKind.UNRESOLVED
    assert parse("ARG SUFFIX", "FROM node${SUFFIX}", build_args={"SUFFIX": ":20"}).stages[0].base_ref == ref(
        "node:20"
    )


def test_build_arg_pins_a_platform_variable_even_without_an_arg() -> None:
    # BuildKit's defaultArgs lets --build-arg override the automatic platform variables directly.
    info = parse("FROM alpine:${TARGETARCH}", build_args={"TARGETARCH": "arm64"})
    assert base(info) == "alpine:arm64"


def test_platform_variable_declared_with_a_default_is_pinned() -> None:
    info = parse("ARG TARGETARCH=amd64", "FROM example/app:${TARGETARCH}")
    assert base(info) == "example/app:amd64"
    assert info.global_args == (("TARGETARCH", "amd64"),)


def test_platform_flag_is_kept_as_written_and_does_not_affect_the_base() -> None:
    info = parse(
        "FROM --platform=linux/amd64 alpine:3.19 AS pinned",
        "FROM --platform=$TARGETPLATFORM alpine:3.19",
        'FROM --platform="${BUILDPLATFORM}" alpine:3.19',
    )
    assert [s.platform_flag for s in info.stages] == ["linux/amd64", "$TARGETPLATFORM", "${BUILDPLATFORM}"]
    assert {s.base_kind for s in info.stages} == {BaseKind.IMAGE}


def test_unknown_from_flags_are_warned_about() -> None:
    info = parse("FROM --plat=linux/amd64 alpine", "FROM --platform linux/amd64 alpine")
    assert info.stages[0].platform_flag is None
    assert base(info, 0) == "alpine:latest"
    assert sum("is not --platform=" in w for w in info.warnings) == 2


# ------------------------------------------------------------------------------------------- arguments


def test_global_args_report_effective_values_build_arg_then_default_then_none() -> None:
    info = parse(
        'ARG A=1 B="two words" C',
        "ARG D=x",
        "ARG TARGETPLATFORM",
        "ARG E=$A-$B",
        "FROM alpine",
        "ARG INSIDE=1",
        build_args={"D": "from-build", "UNDECLARED": "no"},
    )
    assert info.global_args == (
        ("A", "1"),
        ("B", "two words"),
        ("C", None),
        ("D", "from-build"),
        ("TARGETPLATFORM", None),
        ("E", "1-two words"),
    )


def test_global_arg_whose_default_is_not_knowable_reports_the_default_as_written() -> None:
    # Downstream reads FROM --platform=$PLATFORM through these, so "$BUILDPLATFORM" must survive.
    info = parse(
        'ARG PLATFORM="$BUILDPLATFORM"', "ARG SUFFIX", "ARG IMG=node$SUFFIX", "FROM --platform=$PLATFORM node"
    )
    assert info.global_args == (("PLATFORM", '"$BUILDPLATFORM"'), ("SUFFIX", None), ("IMG", "node$SUFFIX"))


def test_arg_default_can_use_an_earlier_global_arg_on_the_same_line() -> None:
    info = parse("ARG REPO=library/python VERSION=3.12 IMAGE=$REPO:$VERSION-slim", "FROM $IMAGE")
    assert base(info) == "python:3.12-slim"


def test_stage_arg_is_not_visible_to_a_later_from() -> None:
    info = parse("FROM alpine AS one", "ARG TAG=3.19", "FROM alpine:$TAG")
    assert info.stages[1].base_kind is BaseKind.UNRESOLVED


def test_arg_with_an_invalid_default_is_warned_and_taints_its_users() -> None:
    info = parse("ARG BAD=${X", "FROM $BAD")
    assert any("ARG BAD=${X" in w for w in info.warnings)
    assert "the default of ARG BAD cannot be expanded" in (info.stages[0].unresolved_reason or "")
    assert info.global_args == (("BAD", "${X"),)


# ------------------------------------------------------------------------------------ stages and --from


def test_copy_from_an_image_records_the_image() -> None:
    info = parse(
        "FROM alpine:3.19",
        "COPY --from=busybox:1.36 /bin/busybox /bin/",
        f"COPY --from=ghcr.io/o/tools@{SHA256} /t /t",
        "COPY --from=busybox:1.36 /bin/sh /bin/",
        "COPY --chown=1000 --from=registry:5000/x /x /x",
    )
    assert info.stages[0].copy_from == (
        ref("busybox:1.36"),
        ref(f"ghcr.io/o/tools@{SHA256}"),
        ref("registry:5000/x"),
    )
    assert info.stages[0].copy_from_stages == ()


def test_copy_from_by_name_or_index_refers_to_earlier_stages() -> None:
    info = parse(
        "FROM golang:1.22 AS Build",
        "FROM node:20 AS assets",
        "FROM alpine",
        "COPY --from=BUILD /a /a",
        "COPY --from=1 /b /b",
        "COPY --from=0 /c /c",
    )
    assert info.stages[2].copy_from_stages == (0, 1)
    assert info.stages[2].copy_from == ()


@pytest.mark.parametrize(
    ("copy", "warning"),
    [
        ("COPY --from=1 /x /x", "--from=1 is not the index of an earlier stage"),
        ("COPY --from=5 /x /x", "--from=5 is not the index of an earlier stage"),
        ("COPY --from=-1 /x /x", "--from=-1 is not the index of an earlier stage"),
        ("COPY --from=later /x /x", "--from=later names a stage that is not defined before this one"),
        ("COPY --from=first /x /x", "--from=first names a stage that is not defined before this one"),
        ("COPY --from=$SRC /x /x", "BuildKit does not expand variables here"),
        ("COPY --from=Bad_Image /x /x", "is neither an earlier stage nor an image"),
        ("COPY --from /x /x", "COPY --from has no value"),
    ],
)
def test_copy_from_that_names_nothing_usable_is_a_warning(copy: str, warning: str) -> None:
    info = parse("FROM alpine AS first", copy, "FROM alpine AS later")
    assert info.stages[0].copy_from == ()
    assert info.stages[0].copy_from_stages == ()
    assert any(warning in w for w in info.warnings), info.warnings


def test_copy_from_scratch_pulls_nothing() -> None:
    info = parse("FROM alpine", "COPY --from=scratch / /")
    assert info.stages[0].copy_from == ()
    assert info.warnings == ()


def test_run_mount_from_names_a_stage_or_an_image() -> None:
    info = parse(
        "FROM golang:1.22 AS deps",
        "FROM golang:1.22",
        "RUN --mount=type=bind,from=deps,source=/go,target=/go \\",
        "    --mount=from=ghcr.io/o/cache:1,target=/c \\",
        '    --mount="type=cache,target=/root/.cache,from=deps" go build',
        "RUN --mount=type=secret,id=npmrc,from=ignored --mount=type=tmpfs,target=/tmp true",
    )
    assert info.stages[1].copy_from_stages == (0,)
    assert info.stages[1].copy_from == (ref("ghcr.io/o/cache:1"),)


def test_run_mount_from_a_number_is_an_image_name_as_in_buildkit() -> None:
    info = parse("FROM alpine AS a", "FROM alpine", "RUN --mount=from=0,target=/x true")
    assert info.stages[1].copy_from_stages == ()
    assert info.stages[1].copy_from == (ref("docker.io/library/0"),)
    assert any("reads mount sources by name only" in w for w in info.warnings)


def test_from_an_earlier_stage_name_is_a_stage_not_an_image() -> None:
    info = parse(
        "FROM debian:bookworm AS base",
        "FROM base AS build",
        "ARG UNUSED",
        "FROM build",
        "FROM scratch",
        "FROM later",
        "FROM alpine AS later",
    )
    kinds = [(s.base_kind, s.base_stage) for s in info.stages]
    assert kinds == [
        (BaseKind.IMAGE, None),
        (BaseKind.STAGE, 0),
        (BaseKind.STAGE, 1),
        (BaseKind.SCRATCH, None),
        (
            BaseKind.IMAGE,
            None,
        ),  # a later stage's name is not a stage yet: it is the image docker.io/library/later
        (BaseKind.IMAGE, None),
    ]
    assert info.stages[4].base_ref == ref("later")


def test_from_a_stage_name_written_in_another_case_matches_with_a_warning() -> None:
    info = parse("FROM alpine AS builder", "FROM Builder")
    assert (info.stages[1].base_kind, info.stages[1].base_stage) == (BaseKind.STAGE, 0)
    assert any("only ignoring case" in w for w in info.warnings)


def test_from_a_variable_that_names_a_stage_is_that_stage() -> None:
    info = parse("ARG FLAVOUR=slim", "FROM debian AS slim", "FROM debian AS full", "FROM $FLAVOUR")
    assert info.stages[2].base_stage == 0


def test_stage_names_are_lower_cased_and_invalid_or_repeated_ones_warned() -> None:
    info = parse("FROM alpine AS Base", "FROM alpine AS 1st", "FROM alpine AS base", "FROM base")
    assert [s.name for s in info.stages] == ["base", None, "base", None]
    assert info.stages[3].base_stage == 2  # a repeated name means its latest stage, as in BuildKit
    assert any("'1st' is not a stage name" in w for w in info.warnings)
    assert any("stage name 'base' is reused" in w for w in info.warnings)


STAGE_CHAIN = (
    "FROM golang:1.22 AS base",  # 0
    "FROM base AS deps",  # 1
    "FROM deps AS build",  # 2
    "FROM node:20 AS web",  # 3
    "FROM build AS test",  # 4
    "FROM gcr.io/distroless/static AS final",  # 5
    "COPY --from=build /app /app",
    "RUN --mount=from=web,target=/web true",
    "FROM alpine AS debug",  # 6
    "COPY --from=4 /report /report",
)


@pytest.mark.parametrize(
    ("target", "needed"),
    [
        (None, (0, 1, 2, 4, 6)),
        ("final", (0, 1, 2, 3, 5)),
        ("FINAL", (0, 1, 2, 3, 5)),
        ("5", (0, 1, 2, 3, 5)),
        ("web", (3,)),
        ("base", (0,)),
        ("test", (0, 1, 2, 4)),
    ],
)
def test_stages_needed_follows_bases_and_copies_transitively(
    target: str | None, needed: tuple[int, ...]
) -> None:
    assert stages_needed(parse(*STAGE_CHAIN), target) == needed


@pytest.mark.parametrize("target", ["nope", "7", "-1", "²"])
def test_stages_needed_refuses_an_unknown_target(target: str) -> None:
    with pytest.raises(ValueError, match="is not a stage"):
        stages_needed(parse(*STAGE_CHAIN), target)


def test_stages_needed_refuses_a_dockerfile_without_stages() -> None:
    with pytest.raises(ValueError, match="no build stages"):
        stages_needed(parse("ARG X=1"), None)


# -------------------------------------------------------------------------------------------- heredocs


def test_from_inside_heredoc_is_not_a_stage() -> None:
    info = parse(
        "FROM alpine:3.19",
        "RUN <<EOF",
        "FROM evil.example/backdoor",
        "COPY --from=other / /",
        "EOF",
        'CMD ["sh"]',
    )
    assert len(info.stages) == 1
    assert info.stages[0].copy_from == ()
    run = info.instructions[1]
    assert (run.keyword, run.line, run.end_line) == ("RUN", 2, 5)
    assert run.heredocs == ("FROM evil.example/backdoor\nCOPY --from=other / /\n",)
    assert [i.keyword for i in info.instructions] == ["FROM", "RUN", "CMD"]


def test_heredoc_with_dash_strips_leading_tabs_from_body_and_terminator() -> None:
    info = parse("FROM alpine", "RUN <<-EOT", "\techo one", "\t\t  echo two", "\tEOT", "FROM busybox")
    assert info.instructions[1].heredocs == ("echo one\n  echo two\n",)
    assert len(info.stages) == 2


def test_heredoc_without_dash_needs_the_terminator_at_column_one() -> None:
    info = parse("FROM alpine", "RUN <<EOT", "\tEOT", "FROM inside", "EOT", "FROM busybox")
    assert info.instructions[1].heredocs == ("\tEOT\nFROM inside\n",)
    assert [base(info, i) for i in range(len(info.stages))] == ["alpine:latest", "busybox:latest"]


@pytest.mark.parametrize("marker", ['<<"EOF"', "<<'EOF'", "<<E\\OF", '<<"E"OF'])
def test_quoted_heredoc_markers_end_at_the_unquoted_name(marker: str) -> None:
    info = parse("FROM alpine", f"RUN cat {marker} > /x", "echo $HOME", "EOF", "FROM busybox")
    assert info.instructions[1].heredocs == ("echo $HOME\n",)
    assert len(info.stages) == 2


def test_several_heredocs_on_one_line_are_read_in_order() -> None:
    info = parse(
        "FROM alpine", "RUN <<A cat > /a && 3<<-B cat >&3", "one", "A", "\ttwo", "\tB", "FROM busybox"
    )
    run = info.instructions[1]
    assert run.heredocs == ("one\n", "two\n")
    assert (run.line, run.end_line) == (2, 6)


def test_copy_heredoc_creates_a_file_and_is_not_an_instruction() -> None:
    info = parse(
        "FROM alpine",
        "COPY <<EOF /etc/app.conf",
        "FROM=nothing",
        "EOF",
        "COPY --chmod=755 <<run.sh /",
        "x",
        "run.sh",
    )
    assert [i.heredocs for i in info.instructions[1:]] == [("FROM=nothing\n",), ("x\n",)]


def test_onbuild_keeps_its_trigger_and_heredoc() -> None:
    info = parse("FROM alpine", "ONBUILD RUN <<EOF", "FROM nope", "EOF")
    onbuild = info.instructions[1]
    assert (onbuild.keyword, onbuild.value, onbuild.heredocs) == ("ONBUILD", "RUN <<EOF", ("FROM nope\n",))
    assert len(info.stages) == 1


@pytest.mark.parametrize(
    "run",
    [
        'RUN echo "<<EOF"',
        "RUN echo '<<EOF'",
        'RUN ["sh", "-c", "cat <<EOF"]',
        "RUN cat<<EOF",
        "RUN cat <<<EOF",
        "ENV X=<<EOF",
        'RUN echo "<<EOF',  # an unclosed quote: BuildKit finds no heredocs on the line
    ],
)
def test_heredoc_marker_in_quotes_json_or_wrong_place_is_not_a_heredoc(run: str) -> None:
    info = parse("FROM alpine", run, "FROM busybox", "EOF")
    assert info.instructions[1].heredocs == ()
    assert len(info.stages) == 2


def test_unterminated_heredoc_takes_the_rest_of_the_file_with_a_warning() -> None:
    info = parse("FROM alpine", "RUN <<EOF", "FROM nope", "echo")
    assert info.instructions[1].heredocs == ("FROM nope\necho\n",)
    assert info.instructions[1].end_line == 4
    assert len(info.stages) == 1
    assert any("heredoc 'EOF' is never terminated" in w for w in info.warnings)


# ------------------------------------------------------------------------ directives and line handling


def test_escape_backtick_windows_dockerfile() -> None:
    info = parse(
        "# escape=`",
        "FROM mcr.microsoft.com/windows/servercore:ltsc2022",
        'SHELL ["powershell", "-Command"]',
        "RUN $ErrorActionPreference = 'Stop'; `",
        "    Invoke-WebRequest https://example.com/app.zip -OutFile C:\\app.zip ; `",
        "    Expand-Archive C:\\app.zip -DestinationPath C:\\app",
        "COPY app\\ C:\\app\\",
    )
    assert info.directives == (("escape", "`"),)
    assert base(info) == "mcr.microsoft.com/windows/servercore:ltsc2022"
    run, copy = info.instructions[2], info.instructions[3]
    assert (run.line, run.end_line) == (4, 6)
    assert "`" not in run.value
    assert "-OutFile C:\\app.zip ;     Expand-Archive" in run.value
    assert copy.value == "app\\ C:\\app\\"  # a trailing backslash is not a continuation here


def test_directives_are_read_only_at_the_top_with_lower_cased_keys() -> None:
    info = parse(
        "# SYNTAX = docker/dockerfile:1.7",
        "#Escape=\\",
        "# check=skip=JSONArgsRecommended;error=true",
        "# escape=`",
        "FROM alpine",
    )
    assert info.directives == (
        ("syntax", "docker/dockerfile:1.7"),
        ("escape", "\\"),
        ("check", "skip=JSONArgsRecommended;error=true"),
    )
    assert any("escape directive is repeated" in w for w in info.warnings)


@pytest.mark.parametrize(
    "before",
    [
        ["# a comment"],  # any other comment ends the directives
        [""],  # so does a blank line
        ["# unknown=directive"],  # and an unknown key
        ["ARG X=1"],  # and an instruction
    ],
)
def test_escape_directive_after_anything_else_is_just_a_comment(before: list[str]) -> None:
    info = parse(*before, "# escape=`", "FROM alpine", "RUN echo \\", "  continued")
    assert info.directives == ()
    assert info.instructions[-1].value == "echo   continued"


def test_invalid_escape_directive_is_recorded_and_warned_but_not_used() -> None:
    info = parse("# escape=x", "FROM alpine", "RUN a \\", "  b")
    assert info.directives == (("escape", "x"),)
    assert info.instructions[-1].value == "a   b"
    assert any("is not \\ or `" in w for w in info.warnings)


def test_continuation_joins_lines_exactly_as_buildkit_does() -> None:
    info = parse(
        "FROM alpine",
        "RUN apk add \\   ",  # whitespace after the escape is allowed
        "  curl \\",
        "\\",  # a line of just the escape character continues too
        "  git",
        "RUN echo \\\\",  # an escaped escape character does not continue the line
        "LABEL a=b",
    )
    assert info.instructions[1].value == "apk add   curl   git"
    assert (info.instructions[1].line, info.instructions[1].end_line) == (2, 5)
    assert info.instructions[2].value == "echo \\\\"
    assert info.instructions[3].keyword == "LABEL"


def test_comments_and_blank_lines_inside_a_continuation_are_skipped() -> None:
    info = parse(
        "FROM alpine",
        "RUN apk add \\",
        "# a comment about curl",
        "    # an indented comment",
        "    curl \\",
        "",
        "    git",
        'CMD ["sh"]',
    )
    run = info.instructions[1]
    assert run.value == "apk add     curl     git"
    assert (run.line, run.end_line) == (2, 7)
    assert any("empty continuation line" in w for w in info.warnings)


def test_crlf_line_endings_are_handled() -> None:
    text = (
        "ARG TAG=3.19\r\nFROM alpine:${TAG} AS base\r\nRUN echo a \\\r\n  b\r\nRUN <<EOF\r\nFROM x\r\nEOF\r\n"
    )
    info = parse_dockerfile(text, "Dockerfile")
    assert base(info) == "alpine:3.19"
    assert info.stages[0].name == "base"
    assert info.instructions[2].value == "echo a   b"
    assert info.instructions[3].heredocs == ("FROM x\n",)
    assert len(info.stages) == 1


def test_utf8_byte_order_mark_is_ignored_even_before_a_directive() -> None:
    info = parse_dockerfile("\ufeff# escape=`\nFROM alpine\nRUN a `\n b\n", "Dockerfile")
    assert info.directives == (("escape", "`"),)
    assert info.instructions[0].keyword == "FROM"
    assert info.instructions[1].value == "a  b"


def test_keywords_are_case_insensitive() -> None:
    info = parse("from alpine As Build", "run echo hi", "Copy --from=build / /")
    assert [i.keyword for i in info.instructions] == ["FROM", "RUN", "COPY"]
    assert info.stages[0].name == "build"


def test_every_instruction_is_recorded_with_its_stage() -> None:
    info = parse(
        "ARG V=1", "FROM alpine AS a", "ENV X=1", "FROM alpine", "ONBUILD RUN echo", "HEALTHCHECK NONE"
    )
    assert [(i.keyword, i.stage, i.line) for i in info.instructions] == [
        ("ARG", -1, 1),
        ("FROM", 0, 2),
        ("ENV", 0, 3),
        ("FROM", 1, 4),
        ("ONBUILD", 1, 5),
        ("HEALTHCHECK", 1, 6),
    ]
    assert info.instructions[1].value == "alpine AS a"


# ---------------------------------------------------------------------------------------- resilience


def test_no_from_gives_no_stages_and_a_warning() -> None:
    info = parse("# just a comment", "RUN echo hi")
    assert info.stages == ()
    assert info.instructions[0].stage == -1
    assert any("no FROM instruction" in w for w in info.warnings)
    assert any("RUN before the first FROM" in w for w in info.warnings)


@pytest.mark.parametrize("text", ["", "\n\n\n", "# only\n# comments", "\\", "\ufeff"])
def test_empty_or_comment_only_text_has_nothing_but_a_warning(text: str) -> None:
    info = parse_dockerfile(text, "Dockerfile")
    assert info.stages == ()
    assert info.instructions == ()
    assert info.warnings == ("no FROM instruction: the Dockerfile defines no build stage",)


def test_unknown_instruction_is_kept_with_a_warning() -> None:
    info = parse("FROM alpine", "FETCH https://example.com/x", "RUN true")
    assert info.instructions[1].keyword == "FETCH"
    assert info.instructions[1].value == "https://example.com/x"
    assert any("unknown instruction FETCH" in w for w in info.warnings)


def test_nul_bytes_do_not_crash_the_parser() -> None:
    info = parse_dockerfile("FROM alp\x00ine\nRUN \x00\x00 \\\n\x00\nFR\x00OM x\n\x00", "Dockerfile")
    assert len(info.stages) == 1
    assert info.stages[0].base_kind is BaseKind.UNRESOLVED
    assert [i.keyword for i in info.instructions] == ["FROM", "RUN", "FR\x00OM", "\x00"]


def test_a_one_megabyte_line_is_one_instruction() -> None:
    huge = "x" * 1_000_000
    info = parse("FROM alpine", f"RUN echo {huge} x<<no-heredoc", f"LABEL big={huge}", f"FROM {huge}")
    assert len(info.instructions[1].value) == 1_000_000 + len("echo  x<<no-heredoc")
    assert info.instructions[2].keyword == "LABEL"
    assert info.stages[1].base_kind is BaseKind.UNRESOLVED


def test_ten_thousand_instructions_are_all_read() -> None:
    lines = ["ARG BASE=alpine:3.19", "FROM ${BASE} AS s0"]
    for i in range(1, 2_000):
        lines += [
            f"FROM s{i - 1} AS s{i}",
            f"RUN echo {i} \\",
            "  && true",
            f"COPY --from=s{i // 2} /a /b",
            "ENV A=1",
        ]
    info = parse(*lines)
    assert len(info.instructions) == 2 + 4 * 1_999
    assert len(info.stages) == 2_000
    last: Stage = info.stages[-1]
    assert (last.base_stage, last.copy_from_stages) == (1_998, (999,))
    assert stages_needed(info, None) == tuple(range(2_000))

"""``plan_builds``: from a scan to the images the bot builds, and for which platforms. Pure: no registry."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.build.plan import literal_build_args, plan_builds
from bot.model import (
    AMD64,
    ARM64,
    BaseUse,
    BuildKind,
    BuildPath,
    BuildPlan,
    Digest,
    DockerfileInfo,
    ImagePlatforms,
    ImageRef,
    LookupFailure,
    Platform,
    Readiness,
    ScanResult,
    Unverified,
)
from bot.scan.dockerfile import parse_dockerfile
from bot.scan.verdict import judge

WANTED = (AMD64, ARM64)
BOTH = (AMD64, ARM64)
DIGEST = Digest("sha256:" + "b" * 64)
Registry = Mapping[str, tuple[Platform, ...] | LookupFailure]  # repository:tag → platforms or failure


def build_path(
    line: int,
    dockerfile: str | None = "Dockerfile",
    *,
    path: str = "build.sh",
    context: str | None = ".",
    target: str | None = None,
    build_args: tuple[tuple[str, str | None], ...] = (),
    tags: tuple[str, ...] = (),
    pushes: bool = False,
) -> BuildPath:
    return BuildPath(
        BuildKind.SHELL,
        path,
        line,
        "",
        "docker build .",
        dockerfile,
        context,
        tags=tags,
        build_args=build_args,
        target=target,
        pushes=pushes,
    )


def scan(
    dockerfiles: Mapping[str, str], build_paths: Sequence[BuildPath] = (), registry: Registry | None = None
) -> ScanResult:
    """A ScanResult as the scanner builds it: a base use per stage and external image, judged."""
    infos = tuple(parse_dockerfile(text, path) for path, text in dockerfiles.items())
    uses = [use for info in infos for use in _uses(info)]
    answers = registry or {}
    verdicts = tuple(judge(_answer(use.ref, answers), use.needs) for use in uses)
    return ScanResult(".", WANTED, infos, tuple(build_paths), tuple(uses), verdicts, (), (), Readiness.READY)


def _uses(info: DockerfileInfo) -> list[BaseUse]:
    uses = []
    for stage in info.stages:
        needs = (AMD64,) if stage.platform_flag and "BUILDPLATFORM" in stage.platform_flag else WANTED
        refs = ([stage.base_ref] if stage.base_ref else []) + list(stage.copy_from)
        uses += [BaseUse(info.path, stage.index, stage.line, ref, needs) for ref in refs]
    return uses


def _answer(ref: ImageRef, answers: Registry) -> ImagePlatforms | LookupFailure:
    found = answers.get(f"{ref.repository.removeprefix('library/')}:{ref.tag}", BOTH)
    if isinstance(found, LookupFailure):
        return LookupFailure(ref, found.not_found, found.reason, found.detail)
    return ImagePlatforms(ref, DIGEST, found, is_index=len(found) > 1)


NOT_FOUND = LookupFailure(ImageRef("docker.io", "x"), True, None, "404")
UNAUTHORISED = LookupFailure(ImageRef("docker.io", "x"), False, Unverified.AUTH, "401 from the registry")


def only(plans: tuple[BuildPlan, ...]) -> BuildPlan:
    assert len(plans) == 1, plans
    return plans[0]


# ------------------------------------------------------------------------------------------------ grouping


def test_build_paths_of_one_image_make_one_plan_with_every_source_and_tag() -> None:
    result = scan(
        {"Dockerfile": "FROM node:18\n"},
        [
            build_path(3, tags=("acme/app:dev",)),
            build_path(9, path=".github/workflows/ci.yml", tags=("acme/app:latest",), pushes=True),
            build_path(4, tags=("acme/app:dev",)),
        ],
    )
    plan = only(plan_builds(result, WANTED))
    assert plan == BuildPlan(
        dockerfile="Dockerfile",
        context=".",
        tags=("acme/app:dev", "acme/app:latest"),
        platforms=(AMD64, ARM64),
        sources=(".github/workflows/ci.yml:9", "build.sh:3", "build.sh:4"),  # the publishing one first
    )


def test_pushing_build_paths_decide_what_is_published() -> None:
    dockerfile = "FROM node:18 AS build\nRUN make\nFROM build AS test\nRUN make test\nFROM build\n"
    pushed_and_tested = scan(
        {"Dockerfile": dockerfile}, [build_path(1, target="test"), build_path(2, pushes=True)]
    )
    assert [(plan.target, plan.sources) for plan in plan_builds(pushed_and_tested, WANTED)] == [
        (None, ("build.sh:2",))
    ]

    nothing_pushed = scan({"Dockerfile": dockerfile}, [build_path(1, target="Test"), build_path(2)])
    assert [plan.target for plan in plan_builds(nothing_pushed, WANTED)] == ["test", None]


def test_each_literal_set_of_build_args_is_its_own_plan() -> None:
    result = scan(
        {"Dockerfile": "ARG V=18\nFROM node:${V}\n"},
        [
            build_path(1, build_args=(("V", "20"),)),
            build_path(2, build_args=(("V", "20"), ("GIT_SHA", "$GITHUB_SHA"), ("TOKEN", None))),
            build_path(3, build_args=(("V", "18"),)),
        ],
    )
    assert [(plan.build_args, plan.sources) for plan in plan_builds(result, WANTED)] == [
        ((("V", "20"),), ("build.sh:1", "build.sh:2")),  # the unknowable args do not split the image
        ((("V", "18"),), ("build.sh:3",)),
    ]


def test_literal_build_args_drop_variables_commands_environment_and_platform_args() -> None:
    written = [("Z", "1"), ("A", "x y"), ("SHA", "`git rev-parse HEAD`"), ("V", "${V}"), ("E", None)]
    platform_args = [("TARGETARCH", "amd64"), ("BUILDPLATFORM", "linux/amd64")]
    assert literal_build_args([*written, *platform_args]) == (("A", "x y"), ("Z", "1"))


def test_an_unbuilt_dockerfile_gets_a_plan_for_its_directory_and_last_stage() -> None:
    result = scan(
        {"Dockerfile": "FROM node:18\n", "tools/lint/Dockerfile": "FROM golang:1.22 AS b\nFROM busybox\n"},
        [build_path(1)],
    )
    plans = plan_builds(result, WANTED)
    assert [(plan.dockerfile, plan.context, plan.target, plan.sources) for plan in plans] == [
        ("Dockerfile", ".", None, ("build.sh:1",)),
        ("tools/lint/Dockerfile", "tools/lint", None, ()),
    ]


def test_a_build_path_without_a_known_context_builds_the_dockerfiles_directory() -> None:
    result = scan({"app/Dockerfile": "FROM node:18\n"}, [build_path(1, "app/Dockerfile", context=None)])
    assert only(plan_builds(result, WANTED)).context == "app"


def test_what_cannot_be_built_makes_no_plan() -> None:
    result = scan(
        {"Dockerfile": "FROM node:18 AS app\n", "Dockerfile.empty": "# nothing here\n"},
        [
            build_path(1, None),  # the scan could not tell which Dockerfile
            build_path(2, target="missing"),  # reported by the scan as a problem
            build_path(3, target="$TARGET"),  # decided at build time
            build_path(4, "Dockerfile.gone"),  # not in the checkout
            build_path(5, target="app"),
        ],
    )
    assert [(plan.dockerfile, plan.target) for plan in plan_builds(result, WANTED)] == [("Dockerfile", "app")]


# ----------------------------------------------------------------------------------------------- platforms


def test_a_base_without_arm64_cuts_arm64_with_the_reason() -> None:
    result = scan({"Dockerfile": "FROM node:18\n"}, registry={"node:18": (AMD64,)})
    plan = only(plan_builds(result, WANTED))
    assert plan.platforms == (AMD64,)
    assert plan.cut == ((ARM64, "node:18 has no linux/arm64"),)


def test_a_build_platform_stage_needs_only_the_build_platform() -> None:
    dockerfile = (
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nRUN go build\n"
        "FROM busybox\nCOPY --from=build /app /app\n"
    )
    result = scan({"Dockerfile": dockerfile}, registry={"golang:1.22": (AMD64,)})
    plan = only(plan_builds(result, WANTED))
    assert (plan.platforms, plan.cut) == ((AMD64, ARM64), ())


def test_only_the_stages_the_target_needs_can_cut() -> None:
    dockerfile = (
        "FROM node:18 AS app\nRUN npm ci\nFROM acme/legacy-runtime:2.4 AS legacy\nCOPY --from=app / /\n"
    )
    registry: Registry = {"acme/legacy-runtime:2.4": (AMD64,)}
    result = scan({"Dockerfile": dockerfile}, [build_path(1, target="app"), build_path(2)], registry)
    app, legacy = plan_builds(result, WANTED)
    assert (app.target, app.platforms, app.cut) == ("app", (AMD64, ARM64), ())
    assert (legacy.target, legacy.platforms) == (None, (AMD64,))
    assert legacy.cut == ((ARM64, "acme/legacy-runtime:2.4 has no linux/arm64"),)


def test_an_image_copied_from_counts_and_every_reason_is_kept() -> None:
    dockerfile = "FROM node:18\nCOPY --from=acme/tools:1 /bin/tool /usr/bin/\nCOPY --from=acme/x:2 /x /x\n"
    registry: Registry = {"node:18": (AMD64,), "acme/tools:1": (AMD64,), "acme/x:2": NOT_FOUND}
    plan = only(plan_builds(scan({"Dockerfile": dockerfile}, registry=registry), WANTED))
    assert plan.platforms == ()
    assert plan.cut == (
        (AMD64, "acme/x:2 was not found in its registry"),
        (
            ARM64,
            "node:18 has no linux/arm64; acme/tools:1 has no linux/arm64; "
            "acme/x:2 was not found in its registry",
        ),
    )


def test_an_unverified_base_cuts_nothing() -> None:
    result = scan({"Dockerfile": "FROM ghcr.io/acme/private:1\n"}, registry={"acme/private:1": UNAUTHORISED})
    plan = only(plan_builds(result, WANTED))
    assert (plan.platforms, plan.cut) == ((AMD64, ARM64), ())


def test_wanted_platforms_are_normalised_and_kept_in_order() -> None:
    result = scan({"Dockerfile": "FROM node:18\n"}, registry={"node:18": (AMD64,)})
    wanted = (Platform("linux", "arm64", "v8"), AMD64, Platform.parse("linux/arm64"))
    plan = only(plan_builds(result, wanted))
    assert (plan.platforms, [platform for platform, _ in plan.cut]) == ((AMD64,), [ARM64])


def test_a_platform_the_scan_did_not_judge_is_built_not_cut() -> None:
    # The scan judged amd64 and arm64; s390x was never asked about, so the build is the test.
    s390x = Platform.parse("linux/s390x")
    result = scan({"Dockerfile": "FROM node:18\n"}, registry={"node:18": (AMD64, ARM64)})
    assert only(plan_builds(result, (AMD64, s390x))).platforms == (AMD64, s390x)

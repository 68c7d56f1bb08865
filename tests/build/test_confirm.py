"""A hazard the scan found and the build confirmed is reported once, joined."""

from __future__ import annotations

from bot.build.confirm import join_hazards
from bot.model import (
    AMD64,
    ARM64,
    BinaryCheck,
    BuildPlan,
    BuildResult,
    Hazard,
    Outcome,
    Platform,
    PlatformBuild,
    PlatformResult,
    Severity,
    WrongArchBinary,
)

TINI_URL = "https://github.com/krallin/tini/releases/download/v0.19.0/tini-amd64"


def hazard(path: str = "Dockerfile", line: int = 5, excerpt: str = f"ADD {TINI_URL} /tini") -> Hazard:
    return Hazard(
        "arch-in-url", path, line, Severity.WRONG_IMAGE, "downloads an amd64 build", "use TARGETARCH", excerpt
    )


def result(
    wrong: dict[Platform, list[str]], dockerfile: str = "Dockerfile", context: str = "."
) -> BuildResult:
    platforms = []
    for platform in (AMD64, ARM64):
        paths = wrong.get(platform, [])
        binaries = tuple(WrongArchBinary(p, "amd64", platform.architecture) for p in paths)
        outcome = Outcome.FAILED if binaries else Outcome.PASSED
        platforms.append(
            PlatformResult(
                PlatformBuild(platform, Outcome.PASSED, 1.0),
                binaries=BinaryCheck(platform, outcome, 3, binaries),
            )
        )
    return BuildResult(BuildPlan(dockerfile, context, platforms=(AMD64, ARM64)), tuple(platforms))


def test_wrong_binary_named_by_a_hazard_confirms_it_instead_of_adding_a_second_report() -> None:
    joined = join_hazards([hazard()], [result({ARM64: ["/tini"]})])
    assert len(joined) == 1
    assert joined[0].hazard == hazard()
    assert [(c.platform, c.binary.path) for c in joined[0].confirmed] == [(ARM64, "/tini")]


def test_download_stem_matches_the_installed_file_name() -> None:
    joined = join_hazards(
        [hazard(excerpt=f"RUN curl -L {TINI_URL} -o /usr/bin/x")], [result({ARM64: ["/usr/local/bin/tini"]})]
    )
    assert [c.binary.path for c in joined[0].confirmed] == ["/usr/local/bin/tini"]


def test_a_binary_no_hazard_names_is_reported_on_its_own() -> None:
    joined = join_hazards([hazard()], [result({ARM64: ["/usr/bin/helper"]})])
    assert joined[0].confirmed == ()
    assert joined[1].hazard is None
    assert joined[1].confirmed[0].binary.path == "/usr/bin/helper"


def test_a_file_name_inside_a_longer_word_does_not_match() -> None:
    joined = join_hazards(
        [hazard(excerpt="RUN curl https://example.invalid/bash-amd64 -o /bin/bash")],
        [result({ARM64: ["/bin/sh"]})],
    )
    assert joined[0].confirmed == ()
    assert joined[1].hazard is None


def test_hazards_of_another_dockerfile_are_not_confirmed() -> None:
    other = hazard(path="tools/Dockerfile")
    joined = join_hazards([other], [result({ARM64: ["/tini"]}, dockerfile="Dockerfile", context="app")])
    assert joined[0].confirmed == ()
    assert joined[1].hazard is None


def test_hazards_without_a_build_finding_stay_unconfirmed() -> None:
    joined = join_hazards([hazard()], [result({})])
    assert [(j.hazard, j.confirmed) for j in joined] == [(hazard(), ())]

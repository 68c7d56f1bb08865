"""The pull request text: what a maintainer reads, escaped, bounded, and marked for the next run."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from bot.forge.markdown import size
from bot.forge.pr_body import BODY_LIMIT, patch_fingerprint, pr_title, read_fingerprint, render_pr
from bot.model import (
    AMD64,
    ARM64,
    DEFAULT_PLATFORMS,
    BuildResult,
    Confirmation,
    FileEdit,
    Hazard,
    ImageRef,
    ImageVerdict,
    JoinedHazard,
    LeftAlone,
    Outcome,
    Patch,
    Platform,
    PlatformBuild,
    PlatformResult,
    Readiness,
    ScanResult,
    Severity,
    VerdictStatus,
    VerifyResult,
    VerifyStatus,
    WrongArchBinary,
)
from bot.proc import register_secret
from tests.forge.azurite import azurite_checkout, passing_verify, scan_and_patch

HOSTILE = (
    "<script>alert(1)</script> <img src=x onerror=alert(2)> @octocat #1 [click](javascript:alert(3)) "
    "![x](http://evil.example/t.png) | a | b | <!-- hidden --> *bold* $x^2$ ~~gone~~ &amp;"
)


def outside_fences(markdown: str) -> str:
    """The lines a CommonMark reader renders as Markdown: everything not inside a backtick fence."""
    outside, fence = [], ""
    for line in markdown.split("\n"):
        if fence:
            if re.fullmatch(rf"{fence}`*\s*", line):
                fence = ""
            continue
        opening = re.match(r"(`{3,})[^`]*$", line)
        if opening:
            fence = opening[1]
            continue
        outside.append(line)
    assert not fence, "a fence was left open"
    return "\n".join(outside)


def outside_code(markdown: str) -> str:
    """Rendered Markdown text that is prose: fences and inline code spans (where nothing renders) removed."""
    return re.sub(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", "CODE", outside_fences(markdown))


@pytest.fixture(scope="module")
def azurite(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    scan, patch = scan_and_patch(azurite_checkout(tmp_path_factory.mktemp("pr")))
    return scan, patch, passing_verify(scan)


def test_azurite_pr_reads_like_a_review_in_a_minute(azurite) -> None:  # type: ignore[no-untyped-def]
    scan, patch, verify = azurite
    pr = render_pr(scan, patch, verify)

    assert pr.title == "Build the Docker image for linux/amd64 and linux/arm64"
    assert not pr.truncated
    body = pr.body
    headings = re.findall(r"^### (.+)$", body, re.MULTILINE)
    assert headings == [
        "Why",
        "What changed",
        "Base images",
        "Verification of this branch",
        "CI cost",
        "Not interested?",
    ]
    assert body.startswith(
        "This pull request makes the project's Docker image build for **linux/amd64** and **linux/arm64**, "
        "instead of only for the architecture of the machine that builds it. "
        "It was prepared by multiarch-bot, which built the patched image for each platform, ran it, "
        "and checked its binaries: all passed.\n"
    )
    assert "Apple Silicon" in body
    assert "Graviton" in body
    assert "Raspberry Pi" in body
    assert (
        "- `package.json`\n"
        "  - `docker push xstoreazurite.azurecr.io/public/azure-storage/azurite:$npm_package_version` "
        "now builds linux/amd64,linux/arm64 and pushes them\n"
        "  - `docker push xstoreazurite.azurecr.io/public/azure-storage/azurite:latest` "
        "now builds linux/amd64,linux/arm64 and pushes them\n"
    ) in body
    assert (
        "| Image | Digest | Platforms | Verdict |\n|---|---|---|---|\n"
        "| `docker.io/library/node:lts-alpine3.10` | `sha256:3f1e9c7a5b2d` "
        "| linux/amd64, linux/arm64, linux/arm/v7 | multi-arch |\n"
    ) in body
    assert "**`Dockerfile` (context `.`)**: ✅ passed" in body
    assert (
        "| linux/amd64 | ✅ passed in 41.2 s | ✅ passed in 0.8 s, exit 0 | ✅ passed, 14 ELF files |" in body
    )
    assert (
        "| linux/arm64 | ✅ passed in 3 min 08 s | ✅ passed in 0.8 s, exit 0 | ✅ passed, 14 ELF files |"
        in body
    )
    assert "Smoke run: `azurite --version`" in body
    assert "3 min 08 s for arm64 and 41.2 s for amd64" in body
    assert "native arm64" in body
    assert "QEMU" in body
    assert "Close this pull request" in body
    assert "will not reopen it" in body
    assert body.endswith(f"\n<!-- multiarch-bot:v1 fingerprint={pr.fingerprint} -->\n")
    assert "skip ci" not in body.lower()
    assert "skip ci" not in pr.title.lower()
    assert "<details>" not in body  # nothing failed: no logs to show


def test_the_marker_carries_the_patch_fingerprint_and_a_changed_patch_changes_it(azurite) -> None:  # type: ignore[no-untyped-def]
    scan, patch, verify = azurite
    pr = render_pr(scan, patch, verify)
    assert read_fingerprint(pr.body) == pr.fingerprint == patch_fingerprint(patch)
    # the evidence may change from run to run; the fingerprint is about the change only
    slower = passing_verify(scan, {AMD64: 50.0, ARM64: 300.0})
    assert render_pr(scan, patch, slower).fingerprint == pr.fingerprint

    edit = patch.edits[0]
    changed = replace(patch, edits=(replace(edit, after=edit.after + "\n"),))
    assert patch_fingerprint(changed) != pr.fingerprint
    assert read_fingerprint("a body a maintainer wrote") is None
    assert read_fingerprint(None) is None


def test_a_forged_marker_in_a_log_or_rationale_is_not_taken_for_the_bots(azurite) -> None:  # type: ignore[no-untyped-def]
    scan, _patch, verify = azurite
    forged = "<!-- multiarch-bot:v1 fingerprint=" + "f" * 32 + " -->"
    edit = FileEdit("build.sh", "a\n", "b\n", (forged,))
    pr = render_pr(scan, Patch((edit,), questions=(forged,)), _failing(verify, log=(forged, forged)))
    assert read_fingerprint(pr.body) == pr.fingerprint != "f" * 32
    assert pr.body.count(forged) == 2  # only inside the fenced log, where nothing renders


def test_hostile_repository_text_renders_as_literal_text(azurite) -> None:  # type: ignore[no-untyped-def]
    scan, _, verify = azurite
    patch = Patch(
        (FileEdit(f"docs/{HOSTILE}", "a\n", "b\n", (HOSTILE, f"# {HOSTILE}", f"`{HOSTILE}` then text")),),
        left_alone=(LeftAlone("- evil", 3, HOSTILE),),
        questions=(f"1. {HOSTILE}",),
    )
    hazard = Hazard("arch-in-url", "Dockerfile", 4, Severity.WRONG_IMAGE, HOSTILE, HOSTILE, HOSTILE)
    verify = replace(
        _failing(verify, log=("```", "````", "## pwned", HOSTILE)), findings=(JoinedHazard(hazard),)
    )
    body = render_pr(scan, patch, verify).body
    rendered = outside_code(body)

    # the only raw HTML is the bot's own: <details>/<summary> and the marker comment
    tags = re.findall(r"(?<!\\)<[^>]*>", rendered)
    assert set(tags) <= {"<details>", "</details>", "<summary>", "</summary>"} | {
        t for t in tags if t.startswith("<!-- multiarch-bot:v1 ")
    }
    assert "@octocat" not in rendered
    assert "@&#8203;octocat" in rendered
    assert "#1 " not in rendered
    assert "#&#8203;1" in rendered
    assert re.search(r"(?<!\\)\]\(", rendered) is None  # no link or image syntax survives
    assert re.search(r"^\s*(?:- )?#", rendered.replace("### ", ""), re.MULTILINE) is None  # no heading
    assert "## pwned" not in outside_fences(body)  # the log's lines stayed inside their fence
    for line in rendered.split("\n"):  # table rows keep their four columns: pipes in cells are escaped
        if line.startswith("| linux/"):
            assert len(re.findall(r"(?<!\\)\|", line)) == 5
    fences = re.findall(r"^(`{3,})text$", body, re.MULTILINE)
    assert fences
    assert all(len(f) >= 5 for f in fences)


def test_a_registered_token_never_appears(azurite) -> None:  # type: ignore[no-untyped-def]
    scan, _patch, verify = azurite
    token = "ghp_" + "T0kenT0kenT0kenT0kenT0kenT0kenT0ken1"
    register_secret(token)
    leaky = f"Authorization: token {token} and https://x-access-token:{token}@github.com/a/b.git"
    edit = FileEdit("ci.sh", "a\n", "b\n", (leaky, f"`{leaky}`"))
    hazard = Hazard("goarch-amd64", "Dockerfile", 2, Severity.BREAKS_BUILD, leaky, leaky, leaky)
    failing = replace(_failing(verify, log=(leaky,)), findings=(JoinedHazard(hazard),), reasons=(leaky,))
    pr = render_pr(scan, Patch((edit,), questions=(leaky,)), failing)
    for text in (pr.title, pr.body):
        assert token not in text
        assert token.replace("_", "\\_") not in text  # masked before escaping could split it
        assert "T0kenT0ken" not in text
    assert "***" in pr.body


def test_a_failed_platform_shows_its_error_and_log_tail_collapsed(azurite) -> None:  # type: ignore[no-untyped-def]
    scan, patch, verify = azurite
    body = render_pr(
        scan, patch, _failing(verify, log=("#8 [linux/arm64 2/6] RUN npm ci", "npm ERR! 137"))
    ).body

    assert "tried to build and run the patched image for each platform: **failed** (see below)" in body
    assert "| linux/arm64 | ❌ failed in 12.5 s | – | – |" in body
    assert "<details><summary>linux/arm64: what went wrong</summary>\n\nbuild:\n\n```text\n" in body
    assert "exec /bin/sh: exec format error\n#8 [linux/arm64 2/6] RUN npm ci\nnpm ERR! 137\n```" in body
    assert body.index("<details>") > body.index("| linux/arm64 |")  # logs come after the summary table


def test_a_hazard_the_build_confirmed_is_reported_once_with_the_proof(azurite) -> None:  # type: ignore[no-untyped-def]
    scan, patch, verify = azurite
    hazard = Hazard(
        "arch-in-url", "Dockerfile", 7, Severity.WRONG_IMAGE, "downloads tini-amd64", "use `${TARGETARCH}`"
    )
    tini = WrongArchBinary("/usr/local/bin/tini", "amd64", "arm64")
    stray = WrongArchBinary("/opt/x/helper", "amd64", "arm64")
    findings = (
        JoinedHazard(hazard, (Confirmation(ARM64, tini),)),
        JoinedHazard(None, (Confirmation(ARM64, stray),)),
    )
    body = render_pr(scan, patch, replace(verify, findings=findings)).body

    assert (
        "- **silently wrong** `Dockerfile:7`: downloads tini-amd64. Suggested fix: use `${TARGETARCH}`\n"
        "  - confirmed by the build: `/usr/local/bin/tini` is amd64 in the linux/arm64 image\n"
        "- found by the build: `/opt/x/helper` is amd64 in the linux/arm64 image\n"
    ) in body
    assert body.count("/usr/local/bin/tini") == 1


def test_a_huge_body_is_cut_at_githubs_limit_keeping_the_opt_out_and_marker(azurite) -> None:  # type: ignore[no-untyped-def]
    scan, _, verify = azurite
    edits = tuple(
        FileEdit(
            f"services/svc{i}/build.sh", "a\n", "b\n", tuple(f"line {j} " + "x" * 300 for j in range(19))
        )
        for i in range(59)
    )
    log = tuple(f"step {n} " + "`" * (n % 7) + "y" * 290 for n in range(500))
    many = [_failing(verify, log=log, platform=p) for p in (AMD64, ARM64)]
    builds = tuple(b for v in many for b in v.builds) * 10
    pr = render_pr(
        scan, Patch(edits, questions=tuple(f"q{i}?" * 50 for i in range(30))), replace(verify, builds=builds)
    )

    assert pr.truncated
    assert size(pr.body) <= BODY_LIMIT
    assert "This description was cut to fit GitHub's size limit" in pr.body
    assert "Close this pull request" in pr.body
    assert read_fingerprint(pr.body) == pr.fingerprint
    outside_fences(pr.body)  # every fence that was opened is closed: the cut falls between blocks


def test_a_small_limit_cuts_whole_blocks(azurite) -> None:  # type: ignore[no-untyped-def]
    scan, patch, verify = azurite
    pr = render_pr(scan, patch, verify, limit=2500)
    assert pr.truncated
    assert size(pr.body) <= 2500
    assert pr.body.endswith(f"fingerprint={pr.fingerprint} -->\n")
    assert re.search(r"cut to fit GitHub's size limit: \d+ more lines", pr.body)


def test_the_title_names_every_platform_built() -> None:
    arm7 = Platform.of("linux", "arm", "v7")
    assert (
        pr_title((AMD64, ARM64, arm7))
        == "Build the Docker image for linux/amd64, linux/arm64 and linux/arm/v7"
    )


def _failing(verify: VerifyResult, *, log: tuple[str, ...], platform: Platform = ARM64) -> VerifyResult:
    """``verify`` with ``platform``'s build failed (exec format error) and ``log`` as its log tail."""
    build = verify.builds[0]
    results = tuple(
        PlatformResult(
            PlatformBuild(
                platform, Outcome.FAILED, 12.5, log_tail=log, error="exec /bin/sh: exec format error"
            )
        )
        if r.build.platform == platform
        else r
        for r in build.platforms
    )
    return replace(verify, builds=(BuildResult(build.plan, results),), status=VerifyStatus.FAILED)


def test_each_base_image_is_listed_once_in_first_use_order_with_what_is_missing(azurite) -> None:  # type: ignore[no-untyped-def]
    scan, patch, verify = azurite
    node = scan.verdicts[0]
    legacy = ImageVerdict(
        ImageRef("docker.io", "acme/legacy-runtime", "2.4"),
        VerdictStatus.MISSING,
        (AMD64, ARM64),
        platforms=(AMD64,),
        missing=(ARM64,),
        detail="only linux/amd64 is published",
    )
    body = render_pr(replace(scan, verdicts=(node, legacy, node)), patch, verify).body

    rows = [line for line in body.splitlines() if line.startswith("| `docker.io/")]
    assert [row.split("`")[1] for row in rows] == [
        "docker.io/library/node:lts-alpine3.10",
        "docker.io/acme/legacy-runtime:2.4",
    ]
    assert (
        rows[1] == "| `docker.io/acme/legacy-runtime:2.4` | – | linux/amd64 "
        "| missing-arm64: only linux/amd64 is published |"
    )
    assert "Not every base image could be confirmed for every platform" in body


def test_related_issues_are_linked_and_nothing_else_passes_as_a_reference() -> None:
    scan = ScanResult(".", DEFAULT_PLATFORMS, (), (), (), (), (), (), Readiness.READY)
    text = render_pr(scan, Patch(), None, related=["Azure/Azurite#1010", "x](javascript:1)#1", "a/b#0"])
    assert "Addresses Azure/Azurite#1010." in text.body
    assert "javascript" not in text.body
    assert "a/b#0" not in text.body

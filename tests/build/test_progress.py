"""Reading buildx's rawjson progress: the log tail and the one error line. Pure: recorded output only."""

from __future__ import annotations

import base64
import json

import pytest

from bot import proc
from bot.build.progress import last_words, read_rawjson

RUN = "sha256:" + "2" * 64
FROM = "sha256:" + "1" * 64
SCRIPT = "echo fetching && cat /etc/tool.conf"
RUN_NAME = f"[2/2] RUN {SCRIPT}"


def vertex(digest: str, name: str, **fields: object) -> str:
    # buildx pretty-prints each status object over many lines, as here.
    return json.dumps({"vertexes": [{"digest": digest, "name": name, **fields}]}, indent=2) + "\n"


def log(digest: str, stream: int, text: str) -> str:
    data = base64.b64encode(text.encode()).decode()
    return json.dumps({"logs": [{"vertex": digest, "stream": stream, "data": data}]}, indent=2) + "\n"


FAILED_RUN = (
    vertex(FROM, "[1/2] FROM 127.0.0.1:5000/library/busybox:stable", started="t")
    + vertex(RUN, RUN_NAME, started="t")
    + json.dumps({"statuses": [{"id": "x", "vertex": RUN}]})
    + log(RUN, 1, "fetching\npart")
    + log(RUN, 2, "cat: can't open '/etc/tool.conf': No such file or directory\n")
    + log(RUN, 1, "ial line")
    + vertex(
        RUN,
        RUN_NAME,
        error=f'process "/bin/sh -c {SCRIPT}" did not complete successfully: exit code: 1',
    )
    + "Dockerfile:2\n--------------------\n   1 |     FROM busybox\n   2 | >>> RUN echo fetching && cat x\n"
    + "--------------------\n"
    + 'ERROR: failed to solve: process "/bin/sh -c echo fetching && cat /etc/tool.conf" did not complete\n'
)


def test_a_failed_step_gives_its_name_exit_code_and_last_stderr_line() -> None:
    read = read_rawjson(FAILED_RUN)
    assert read.error == (
        "[2/2] RUN echo fetching && cat /etc/tool.conf: exit code 1: "
        "cat: can't open '/etc/tool.conf': No such file or directory (Dockerfile:2)"
    )
    assert read.reached_buildkit
    assert read.lines[:5] == (
        "#1 [1/2] FROM 127.0.0.1:5000/library/busybox:stable",
        f"#2 {RUN_NAME}",
        "#2 fetching",
        "#2 cat: can't open '/etc/tool.conf': No such file or directory",
        "#2 partial line",  # a line split over two chunks is one line
    )
    assert read.lines[5].startswith('#2 ERROR: process "/bin/sh -c echo fetching')
    assert read.lines[-1].startswith("ERROR: failed to solve:")


def test_output_that_looks_like_buildkits_error_is_only_output() -> None:
    forged = vertex(RUN, RUN_NAME, started="t") + log(RUN, 1, "ERROR: failed to solve: all good really\n")
    forged += vertex(RUN, RUN_NAME, error='process "x" did not complete successfully: exit code: 3')
    read = read_rawjson(forged + "ERROR: failed to solve: exit code 3\n")
    assert read.error == f"{RUN_NAME}: exit code 3: ERROR: failed to solve: all good really"
    assert "#2" not in read.error


def test_canceled_steps_give_way_to_the_one_that_failed() -> None:
    other = "sha256:" + "3" * 64
    text = (
        vertex(other, "[b 1/1] RUN sleep 5", started="t")
        + vertex(RUN, RUN_NAME, started="t")
        + vertex(other, "[b 1/1] RUN sleep 5", error="context canceled")
        + vertex(RUN, RUN_NAME, error='process "x" did not complete successfully: exit code: 2')
    )
    assert read_rawjson(text).error == f"{RUN_NAME}: exit code 2"


def test_an_error_no_step_owns_comes_from_buildxs_closing_text() -> None:
    text = (
        vertex(FROM, "[internal] load build definition from Dockerfile", started="t", completed="t")
        + "Dockerfile:2\n--------------------\n   2 | >>> RUNN true\n--------------------\n"
        + "ERROR: failed to solve: dockerfile parse error on line 2: unknown instruction: RUNN\n"
    )
    read = read_rawjson(text)
    assert read.error == "dockerfile parse error on line 2: unknown instruction: RUNN (Dockerfile:2)"
    assert read.reached_buildkit


def test_a_cli_that_never_reached_buildkit_says_so() -> None:
    read = read_rawjson('ERROR: no builder "arm-farm" found\n')
    assert (read.error, read.reached_buildkit, read.lines) == (
        'no builder "arm-farm" found',
        False,
        ('ERROR: no builder "arm-farm" found',),
    )
    unreachable = vertex(RUN, "[internal] waiting for connection", error="context deadline exceeded")
    assert not read_rawjson(unreachable + "ERROR: context deadline exceeded\n").reached_buildkit
    assert read_rawjson("") == read_rawjson("   \n")
    assert read_rawjson("").error == ""


def test_the_tail_is_the_last_lines_redacted_and_clipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(proc, "_secrets", set())  # this test's secret must not mask other tests' text
    proc.register_secret("tok-98765")
    text = vertex(RUN, RUN_NAME, started="t") + log(RUN, 1, "".join(f"line {n}\n" for n in range(50)))
    text += log(RUN, 2, "using tok-98765 " + "x" * 1000 + "\n")
    read = read_rawjson(text, tail=30)
    assert len(read.lines) == 30
    assert read.lines[0] == "#1 line 21"
    assert read.lines[-1].startswith("#1 using *** xxx")
    assert len(read.lines[-1]) == 400
    assert read.lines[-1].endswith("…")


def test_garbage_in_the_stream_ends_the_json_and_is_kept_as_text() -> None:
    text = vertex(RUN, RUN_NAME, started="t") + '{"vertexes": [oops\nERROR: failed to solve: broken\n'
    read = read_rawjson(text)
    assert read.error == "broken"
    assert read.lines[0] == f"#1 {RUN_NAME}"


def test_last_words_of_a_killed_build_come_from_the_fragment_proc_kept() -> None:
    data = base64.b64encode(b"downloading 45%\n").decode()
    # proc keeps the last lines of a killed command's output, joined with " | ".
    assert last_words(f'"stream": 1, | "data": "{data}", | "timestamp": "t" | }} | ] | }}') == (
        "last output: downloading 45%"
    )
    fragment = '"name": "[internal] load metadata", | "name": "[2/2] RUN sleep 60", | "started": "t" | }'
    assert last_words(fragment) == "running [2/2] RUN sleep 60"
    assert last_words('"timestamp": "t" | } | ] | }') == ""


@pytest.mark.parametrize(
    "name",
    [
        "[context busybox:stable] load metadata for 127.0.0.1:5000/library/busybox:stable",
        "[internal] load metadata for docker.io/library/busybox:stable",
        "[1/2] FROM 127.0.0.1:5000/library/busybox:stable@sha256:" + "1" * 64,
    ],
)
def test_a_step_fetching_a_base_image_that_fails_is_the_registrys_doing(name: str) -> None:
    said = "unexpected status from HEAD request to http://127.0.0.1:5000/v2/…: 429 Too Many Requests"
    read = read_rawjson(vertex(FROM, name, started="t") + vertex(FROM, name, error=said))
    assert read.fetching_base
    assert "429 Too Many Requests" in read.error


def test_a_failing_run_step_is_not_a_base_fetch() -> None:
    assert not read_rawjson(FAILED_RUN).fetching_base

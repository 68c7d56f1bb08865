from __future__ import annotations

import pytest

from bot.errors import ImageRefError, InputError
from bot.model import ImageRef
from bot.scan.image_ref import familiar, parse_image_ref

SHA256 = "sha256:" + "0123456789abcdef" * 4
SHA512 = "sha512:" + "0123456789abcdef" * 8


@pytest.mark.parametrize(
    ("text", "registry", "repository", "tag", "digest"),
    [
        # Docker Hub official images get docker.io and library/
        ("node", "docker.io", "library/node", "latest", None),
        ("node:lts-alpine3.10", "docker.io", "library/node", "lts-alpine3.10", None),
        ("docker.io/node:20", "docker.io", "library/node", "20", None),
        ("index.docker.io/library/node:20", "docker.io", "library/node", "20", None),
        ("index.docker.io/node", "docker.io", "library/node", "latest", None),
        # Docker Hub user images keep their namespace
        ("bitnami/redis:7.2", "docker.io", "bitnami/redis", "7.2", None),
        ("docker.io/bitnami/redis", "docker.io", "bitnami/redis", "latest", None),
        # a first component with '.' or ':' or named localhost is a registry
        ("ghcr.io/o/r:1", "ghcr.io", "o/r", "1", None),
        ("gcr.io/distroless/static", "gcr.io", "distroless/static", "latest", None),
        (
            "mcr.microsoft.com/windows/servercore:ltsc2022",
            "mcr.microsoft.com",
            "windows/servercore",
            "ltsc2022",
            None,
        ),
        ("127.0.0.1:5000/team/app:1.0", "127.0.0.1:5000", "team/app", "1.0", None),
        ("registry:5000/app", "registry:5000", "app", "latest", None),
        ("localhost/app", "localhost", "app", "latest", None),
        ("localhost:5000/app:dev", "localhost:5000", "app", "dev", None),
        ("[::1]:5000/app", "[::1]:5000", "app", "latest", None),
        ("quay.io/a/b/c/d:v1", "quay.io", "a/b/c/d", "v1", None),
        # an upper-case first component can only be a registry host
        ("Registry/app", "Registry", "app", "latest", None),
        # a bare name:port without '/' is a Docker Hub name with a tag (as in distribution)
        ("localhost:5000", "docker.io", "library/localhost", "5000", None),
        # path component separators: '.', '_', '__', any run of '-'
        ("docker.io/a.b_c__d---e/f-g", "docker.io", "a.b_c__d---e/f-g", "latest", None),
        # tags: word characters, '.', '-', up to 128 characters
        ("alpine:3.19.1", "docker.io", "library/alpine", "3.19.1", None),
        ("alpine:_private", "docker.io", "library/alpine", "_private", None),
        ("alpine:UPPER_tag", "docker.io", "library/alpine", "UPPER_tag", None),
        ("alpine:" + "t" * 128, "docker.io", "library/alpine", "t" * 128, None),
        # digests: a digest alone leaves the tag unset; name:tag@digest keeps both
        (f"alpine@{SHA256}", "docker.io", "library/alpine", None, SHA256),
        (f"alpine:3.19@{SHA256}", "docker.io", "library/alpine", "3.19", SHA256),
        (f"ghcr.io/o/r:1@{SHA512}", "ghcr.io", "o/r", "1", SHA512),
        (f"localhost:5000/app@{SHA256}", "localhost:5000", "app", None, SHA256),
    ],
)
def test_valid_references_are_normalised(
    text: str, registry: str, repository: str, tag: str | None, digest: str | None
) -> None:
    assert parse_image_ref(text) == ImageRef(registry, repository, tag, digest)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("Node", "must be lower-case"),
        ("library/Node:1", "must be lower-case"),
        ("ghcr.io/Owner/repo", "must be lower-case"),
        ("node:", "tag ''"),
        ("node:-x", "tag '-x'"),
        ("node:.x", "tag '.x'"),
        ("node:a b", "tag 'a b'"),
        ("alpine:" + "t" * 129, "tag"),
        (":1", "no repository name"),
        ("@" + SHA256, "no repository name"),
        ("a//b", "empty path component"),
        ("/app", "empty path component"),
        ("app/", "empty path component"),
        ("ghcr.io/", "empty path component"),
        ("a-/b", "path component 'a-'"),
        ("_a", "path component '_a'"),
        ("a___b", "path component 'a___b'"),
        ("a b", "path component 'a b'"),
        ("-host.io/app", "not a registry"),
        ("host.io:port/app", "not a registry"),
        ("ho_st.io/app", "not a registry"),
        ("alpine@", "not algorithm:hex"),
        ("alpine@sha256", "not algorithm:hex"),
        ("alpine@sha256:", "not algorithm:hex"),
        ("alpine@sha256:abc", "64 lower-case hex"),
        ("alpine@sha256:" + "A" * 64, "64 lower-case hex"),
        ("alpine@sha256:" + "g" * 64, "64 lower-case hex"),
        ("alpine@md5:" + "0" * 32, "not supported"),
        ("alpine@1sha:" + "0" * 64, "not algorithm:hex"),
        ("0123456789abcdef" * 4, "image ID"),
        ("a/" * 127 + "bb", "longer than 255"),
        ("x" * 2000, "longer than 1024"),
        ("${BASE}", "must be lower-case"),
        ("${base}", "path component '${base}'"),
        ("alpine:3 AS build", "tag"),
        ("alpine\x00", "path component"),
    ],
)
def test_invalid_references_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(ImageRefError, match="invalid image reference") as caught:
        parse_image_ref(text)
    assert problem in str(caught.value)


def test_image_ref_errors_are_input_errors_so_callers_report_them_without_crashing() -> None:
    with pytest.raises(InputError):
        parse_image_ref("UPPER")


def test_name_limit_counts_the_normalised_name() -> None:
    # "docker.io/library/" is part of the 255: a 237-character one-component name still fits.
    assert parse_image_ref("a" * 237).repository == "library/" + "a" * 237
    with pytest.raises(ImageRefError, match="255"):
        parse_image_ref("a" * 238)


@pytest.mark.parametrize(
    ("text", "short"),
    [
        ("node:lts-alpine3.10", "node:lts-alpine3.10"),
        ("docker.io/library/node:20", "node:20"),
        ("node", "node:latest"),
        ("bitnami/redis:7", "bitnami/redis:7"),
        ("docker.io/library/a/b:1", "library/a/b:1"),
        ("ghcr.io/o/r:1", "ghcr.io/o/r:1"),
        ("localhost:5000/app:dev", "localhost:5000/app:dev"),
        (f"alpine@{SHA256}", f"alpine@{SHA256}"),
        (f"alpine:3.19@{SHA256}", f"alpine:3.19@{SHA256}"),
    ],
)
def test_familiar_is_the_short_form_people_write(text: str, short: str) -> None:
    assert familiar(parse_image_ref(text)) == short


@pytest.mark.parametrize("text", ["node:20", "ghcr.io/o/r:1", f"alpine:3@{SHA256}", "bitnami/redis:7"])
def test_familiar_form_parses_back_to_the_same_reference(text: str) -> None:
    ref = parse_image_ref(text)
    assert parse_image_ref(familiar(ref)) == ref

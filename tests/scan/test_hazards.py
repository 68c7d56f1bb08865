"""Arch hazards, on real-world Dockerfile shapes.

Every case goes through parse_dockerfile, so what is tested is what the scanner sees. A false positive is
shown to upstream maintainers, so the "not a hazard" table matters as much as the hazard table.
"""

from __future__ import annotations

import textwrap
import time
from collections.abc import Collection, Mapping

import pytest

from bot.model import Hazard, Platform, Severity
from bot.scan.dockerfile import parse_dockerfile
from bot.scan.hazards import CODES, find_hazards, single_arch_digest_hazard

BREAKS = Severity.BREAKS_BUILD
WRONG = Severity.WRONG_IMAGE


def scan(
    dockerfile: str,
    files: Mapping[str, str] | None = None,
    *,
    path: str = "Dockerfile",
    context: str = ".",
    final_stages: Collection[int] | None = None,
) -> list[Hazard]:
    """find_hazards over a fake repository holding the Dockerfile and `files` (dedented)."""
    text = textwrap.dedent(dockerfile).lstrip("\n")
    repo = {path: text, **{name: textwrap.dedent(body).lstrip("\n") for name, body in (files or {}).items()}}
    return find_hazards(parse_dockerfile(text, path), repo.get, context, final_stages)


def found(hazards: list[Hazard]) -> list[tuple[str, str, int, Severity]]:
    return [(h.code, h.path, h.line, h.severity) for h in hazards]


# --------------------------------------------------------------------------------------- hazards found

HAZARDS = [
    pytest.param(
        """
        FROM alpine:3.19
        ADD https://github.com/krallin/tini/releases/download/v0.19.0/tini-amd64 /tini
        """,
        ("arch-in-url", 2, WRONG),
        id="tini-amd64-by-ADD",
    ),
    pytest.param(
        """
        FROM debian:bookworm
        RUN curl -fsSLo /usr/local/bin/kubectl \\
              "https://dl.k8s.io/release/$(curl -L -s https://dl.k8s.io/release/stable.txt)/bin/linux/amd64/kubectl"
        """,
        ("arch-in-url", 3, WRONG),
        id="kubectl-linux-amd64-on-the-continuation-line",
    ),
    pytest.param(
        """
        FROM debian:bookworm
        RUN wget -q https://nodejs.org/dist/v20.11.0/node-v20.11.0-linux-x64.tar.xz
        """,
        ("arch-in-url", 2, WRONG),
        id="node-linux-x64",
    ),
    pytest.param(
        """
        FROM debian:bookworm
        RUN curl -LO https://github.com/gohugoio/hugo/releases/download/v0.121.0/hugo_0.121.0_Linux-64bit.tar.gz
        """,
        ("arch-in-url", 2, WRONG),
        id="hugo-Linux-64bit",
    ),
    pytest.param(
        """
        FROM debian:bookworm
        RUN curl -fsSL https://get.helm.sh/helm-v3.14.0-linux-${TARGETARCH}.tar.gz | tar xz \\
            && mv linux-amd64/helm /usr/local/bin/helm
        """,
        ("arch-in-url", 3, WRONG),
        id="helm-file-name-still-says-amd64",
    ),
    pytest.param(
        """
        FROM alpine:3.19
        ENV TINI_URL=https://github.com/krallin/tini/releases/download/v0.19.0/tini-amd64
        RUN wget -O /tini "$TINI_URL"
        """,
        ("arch-in-url", 2, WRONG),
        id="amd64-url-in-ENV",
    ),
    pytest.param(
        """
        ARG ARCH=amd64
        FROM alpine:3.19
        ARG ARCH
        RUN wget -O /usr/local/bin/yq https://github.com/mikefarah/yq/releases/latest/download/yq_linux_${ARCH}
        """,
        ("arch-in-url", 4, WRONG),
        id="url-through-ARG-ARCH-defaulting-to-amd64",
    ),
    pytest.param(
        """
        FROM golang:1.22
        RUN CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -o /app .
        """,
        ("goarch-amd64", 2, WRONG),
        id="GOARCH=amd64-go-build",
    ),
    pytest.param(
        """
        FROM golang:1.22
        ENV CGO_ENABLED=0 GOARCH=amd64
        """,
        ("goarch-amd64", 2, WRONG),
        id="ENV-GOARCH",
    ),
    pytest.param(
        """
        FROM golang:1.22
        ENV GOARCH amd64
        """,
        ("goarch-amd64", 2, WRONG),
        id="legacy-ENV-GOARCH",
    ),
    pytest.param(
        """
        FROM --platform=$BUILDPLATFORM golang:1.22 AS build
        ARG TARGETARCH=amd64
        RUN GOARCH=$TARGETARCH go build -o /app .
        FROM gcr.io/distroless/static
        COPY --from=build /app /app
        """,
        ("goarch-amd64", 2, WRONG),
        id="ARG-TARGETARCH-default",
    ),
    pytest.param(
        """
        FROM rust:1.75
        RUN cargo build --release --target x86_64-unknown-linux-musl
        """,
        ("goarch-amd64", 2, BREAKS),
        id="cargo-target-x86_64",
    ),
    pytest.param(
        """
        FROM gcc:13
        RUN make CFLAGS="-O2 -march=x86-64-v3"
        """,
        ("goarch-amd64", 2, BREAKS),
        id="march-x86-64",
    ),
    pytest.param(
        """
        FROM gcc:13
        RUN cmake -DCMAKE_CXX_FLAGS=-mavx2 . && make
        """,
        ("goarch-amd64", 2, BREAKS),
        id="mavx2",
    ),
    pytest.param(
        """
        FROM mcr.microsoft.com/dotnet/sdk:8.0
        RUN dotnet publish -c Release -r linux-x64 -o /out
        """,
        ("goarch-amd64", 2, WRONG),
        id="dotnet-runtime-linux-x64",
    ),
    pytest.param(
        """
        FROM debian:bookworm
        RUN dpkg --add-architecture amd64 && apt-get update && apt-get install -y libc6:amd64
        """,
        ("arch-in-package", 2, BREAKS),
        id="apt-foreign-arch-package",
    ),
    pytest.param(
        """
        FROM debian:bookworm
        RUN curl -LO https://example.com/tool_1.0_amd64.deb && dpkg -i tool_1.0_amd64.deb
        """,
        ("arch-in-package", 2, BREAKS),
        id="dpkg-i-amd64-deb",
    ),
    pytest.param(
        """
        FROM debian:bookworm
        RUN apt-get update && apt-get install -y gcc-x86-64-linux-gnu
        """,
        ("arch-in-package", 2, WRONG),
        id="amd64-cross-toolchain",
    ),
    pytest.param(
        """
        FROM rockylinux:9
        RUN dnf install -y https://example.com/el9/tool-1.0-1.el9.x86_64.rpm
        """,
        ("arch-in-package", 2, BREAKS),
        id="dnf-install-x86_64-rpm",
    ),
    pytest.param(
        """
        FROM python:3.12
        RUN pip install https://download.pytorch.org/whl/cpu/torch-2.2.0%2Bcpu-cp312-cp312-linux_x86_64.whl
        """,
        ("arch-in-package", 2, BREAKS),
        id="pip-install-x86_64-wheel",
    ),
    pytest.param(
        """
        FROM ubuntu:22.04
        RUN echo "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.gpg] \\
              https://download.docker.com/linux/ubuntu jammy stable" > /etc/apt/sources.list.d/docker.list
        """,
        ("arch-in-package", 2, BREAKS),
        id="apt-source-limited-to-amd64",
    ),
    pytest.param(
        """
        FROM --platform=linux/amd64 node:18
        RUN npm ci
        """,
        ("platform-pinned", 1, WRONG),
        id="FROM-platform-linux-amd64",
    ),
    pytest.param(
        """
        ARG PLATFORM=linux/amd64
        FROM --platform=$PLATFORM node:18
        """,
        ("platform-pinned", 2, WRONG),
        id="platform-pinned-through-a-global-ARG",
    ),
    pytest.param(
        """
        FROM --platform=$BUILDPLATFORM node:18
        WORKDIR /app
        COPY . .
        RUN npm ci
        CMD ["node", "server.js"]
        """,
        ("buildplatform-native", 1, WRONG),
        id="final-stage-on-BUILDPLATFORM-running-npm-ci",
    ),
    pytest.param(
        """
        FROM --platform=${BUILDPLATFORM} golang:1.22 AS build
        WORKDIR /src
        COPY . .
        RUN CGO_ENABLED=0 go build -o /out/app .
        FROM alpine:3.19
        COPY --from=build /out/app /usr/local/bin/app
        """,
        ("buildplatform-native", 1, WRONG),
        id="go-build-on-BUILDPLATFORM-without-GOARCH",
    ),
    pytest.param(
        """
        FROM --platform=$BUILDPLATFORM alpine:3.19 AS fetch
        RUN wget -O /tini https://github.com/krallin/tini/releases/download/v0.19.0/tini-static-amd64
        FROM alpine:3.19
        COPY --from=fetch /tini /tini
        """,
        ("buildplatform-native", 1, WRONG),
        id="download-on-BUILDPLATFORM-copied-out",
    ),
    pytest.param(
        """
        FROM alpine:3.19
        RUN set -eux; \\
            case "$(uname -m)" in \\
              x86_64) ARCH=amd64 ;; \\
              *) echo "unsupported architecture"; exit 1 ;; \\
            esac; \\
            wget "https://example.com/tool-${ARCH}"
        """,
        ("arch-map-incomplete", 3, BREAKS),
        id="uname-case-without-aarch64",
    ),
    pytest.param(
        """
        FROM alpine:3.19
        RUN if [ "$(uname -m)" != "x86_64" ]; then echo "amd64 only"; exit 1; fi
        """,
        ("arch-map-incomplete", 2, BREAKS),
        id="if-not-x86_64-then-exit",
    ),
    pytest.param(
        """
        FROM alpine:3.19
        RUN [ "$(uname -m)" = "x86_64" ] || { echo "amd64 only" >&2; exit 1; }
        """,
        ("arch-map-incomplete", 2, BREAKS),
        id="test-x86_64-or-exit",
    ),
    pytest.param(
        """
        FROM alpine:3.19
        COPY bin/app-linux-amd64 /usr/local/bin/app
        """,
        ("host-binary-copied", 2, WRONG),
        id="COPY-bin-app-linux-amd64",
    ),
    pytest.param(
        """
        FROM debian:bookworm-slim
        COPY target/release/server /usr/local/bin/server
        """,
        ("host-binary-copied", 2, WRONG),
        id="COPY-rust-target-release-from-host",
    ),
    pytest.param(
        """
        FROM debian:bookworm-slim
        COPY bin/server /usr/local/bin/server
        """,
        ("host-binary-copied", 2, WRONG),
        id="COPY-host-build-output-missing-from-repo",
    ),
    pytest.param(
        """
        FROM amd64/alpine:3.19
        """,
        ("amd64-namespace-base", 1, WRONG),
        id="FROM-amd64-alpine",
    ),
    pytest.param(
        """
        FROM docker.io/amd64/ubuntu:22.04
        """,
        ("amd64-namespace-base", 1, WRONG),
        id="FROM-docker.io-amd64-ubuntu",
    ),
    pytest.param(
        """
        FROM eclipse-temurin:17 AS jdk
        FROM debian:bookworm
        RUN apt-get update && apt-get install -y openjdk-17-jdk-headless
        ENV JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
        """,
        ("arch-in-path", 4, WRONG),
        id="JAVA_HOME-java-17-openjdk-amd64",
    ),
    pytest.param(
        """
        FROM debian:bookworm
        RUN apt-get update && apt-get install -y linux-headers-amd64
        """,
        ("arch-in-package", 2, BREAKS),
        id="apt-package-named-for-amd64",
    ),
    pytest.param(
        """
        FROM centos:7
        RUN yum install -y glibc.i686 libstdc++.i686
        """,
        ("arch-in-package", 2, BREAKS),
        id="yum-arch-qualified-package",
    ),
    pytest.param(
        """
        FROM debian:bookworm AS build
        RUN apt-get update && apt-get install -y libjemalloc2
        FROM gcr.io/distroless/cc
        COPY --from=build /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /usr/lib/
        """,
        ("arch-in-path", 4, BREAKS),
        id="COPY-from-usr-lib-x86_64-linux-gnu",
    ),
]


@pytest.mark.parametrize(("dockerfile", "expected"), HAZARDS)
def test_hazard_is_reported_with_code_line_and_severity(
    dockerfile: str, expected: tuple[str, int, Severity]
) -> None:
    code, line, severity = expected
    hazards = scan(dockerfile)
    assert (code, "Dockerfile", line, severity) in found(hazards)
    hazard = next(h for h in hazards if (h.code, h.line) == (code, line))
    assert hazard.message
    assert hazard.fix
    assert hazard.excerpt
    assert code in CODES


# ---------------------------------------------------------------------------------------- not hazards

NOT_HAZARDS = [
    pytest.param(
        """
        FROM alpine:3.19
        ARG TARGETARCH
        ADD https://github.com/krallin/tini/releases/download/v0.19.0/tini-${TARGETARCH} /tini
        """,
        id="tini-TARGETARCH",
    ),
    pytest.param(
        """
        FROM alpine:3.19
        ARG TARGETARCH TARGETPLATFORM
        RUN wget https://dl.k8s.io/release/v1.29.0/bin/linux/$TARGETARCH/kubectl \\
            && wget https://example.com/${TARGETPLATFORM}/tool
        """,
        id="TARGETARCH-and-TARGETPLATFORM-urls",
    ),
    pytest.param(
        """
        FROM debian:bookworm
        RUN curl -LO "https://example.com/tool_1.0_$(dpkg --print-architecture).deb" \\
            && curl -LO "https://example.com/tool-$(uname -m).tar.gz"
        """,
        id="dpkg-print-architecture-and-uname-m-in-urls",
    ),
    pytest.param(
        """
        FROM debian:bookworm
        RUN apt-get install -y ./tool_1.0_all.deb && dpkg -i other_2.0_all.deb
        """,
        id="_all.deb",
    ),
    pytest.param(
        """
        FROM rockylinux:9
        RUN dnf install -y https://example.com/tool-1.0-1.noarch.rpm && yum install -y foo.noarch
        """,
        id="noarch-rpm",
    ),
    pytest.param(
        """
        FROM alpine:3.19
        ARG TARGETARCH
        RUN case "$TARGETARCH" in \\
              amd64) SHA=1111 ; URL=https://example.com/tool-x86_64.tar.gz ;; \\
              arm64) SHA=2222 ; URL=https://example.com/tool-aarch64.tar.gz ;; \\
              *) echo "unsupported: $TARGETARCH"; exit 1 ;; \\
            esac; \\
            wget -O /tmp/tool.tgz "$URL" && echo "$SHA  /tmp/tool.tgz" | sha256sum -c -
        """,
        id="checksummed-TARGETARCH-map-covering-arm64",
    ),
    pytest.param(
        """
        FROM buildpack-deps:bookworm
        RUN ARCH= && dpkgArch="$(dpkg --print-architecture)" \\
          && case "${dpkgArch##*-}" in \\
            amd64) ARCH='x64';; \\
            ppc64el) ARCH='ppc64le';; \\
            arm64) ARCH='arm64';; \\
            *) echo "unsupported architecture"; exit 1 ;; \\
          esac \\
          && curl -fsSLO --compressed "https://nodejs.org/dist/v20.11.0/node-v20.11.0-linux-$ARCH.tar.xz"
        """,
        id="node-official-image-dpkgArch-map",
    ),
    pytest.param(
        """
        FROM alpine:3.19
        RUN case "$(uname -m)" in \\
              x86_64) ARCH=amd64 ;; \\
              aarch64) ARCH=arm64 ;; \\
              *) exit 1 ;; \\
            esac
        """,
        id="uname-case-covering-aarch64",
    ),
    pytest.param(
        """
        FROM alpine:3.19
        RUN if [ "$TARGETARCH" = "amd64" ]; then wget https://example.com/intel-only-amd64.tar.gz; fi
        """,
        id="amd64-only-extra-inside-an-arch-if",
    ),
    pytest.param(
        """
        FROM alpine:3.19
        RUN echo "building for amd64 and arm64" && wget https://example.com/tool.tar.gz # was tool-amd64
        """,
        id="amd64-in-echo-text-and-comment",
    ),
    pytest.param(
        """
        FROM --platform=$BUILDPLATFORM golang:1.22 AS build
        ARG TARGETOS TARGETARCH
        WORKDIR /src
        COPY . .
        RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app .
        FROM gcr.io/distroless/static
        COPY --from=build /out/app /app
        """,
        id="BUILDPLATFORM-go-cross-compile-with-TARGETARCH",
    ),
    pytest.param(
        """
        FROM --platform=$BUILDPLATFORM tonistiigi/xx AS xx
        FROM --platform=$BUILDPLATFORM rust:1.75 AS build
        COPY --from=xx / /
        RUN xx-cargo build --release && xx-verify target/release/app
        FROM debian:bookworm-slim
        COPY --from=build /target/release/app /usr/local/bin/app
        """,
        id="BUILDPLATFORM-rust-with-xx",
    ),
    pytest.param(
        """
        FROM --platform=$BUILDPLATFORM node:18 AS web
        WORKDIR /app
        COPY . .
        RUN npm ci && npm run build
        FROM nginx:1.25
        COPY --from=web /app/dist /usr/share/nginx/html
        """,
        id="BUILDPLATFORM-frontend-build-copying-static-dist",
    ),
    pytest.param(
        """
        FROM --platform=$BUILDPLATFORM alpine:3.19 AS gen
        ARG PROTOC=https://github.com/protocolbuffers/protobuf/releases/download/v25.1
        RUN wget $PROTOC/protoc-25.1-linux-x86_64.zip && unzip protoc-25.1-linux-x86_64.zip -d /usr/local
        RUN protoc --go_out=/gen api.proto
        FROM golang:1.22
        COPY --from=gen /gen /src/gen
        """,
        id="BUILDPLATFORM-codegen-tool-download",
    ),
    pytest.param(
        """
        FROM --platform=$BUILDPLATFORM alpine:3.19 AS tz
        RUN apk add --no-cache tzdata ca-certificates
        FROM scratch
        COPY --from=tz /usr/share/zoneinfo /usr/share/zoneinfo
        COPY --from=tz /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
        """,
        id="BUILDPLATFORM-stage-copying-architecture-free-data",
    ),
    pytest.param(
        """
        FROM debian:bookworm
        RUN if [ "$(uname -m)" = x86_64 ]; then cp /usr/lib/x86_64-linux-gnu/libfoo.so /out; fi
        """,
        id="multiarch-path-inside-an-arch-branch",
    ),
    pytest.param(
        """
        FROM ubuntu:22.04
        RUN curl -LO https://github.com/x64dbg/x64dbg/archive/refs/tags/2024.tar.gz
        """,
        id="x64-inside-a-word",
    ),
    pytest.param(
        """
        FROM ubuntu:22.04
        COPY . /src
        COPY src/ /app/src/
        COPY dist/ /app/dist/
        COPY target/app-1.0.jar /app/app.jar
        ENV LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu
        """,
        id="source-copies-jar-and-an-env-path",
    ),
    pytest.param(
        """
        FROM python:3.12-slim
        RUN pip install numpy==1.26.4 && apt-get update && apt-get install -y --no-install-recommends libpq5
        """,
        id="plain-installs",
    ),
    pytest.param(
        """
        ARG BASE=ubuntu:22.04
        FROM ${BASE} AS base
        FROM base
        RUN echo ok
        """,
        id="ubuntu-22.04-tag",
    ),
]


@pytest.mark.parametrize("dockerfile", NOT_HAZARDS)
def test_not_a_hazard(dockerfile: str) -> None:
    assert found(scan(dockerfile)) == []


# -------------------------------------------------------------------------- following RUN into files


def test_script_hazard_is_reported_at_the_script_file_and_line() -> None:
    script = """
        #!/bin/sh
        set -eu
        # Download the CLI.
        VERSION=1.2.3

        cd /tmp
        curl -fsSLO "https://github.com/example/cli/releases/download/v${VERSION}/cli_${VERSION}_linux_amd64.tar.gz"
        """
    hazards = scan(
        """
        FROM alpine:3.19
        COPY scripts/ /src/scripts/
        WORKDIR /src
        RUN ./scripts/install.sh
        """,
        {"scripts/install.sh": script},
    )
    assert found(hazards) == [("arch-in-url", "scripts/install.sh", 7, WRONG)]
    assert hazards[0].excerpt.startswith('curl -fsSLO "https://github.com/example/cli/releases')


@pytest.mark.parametrize(
    "run",
    [
        "sh scripts/install.sh",
        "bash -eux ./scripts/install.sh",
        'bash -c "./scripts/install.sh"',
        "cd scripts && ./install.sh",
    ],
)
def test_script_is_found_however_the_RUN_step_invokes_it(run: str) -> None:
    hazards = scan(
        f"""
        FROM alpine:3.19
        WORKDIR /src
        COPY . .
        RUN {run}
        """,
        {"scripts/install.sh": "wget https://example.com/tini-amd64\n"},
    )
    assert found(hazards) == [("arch-in-url", "scripts/install.sh", 1, WRONG)]


def test_script_is_resolved_relative_to_the_build_context() -> None:
    hazards = scan(
        """
        FROM alpine:3.19
        COPY install.sh /usr/local/bin/install.sh
        RUN /usr/local/bin/install.sh
        """,
        {"docker/install.sh": "wget https://example.com/tini-amd64\n"},
        path="docker/Dockerfile",
        context="docker",
    )
    assert found(hazards) == [("arch-in-url", "docker/install.sh", 1, WRONG)]


def test_script_not_copied_into_the_image_is_not_read() -> None:
    hazards = scan(
        """
        FROM alpine:3.19
        RUN ./install.sh
        """,
        {"install.sh": "wget https://example.com/tini-amd64\n"},
    )
    assert hazards == []


def test_bind_mounted_script_is_followed() -> None:
    hazards = scan(
        """
        FROM alpine:3.19
        RUN --mount=type=bind,source=scripts,target=/mnt/scripts sh /mnt/scripts/fetch.sh
        """,
        {"scripts/fetch.sh": "echo fetching\nwget https://example.com/tini-amd64\n"},
    )
    assert found(hazards) == [("arch-in-url", "scripts/fetch.sh", 2, WRONG)]


def test_heredoc_hazard_is_reported_at_its_dockerfile_line() -> None:
    hazards = scan(
        """
        FROM alpine:3.19
        RUN <<EOF
        set -e
        wget -O /tini https://github.com/krallin/tini/releases/download/v0.19.0/tini-amd64
        chmod +x /tini
        EOF
        """
    )
    assert found(hazards) == [("arch-in-url", "Dockerfile", 4, WRONG)]


MAKEFILE = """
    BINARY := app
    GOARCH ?= amd64

    .PHONY: build release
    build:
    \tgo vet ./...

    release: build
    \tCGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH) go build -o bin/$(BINARY) .
    """


def test_make_release_reaches_GOARCH_amd64_in_the_Makefile() -> None:
    hazards = scan(
        """
        FROM golang:1.22 AS build
        WORKDIR /src
        COPY . .
        RUN make release
        FROM alpine:3.19
        COPY --from=build /src/bin/app /usr/local/bin/app
        """,
        {"Makefile": MAKEFILE},
    )
    assert found(hazards) == [("goarch-amd64", "Makefile", 2, WRONG)]
    assert "GOARCH=$TARGETARCH" in hazards[0].fix


@pytest.mark.parametrize(
    ("makefile", "expected"),
    [
        pytest.param(
            "release: GOARCH=amd64\nrelease:\n\tgo build -o bin/app .\n",
            ("goarch-amd64", "Makefile", 1, WRONG),
            id="target-specific-variable",
        ),
        pytest.param(
            "release:\n\t$(MAKE) build-linux\n\nbuild-linux:\n\tGOOS=linux GOARCH=amd64 go build .\n",
            ("goarch-amd64", "Makefile", 5, WRONG),
            id="recipe-reached-through-$(MAKE)",
        ),
        pytest.param(
            "ARCH ?= amd64\nrelease:\n\tcurl -LO https://example.com/tool-$(ARCH).tgz\n",
            ("arch-in-url", "Makefile", 3, WRONG),
            id="url-through-a-make-variable-defaulting-to-amd64",
        ),
    ],
)
def test_make_release_hazard_shapes(makefile: str, expected: tuple[str, str, int, Severity]) -> None:
    dockerfile = """
        FROM golang:1.22
        WORKDIR /src
        COPY . .
        RUN make release
        """
    assert found(scan(dockerfile, {"Makefile": makefile})) == [expected]


def test_make_command_line_GOARCH_overrides_the_Makefile_default() -> None:
    hazards = scan(
        """
        FROM golang:1.22 AS build
        ARG TARGETARCH
        WORKDIR /src
        COPY . .
        RUN make release GOARCH=$TARGETARCH
        """,
        {"Makefile": MAKEFILE},
    )
    assert hazards == []


def test_make_target_not_reached_is_not_read() -> None:
    makefile = """
        build:
        \tgo build -o bin/app .

        release-amd64:
        \tGOARCH=amd64 go build -o bin/app .
        """
    hazards = scan(
        """
        FROM golang:1.22
        WORKDIR /src
        COPY . .
        RUN make
        """,
        {"Makefile": makefile},
    )
    assert hazards == []


def test_makefile_ifeq_on_the_architecture_is_a_map_not_a_hazard() -> None:
    makefile = """
        ifeq ($(shell uname -m),x86_64)
        GOARCH := amd64
        else
        GOARCH := arm64
        endif

        build:
        \tGOARCH=$(GOARCH) go build -o bin/app .
        """
    hazards = scan(
        """
        FROM golang:1.22
        COPY . .
        RUN make build
        """,
        {"Makefile": makefile},
    )
    assert hazards == []


# ------------------------------------------------------------------------------- stages and the image


def test_unused_stage_is_not_judged() -> None:
    hazards = scan(
        """
        FROM alpine:3.19 AS tools
        ADD https://github.com/krallin/tini/releases/download/v0.19.0/tini-amd64 /tini
        FROM alpine:3.19
        RUN echo ok
        """
    )
    assert hazards == []


def test_final_stages_choose_what_is_published() -> None:
    dockerfile = """
        FROM --platform=linux/amd64 alpine:3.19 AS legacy
        RUN echo legacy
        FROM alpine:3.19 AS app
        RUN echo app
        """
    assert found(scan(dockerfile)) == []
    assert found(scan(dockerfile, final_stages=[0])) == [("platform-pinned", "Dockerfile", 1, WRONG)]


def test_amd64_pinned_builder_is_only_a_hazard_when_its_binaries_are_copied_out() -> None:
    pinned_compile = """
        FROM --platform=linux/amd64 golang:1.22 AS build
        RUN go build -o /out/app .
        FROM alpine:3.19
        COPY --from=build /out/app /app
        """
    pinned_assets = """
        FROM --platform=linux/amd64 node:18 AS web
        RUN npm ci && npm run build
        FROM nginx:1.25
        COPY --from=web /app/dist /usr/share/nginx/html
        """
    assert found(scan(pinned_compile)) == [("platform-pinned", "Dockerfile", 1, WRONG)]
    assert found(scan(pinned_assets)) == []


def test_amd64_download_inside_a_BUILDPLATFORM_builder_is_a_build_tool_not_an_image_hazard() -> None:
    hazards = scan(
        """
        FROM --platform=$BUILDPLATFORM golang:1.22 AS build
        ARG TARGETOS TARGETARCH
        RUN curl -LO https://github.com/golangci/golangci-lint/releases/download/v1.55.2/golangci-lint-1.55.2-linux-amd64.tar.gz
        RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app .
        FROM alpine:3.19
        COPY --from=build /out/app /app
        """
    )
    assert hazards == []


def test_BUILDPLATFORM_stage_copying_node_modules_out_is_a_hazard() -> None:
    hazards = scan(
        """
        FROM --platform=$BUILDPLATFORM node:18 AS deps
        WORKDIR /app
        COPY package*.json ./
        RUN npm ci --omit=dev
        FROM node:18-slim
        COPY --from=deps /app/node_modules /app/node_modules
        """
    )
    assert found(hazards) == [("buildplatform-native", "Dockerfile", 1, WRONG)]
    assert "node_modules" in hazards[0].message


def test_text_script_copied_to_bin_is_not_a_host_binary() -> None:
    hazards = scan(
        """
        FROM alpine:3.19
        COPY bin/entrypoint /usr/local/bin/entrypoint
        """,
        {"bin/entrypoint": '#!/bin/sh\nexec "$@"\n'},
    )
    assert hazards == []


def test_host_binary_only_matters_in_the_published_image() -> None:
    hazards = scan(
        """
        FROM alpine:3.19 AS test
        COPY bin/app-linux-amd64 /app
        FROM alpine:3.19
        RUN echo ok
        """,
        final_stages=[1],
    )
    assert hazards == []


def test_COPY_from_amd64_namespace_image_is_reported() -> None:
    hazards = scan(
        """
        FROM alpine:3.19
        COPY --from=amd64/busybox:1.36 /bin/busybox /bin/busybox
        """
    )
    assert found(hazards) == [("amd64-namespace-base", "Dockerfile", 2, WRONG)]
    assert "`busybox" in hazards[0].fix


def test_one_hazard_per_code_path_and_line() -> None:
    hazards = scan(
        """
        FROM alpine:3.19
        RUN wget https://example.com/a-amd64 https://example.com/b-amd64 && tar xzf a-amd64.tgz
        """
    )
    assert found(hazards) == [("arch-in-url", "Dockerfile", 2, WRONG)]


def test_hazards_are_sorted_dockerfile_first_then_by_line() -> None:
    hazards = scan(
        """
        FROM alpine:3.19
        COPY scripts/ /s/
        RUN sh /s/get.sh
        RUN GOARCH=amd64 go build .
        """,
        {"scripts/get.sh": "wget https://example.com/tini-amd64\n"},
    )
    assert [(h.path, h.line) for h in hazards] == [("Dockerfile", 4), ("scripts/get.sh", 1)]


def test_fix_for_amd64_url_suggests_TARGETARCH_and_for_x86_64_uname() -> None:
    amd64 = scan("FROM alpine\nRUN wget https://example.com/tool-linux-amd64\n")
    x86_64 = scan("FROM alpine\nRUN wget https://example.com/tool-linux-x86_64\n")
    assert "${TARGETARCH}" in amd64[0].fix
    assert "$(uname -m)" in x86_64[0].fix


def test_single_arch_digest_hazard_names_the_platform_and_the_index_fix() -> None:
    hazard = single_arch_digest_hazard("Dockerfile", 3, "alpine@sha256:abc", Platform("linux", "amd64"))
    assert (hazard.code, hazard.path, hazard.line, hazard.severity) == (
        "single-arch-digest",
        "Dockerfile",
        3,
        WRONG,
    )
    assert "linux/amd64" in hazard.message
    assert "index" in hazard.fix
    assert hazard.code in CODES


def test_amd64_pinned_final_stage_also_reports_its_downloads() -> None:
    hazards = scan(
        """
        FROM --platform=linux/amd64 debian:bookworm
        RUN curl -LO https://example.com/tool-linux-amd64.tar.gz
        """
    )
    # dropping the pin (the platform-pinned fix) is what exposes the download
    assert found(hazards) == [
        ("platform-pinned", "Dockerfile", 1, WRONG),
        ("arch-in-url", "Dockerfile", 2, WRONG),
    ]


def test_make_without_a_readable_Makefile_counts_as_compiling_on_BUILDPLATFORM() -> None:
    dockerfile = """
        FROM --platform=$BUILDPLATFORM gcc:13 AS build
        WORKDIR /src
        COPY . .
        RUN make
        FROM debian:bookworm-slim
        COPY --from=build /src/app /usr/local/bin/app
        """
    assert found(scan(dockerfile)) == [("buildplatform-native", "Dockerfile", 1, WRONG)]
    assert found(scan(dockerfile, {"Makefile": "all:\n\tnpm run build\n"})) == []


def test_multiarch_library_path_is_named_in_the_message_with_its_arm64_twin() -> None:
    hazards = scan(
        """
        FROM debian:bookworm
        RUN cp /usr/lib/x86_64-linux-gnu/libssl.so.3 /out/
        """
    )
    assert found(hazards) == [("arch-in-path", "Dockerfile", 2, BREAKS)]
    assert "/lib/aarch64-linux-gnu" in hazards[0].message


HOSTILE = [
    pytest.param("FROM alpine\nRUN echo " + "a" * 1_000_000, id="one-long-word"),
    pytest.param("FROM alpine\nRUN wget " + "https://" * 125_000, id="url-starts"),
    pytest.param("FROM alpine\nRUN x" + " " * 1_000_000 + "GOARCH", id="blanks-before-GOARCH"),
    pytest.param('FROM alpine\nRUN echo "' + "$(" * 200_000, id="unclosed-substitutions"),
    pytest.param("FROM alpine\nRUN " + "[ " * 300_000, id="brackets-json-and-tests"),
    pytest.param("FROM alpine\nRUN " + "--a " * 250_000, id="flags"),
    pytest.param("FROM alpine\nRUN " + "[ x86_64 ] && " * 70_000, id="guard-chain"),
    pytest.param("FROM alpine\nRUN " + "if [ amd64 ]; then " * 50_000, id="unclosed-ifs"),
    pytest.param("FROM alpine\nRUN gcc " + "-mavx2 " * 140_000, id="one-finding-per-word"),
]


@pytest.mark.parametrize("dockerfile", HOSTILE)
def test_one_megabyte_line_is_scanned_without_blowing_up(dockerfile: str) -> None:
    # Linear work takes about a second here; anything quadratic or backtracking takes minutes.
    started = time.perf_counter()
    hazards = scan(dockerfile + "\n")
    assert time.perf_counter() - started < 15
    assert len(hazards) <= 2  # one per (code, path, line), however many matches the line holds

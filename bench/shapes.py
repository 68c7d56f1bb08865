"""What a synthetic upstream looks like: a base-image pool, Dockerfile shapes, and real build scripts.

The build scripts are the patch tests' own golden inputs (``tests/patch/golden/<kind>/<case>/in.*``): real
shapes of npm scripts, Makefiles, justfiles, shell scripts, CI files, bake and compose files. The
Dockerfiles are drawn from the shapes the examples and hazard tests use: plain, multi-stage, global
``ARG`` bases, and the hazards (amd64 downloads, ``GOARCH=amd64``, ``ARG TARGETARCH=amd64``, a constant
``--platform``). Every choice is made by a seeded ``random.Random``, so a fleet of N is the same fleet
every time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from bot.model import AMD64, ARM64, Platform

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "patch" / "golden"
ARM_V7 = Platform("linux", "arm", "v7")
PPC = Platform("linux", "ppc64le")


@dataclass(frozen=True)
class Base:
    """A base image pushed to the bench registry (as ``docker.io`` through the mirror)."""

    repository: str
    tag: str
    platforms: tuple[Platform, ...]
    index_type: str = "oci"  # "oci" index or "docker" manifest list
    attestations: bool = False

    @property
    def name(self) -> str:  # as a Dockerfile writes it
        return f"{self.repository.removeprefix('library/')}:{self.tag}"


_MULTI = (AMD64, ARM64)
# A few dozen shared bases, like a real fleet's: mostly multi-arch, a few amd64-only, a few 32-bit arm.
BASES = (
    Base("library/alpine", "3.19", (AMD64, ARM64, ARM_V7, PPC), attestations=True),
    Base("library/alpine", "3.20", (AMD64, ARM64, ARM_V7, PPC), attestations=True),
    Base("library/debian", "bookworm-slim", _MULTI, "docker"),
    Base("library/debian", "bullseye", _MULTI, "docker"),
    Base("library/ubuntu", "22.04", _MULTI, "docker"),
    Base("library/ubuntu", "24.04", _MULTI, "docker"),
    Base("library/golang", "1.21", _MULTI, attestations=True),
    Base("library/golang", "1.22", _MULTI, attestations=True),
    Base("library/golang", "1.22-alpine", _MULTI, attestations=True),
    Base("library/node", "18", _MULTI, attestations=True),
    Base("library/node", "20-alpine", _MULTI, attestations=True),
    Base("library/node", "lts-alpine3.10", _MULTI, attestations=True),
    Base("library/python", "3.11-slim", _MULTI, attestations=True),
    Base("library/python", "3.12", _MULTI, attestations=True),
    Base("library/nginx", "1.25-alpine", _MULTI, "docker"),
    Base("library/eclipse-temurin", "17-jre", _MULTI, "docker"),
    Base("library/eclipse-temurin", "21-jdk", _MULTI, "docker"),
    Base("library/ruby", "3.3-slim", _MULTI),
    Base("library/php", "8.3-fpm", _MULTI),
    Base("library/rust", "1.77", _MULTI, attestations=True),
    Base("library/busybox", "stable", _MULTI, attestations=True),
    Base("library/postgres", "16", _MULTI, "docker"),
    Base("library/redis", "7-alpine", _MULTI, "docker"),
    Base("library/httpd", "2.4", _MULTI, "docker"),
    Base("gcr-mirror/distroless-static", "nonroot", _MULTI),
    Base("library/haproxy", "2.9", (AMD64, ARM_V7), "docker"),  # no arm64: blocks
    Base("acme/legacy-runtime", "2.4", (AMD64,)),  # single manifest, amd64 only: blocks
    Base("oldcorp/jdk8", "latest", (AMD64,), "docker"),
    Base("vendor/sdk", "2023.1", (AMD64,)),
    Base("library/mongo", "4.4", (AMD64, ARM64), "docker"),
    Base("library/mysql", "8.0", (AMD64,), "docker"),  # the official image's amd64-only years
    Base("library/traefik", "v3.0", _MULTI),
    Base("library/caddy", "2-alpine", _MULTI, attestations=True),
    Base("library/openjdk", "11-jre-slim", (AMD64, ARM64), "docker"),
)
_AMD64_ONLY = [b for b in BASES if ARM64 not in b.platforms]
_MULTI_ARCH = [b for b in BASES if ARM64 in b.platforms]
_BUILDERS = [b for b in _MULTI_ARCH if b.repository in ("library/golang", "library/rust", "library/node")]


def _plain(rng: random.Random, base: str) -> str:
    return f'FROM {base}\nWORKDIR /app\nCOPY . .\nRUN ./configure --prefix=/usr && make\nCMD ["/app/run"]\n'


def _multi_stage(rng: random.Random, base: str) -> str:
    builder = rng.choice(_BUILDERS).name
    return (
        f"FROM {builder} AS build\nWORKDIR /src\nCOPY . .\nRUN make build\n\n"
        f'FROM {base}\nCOPY --from=build /src/bin/app /usr/local/bin/app\nENTRYPOINT ["app"]\n'
    )


def _global_arg(rng: random.Random, base: str) -> str:
    repository, tag = base.rsplit(":", 1)
    return (
        f"ARG BASE_TAG={tag}\nFROM {repository}:${{BASE_TAG}}\nARG VERSION=1.0\n"
        'LABEL version="${VERSION}"\nCOPY app /usr/local/bin/app\nCMD ["app"]\n'
    )


def _download_amd64(rng: random.Random, base: str) -> str:
    return (
        f"FROM {base}\nARG TOOL_VERSION=1.4.2\n"
        "RUN wget -q https://github.com/acme/tool/releases/download/v${TOOL_VERSION}/"
        "tool-linux-amd64.tar.gz && tar -xzf tool-linux-amd64.tar.gz -C /usr/local/bin\n"
        'ENTRYPOINT ["tool"]\n'
    )


def _goarch(rng: random.Random, base: str) -> str:
    golang = rng.choice([b for b in _BUILDERS if "golang" in b.repository]).name
    return (
        f"FROM {golang} AS build\nWORKDIR /src\nCOPY . .\n"
        "RUN CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -o /out/server ./cmd/server\n\n"
        f'FROM {base}\nCOPY --from=build /out/server /server\nENTRYPOINT ["/server"]\n'
    )


def _targetarch_default(rng: random.Random, base: str) -> str:
    return (
        f"FROM {base}\nARG TARGETARCH=amd64\n"
        'COPY dist/app-${TARGETARCH} /usr/local/bin/app\nENTRYPOINT ["app"]\n'
    )


def _pinned_platform(rng: random.Random, base: str) -> str:
    return f'FROM --platform=linux/amd64 {base}\nCOPY . /srv\nCMD ["/srv/start.sh"]\n'


# (shape, weight): most repositories are plain or multi-stage; a quarter carry a hazard.
DOCKERFILE_SHAPES = (
    (_plain, 30),
    (_multi_stage, 25),
    (_global_arg, 10),
    (_download_amd64, 10),
    (_goarch, 10),
    (_targetarch_default, 7),
    (_pinned_platform, 8),
)

# Where each kind of golden build script lives in a repository.
SCRIPT_PLACES = {
    "make": {"in.mk": "Makefile"},
    "npm": {"in.json": "package.json"},
    "shell": {"in.sh": "scripts/docker-build.sh"},
    "just": {"in.just": "justfile"},
    "gitlab-ci": {"in.yml": ".gitlab-ci.yml"},
    "compose": {"in.yaml": "docker-compose.yml", "in.yml": "docker-compose.yml"},
    "bake": {"in.hcl": "docker-bake.hcl", "in.json": "docker-bake.json"},
    "azure-pipelines": {"in.yml": "azure-pipelines.yml"},
    "circleci": {"in.yml": ".circleci/config.yml"},
    "github-actions": {"in.yml": ".github/workflows/docker.yml"},
}


def build_scripts() -> list[tuple[str, str]]:
    """Every golden input as (repository path, text)."""
    scripts = []
    for kind, places in SCRIPT_PLACES.items():
        for case in sorted((GOLDEN / kind).iterdir()):
            for source, target in places.items():
                if (case / source).is_file():
                    scripts.append((target, (case / source).read_bytes().decode("utf-8", "replace")))
    return scripts


def repo_files(rng: random.Random, index: int, scripts: list[tuple[str, str]]) -> dict[str, str]:
    """One repository: a Dockerfile (sometimes two), one or two build scripts, and a little source."""
    shapes, weights = zip(*DOCKERFILE_SHAPES, strict=True)
    blocked = rng.random() < 0.15  # about one in seven sits on a base without arm64
    base = rng.choice(_AMD64_ONLY if blocked else _MULTI_ARCH).name
    files = {"Dockerfile": rng.choices(shapes, weights)[0](rng, base)}
    if rng.random() < 0.2:
        files["docker/Dockerfile.worker"] = _plain(rng, rng.choice(_MULTI_ARCH).name)
    for path, text in rng.sample(scripts, rng.choice((1, 1, 2))):
        files[path] = text
    files["README.md"] = f"# service-{index}\n\nA synthetic upstream for the multiarch-bot benchmark.\n"
    main = f'func main() {{ fmt.Println("service {index}") }}\n'
    files["src/main.go"] = f'package main\n\nimport "fmt"\n\n{main}'
    files["LICENSE"] = "MIT License\n\nCopyright (c) the authors\n" + "Permission is hereby granted. " * 20
    files[".dockerignore"] = ".git\n*.md\n"
    return files

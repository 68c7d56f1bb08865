"""Image references, parsed the way Docker does (github.com/distribution/reference, ParseNormalizedNamed).

Grammar::

    reference  := name [ ":" tag ] [ "@" digest ]
    name       := [domain "/"] path-component ["/" path-component]*
    domain     := host [":" port]          host: DNS name, or [IPv6]
    path-comp  := [a-z0-9]+ ([._] | "__" | "-"+) [a-z0-9]+ ...
    tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
    digest     := algorithm ":" hex        (sha256: 64 hex, sha384: 96, sha512: 128; lower-case)

Normalisation: a first component is a domain only if it contains "." or ":", is "localhost", or has upper
case; otherwise the registry is docker.io. "index.docker.io" becomes docker.io, and a one-component Docker
Hub name gets the "library/" prefix (node → docker.io/library/node).

Default tag: when neither a tag nor a digest is given, the tag is "latest" — what BuildKit pulls for
``FROM node`` (reference.TagNameOnly). A digest alone leaves the tag None.
"""

from __future__ import annotations

import re

from bot.errors import ImageRefError
from bot.model import Digest, ImageRef

DOCKER_HUB = "docker.io"
_LEGACY_HUB = "index.docker.io"
_OFFICIAL_PREFIX = "library/"
_NAME_MAX = 255  # distribution's NameTotalLengthMax, counted on the normalised name
_TEXT_MAX = 1024  # longer than any valid reference; refusing early keeps hostile input cheap

# No nested quantifier can match the same text two ways, so these run in linear time.
_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_DOMAIN_LABEL = r"(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
_DOMAIN = re.compile(rf"(?:{_DOMAIN_LABEL}(?:\.{_DOMAIN_LABEL})*|\[[A-Fa-f0-9:]+\])(?::[0-9]+)?")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_ALGORITHM = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*")
_HEX_LENGTH = {"sha256": 64, "sha384": 96, "sha512": 128}  # the algorithms go-digest can verify
_LOWER_HEX = re.compile(r"[a-f0-9]+")
_IMAGE_ID = re.compile(r"[a-f0-9]{64}")


def parse_image_ref(text: str) -> ImageRef:
    """Parse and normalise an image reference; raise ImageRefError saying what is wrong."""
    if not text:
        raise ImageRefError("invalid image reference '': it is empty")
    if len(text) > _TEXT_MAX:
        raise ImageRefError(f"invalid image reference {text[:40]!r}…: longer than {_TEXT_MAX} characters")
    if _IMAGE_ID.fullmatch(text):
        # Docker refuses these so that an image ID is never mistaken for a repository name.
        raise ImageRefError(f"invalid image reference {text!r}: a 64-character hex string is an image ID")
    try:
        return _parse(text)
    except ValueError as err:
        raise ImageRefError(f"invalid image reference {text!r}: {err}") from None


def familiar(ref: ImageRef) -> str:
    """The short form people write: ``node:lts-alpine3.10``, ``bitnami/redis:7``, ``ghcr.io/o/r:1``."""
    name = ref.name
    if ref.registry == DOCKER_HUB:
        name = ref.repository
        short = name.removeprefix(_OFFICIAL_PREFIX)
        if short != name and "/" not in short:
            name = short
    if ref.tag:
        name += f":{ref.tag}"
    if ref.digest:
        name += f"@{ref.digest}"
    return name


def _parse(text: str) -> ImageRef:
    name, at, digest_text = text.partition("@")
    digest = _digest(digest_text) if at else None
    name, tag = _split_tag(name)
    if not name:
        raise ValueError("there is no repository name")
    registry, repository = _split_domain(name)
    if repository.lower() != repository:
        raise ValueError(f"repository name {repository!r} must be lower-case")
    for component in repository.split("/"):
        if not _PATH_COMPONENT.fullmatch(component):
            raise ValueError(_component_problem(component))
    if not _DOMAIN.fullmatch(registry):
        raise ValueError(f"{registry!r} is not a registry host[:port]")
    registry, repository = _normalise(registry, repository)
    if len(registry) + 1 + len(repository) > _NAME_MAX:
        raise ValueError(f"the repository name is longer than {_NAME_MAX} characters")
    if tag is None and digest is None:
        tag = "latest"
    return ImageRef(registry, repository, tag, digest)


def _split_tag(name: str) -> tuple[str, str | None]:
    """A ':' after the last '/' starts the tag; one before it belongs to a registry port."""
    colon = name.rfind(":")
    if colon <= name.rfind("/"):
        return name, None
    tag = name[colon + 1 :]
    if not _TAG.fullmatch(tag):
        raise ValueError(f"tag {tag!r} is invalid (up to 128 of A-Za-z0-9_.-, not starting with '.' or '-')")
    return name[:colon], tag


def _split_domain(name: str) -> tuple[str, str]:
    """distribution's splitDockerDomain: decide whether the first component names a registry."""
    first, slash, rest = name.partition("/")
    if slash and (first == "localhost" or "." in first or ":" in first or first.lower() != first):
        return first, rest
    return DOCKER_HUB, name


def _normalise(registry: str, repository: str) -> tuple[str, str]:
    if registry == _LEGACY_HUB:
        registry = DOCKER_HUB
    if registry == DOCKER_HUB and "/" not in repository:
        repository = _OFFICIAL_PREFIX + repository
    return registry, repository


def _digest(text: str) -> Digest:
    algorithm, colon, hex_part = text.partition(":")
    if not colon or not _ALGORITHM.fullmatch(algorithm) or not hex_part:
        raise ValueError(f"digest {text!r} is not algorithm:hex")
    expected = _HEX_LENGTH.get(algorithm)
    if expected is None:
        raise ValueError(f"digest algorithm {algorithm!r} is not supported (sha256, sha384 or sha512)")
    if len(hex_part) != expected or not _LOWER_HEX.fullmatch(hex_part):
        raise ValueError(f"a {algorithm} digest must be {expected} lower-case hex characters")
    return Digest(text)


def _component_problem(component: str) -> str:
    if not component:
        return "the repository has an empty path component (leading, trailing or double '/')"
    return (
        f"path component {component!r} is invalid (lower-case letters and digits, "
        "separated by '.', '_', '__' or dashes)"
    )

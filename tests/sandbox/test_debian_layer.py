"""The package closure of the Python base image, read from ``apt-cache depends`` output (no apt here)."""

from __future__ import annotations

from bot.sandbox.debian_layer import parse_depends

DEPENDS = """\
git:arm64
  Depends: libc6:arm64
  Depends: libcurl3-gnutls:arm64
    libcurl3t64-gnutls:arm64
  Depends: perl:arm64
  Depends: <liberror-perl:arm64>
    liberror-perl
libpython3.11-stdlib:arm64
 |Depends: <media-types:arm64>
    media-types
  Depends: <mime-support:arm64>
    mime-support
  Depends: libbz2-1.0:arm64
readline-common
 |Depends: dpkg
    dpkg:arm64
  Depends: install-info
<perl:any>
"""


def test_a_concrete_dependency_is_taken_and_its_providers_ignored() -> None:
    graph = parse_depends(DEPENDS)
    assert graph["git:arm64"] == ["libc6:arm64", "libcurl3-gnutls:arm64", "perl:arm64", "liberror-perl"]


def test_of_alternatives_only_the_first_counts_and_a_virtual_one_is_its_first_provider() -> None:
    graph = parse_depends(DEPENDS)
    assert graph["libpython3.11-stdlib:arm64"] == ["media-types", "libbz2-1.0:arm64"]
    assert graph["readline-common"] == ["dpkg"]


def test_a_package_without_dependencies_is_listed_empty() -> None:
    assert parse_depends(DEPENDS)["<perl:any>"] == []

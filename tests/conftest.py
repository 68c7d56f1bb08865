"""Shared pytest configuration: fixture modules live in tests/support/."""

pytest_plugins = [
    "tests.support.registry",
    "tests.support.docker",
    "tests.support.local_github",
    "tests.support.loaded",
]

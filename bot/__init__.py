"""multiarch-bot: make other people's Docker images multi-arch, with evidence."""

__version__ = "0.1.0"

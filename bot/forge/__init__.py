"""Forge stage: git and GitHub. The only modules that talk to either."""

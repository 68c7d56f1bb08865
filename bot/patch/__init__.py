"""Patch stage: minimal, format-preserving edits that make each publishing build path multi-arch."""

"""Build stage: real multi-platform builds, smoke runs and binary checks."""

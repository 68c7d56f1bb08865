"""The fleet benchmark: ``python -m bench`` (see README: Benchmark)."""

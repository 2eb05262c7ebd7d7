"""Benchmarks: run with `python -m bench.<name>`; figures go to docs/performance.md."""

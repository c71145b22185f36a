"""Benchmarks of oqtopus-bridge against the reference client and in-process simulators (issue 10).

Run from the repository root with ``python -m benchmarks`` (``--smoke`` for the tiny harness check).
Every speed claim is a ratio of two timings taken in the same run, so machine noise cancels out.
"""

"""Benchmarks for copbot's core: `python -m bench <name>` or `python -m bench all`.

Benchmarks print figures for people to read; they never assert timings or fail on speed.
"""

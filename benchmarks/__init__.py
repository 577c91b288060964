"""Benchmarks: speed and memory goals of the collection, measured, never asserted in tests.

Run them from the repository root, e.g. ``python -m benchmarks.seed_vs_collection`` or
``make bench``; each writes JSON and a Markdown table under ``benchmarks/results/``.
"""

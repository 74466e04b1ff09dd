"""Benchmarks of the engine against peers: the public GAP test bed and synthetic placement instances.

Run ``python -m benchmarks --help`` from the repository root; see ``benchmarks/README.md``. Nothing here imports
``ortools`` or ``highspy`` at package level: each solver runs in its own worker process (:mod:`benchmarks.runner`).
"""

"""Resettlement placement matcher: place refugee families in small cities within every capacity, and explain why."""

import os
import sys
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("resettlement-matcher")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+local"

__all__ = ["__version__"]


def _small_pages() -> None:
    """Have numpy allocate its arrays in ordinary pages, unless ``NUMPY_MADVISE_HUGEPAGE`` says otherwise.

    numpy asks Linux for transparent huge pages for every array of 4 MB and more. Building a national-size
    model allocates gigabytes of such arrays, and on the virtual machines measured (2 cores) each huge page
    fault costs so much kernel time that the build of tier L takes 15-21 s in place of 4-5 s (see
    benchmarks/results/SUMMARY.md). The variable is numpy's own switch, read when numpy is imported; it is also
    passed to the processes started from here (benchmark and Dask workers, the app's server). If numpy is
    already imported (the app's server imports it first), its setter is called instead."""
    if "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        return  # the user's choice
    os.environ["NUMPY_MADVISE_HUGEPAGE"] = "0"
    numpy = sys.modules.get("numpy")
    if numpy is None:
        return
    for core in ("_core", "core"):  # numpy 2, numpy 1
        setter = getattr(getattr(getattr(numpy, core, None), "multiarray", None), "_set_madvise_hugepage", None)
        if setter is not None:
            setter(False)
            return


_small_pages()

"""Resettlement placement matcher: place refugee families in small cities within every capacity, and explain why.

The front door for use from Python::

    import matcher

    report = matcher.read_dataset("cases.xlsx", "localities.xlsx")   # read and validate both workbooks
    problem = matcher.build_problem(report.dataset, matcher.Policy())
    result = matcher.solve(problem, matcher.SolveParams(time_limit=10))
    print(result.summary(report.dataset))
    print(matcher.explain_case(problem, result, "C001"))

The names below are imported when first used, so that ``import matcher`` stays light (the engine, OR-Tools and
pandas load only when a name that needs them is asked for).
"""

import importlib
import os
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("resettlement-matcher")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+local"

#: The public API: each name and the module that defines it.
_API = {
    "read_dataset": "matcher.io.readers",
    "validate": "matcher.io.validation",
    "load_policy": "matcher.models.policy",
    "Policy": "matcher.models.policy",
    "build_problem": "matcher.problem",
    "solve": "matcher.match",
    "SolveParams": "matcher.engine",
    "Result": "matcher.models.result",
    "Status": "matcher.models.result",
    "explain_case": "matcher.explain",
    "check": "matcher.checker",
}

__all__ = ["__version__", *_API]

if TYPE_CHECKING:  # the names as type checkers and editors see them (`x as x`: re-exported)
    from matcher.checker import check as check
    from matcher.engine import SolveParams as SolveParams
    from matcher.explain import explain_case as explain_case
    from matcher.io.readers import read_dataset as read_dataset
    from matcher.io.validation import validate as validate
    from matcher.match import solve as solve
    from matcher.models.policy import Policy as Policy
    from matcher.models.policy import load_policy as load_policy
    from matcher.models.result import Result as Result
    from matcher.models.result import Status as Status
    from matcher.problem import build_problem as build_problem


def __getattr__(name: str) -> Any:
    """Import a public name on first use (PEP 562) and keep it, so that later uses cost nothing."""
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'matcher' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])


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

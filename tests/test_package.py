"""The package's import-time setup: numpy's arrays in ordinary pages unless the user chose otherwise."""

import os
import subprocess
import sys

import pytest

# After the snippet, whether numpy would use huge pages (the setter returns the value it replaces).
PROBE = "from numpy._core import multiarray as m; print(m._set_madvise_hugepage(True))"


def _run(code: str, env_value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    if env_value is not None:
        env["NUMPY_MADVISE_HUGEPAGE"] = env_value
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                          timeout=60)
    return done.stdout.strip()


@pytest.mark.parametrize("order", ["import matcher, numpy", "import numpy, matcher"])
def test_importing_matcher_turns_numpy_huge_pages_off(order: str) -> None:
    # Before or after numpy.
    assert _run(f"{order}; {PROBE}", None) == "False"


def test_processes_started_after_importing_matcher_keep_them_off() -> None:
    assert _run("import subprocess, sys, matcher; subprocess.run([sys.executable, '-c', "
                f"{PROBE!r}], check=True)", None) == "False"


def test_numpy_huge_pages_stay_on_when_asked() -> None:
    assert _run(f"import matcher, numpy; {PROBE}", "1") == "True"


def test_numpy_alone_uses_huge_pages_here() -> None:
    # Otherwise the tests above could not tell matcher's switch from numpy's default.
    if not sys.platform.startswith("linux"):
        pytest.skip("numpy asks for huge pages on Linux only")
    assert _run(f"import numpy; {PROBE}", None) == "True"

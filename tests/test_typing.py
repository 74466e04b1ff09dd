"""The library, the app and the benchmarks type-check: mypy over the packages pyproject.toml names."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from mypy import api

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "pyproject.toml"


def test_mypy_checks_the_library_the_app_and_the_benchmarks() -> None:
    packages = tomllib.loads(CONFIG.read_text(encoding="utf-8"))["tool"]["mypy"]["packages"]
    assert set(packages) >= {"matcher", "ui", "benchmarks"}


def test_mypy_finds_no_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # From the project's root, as `mypy` is run there: the configured packages and the cache (.mypy_cache).
    monkeypatch.chdir(ROOT)
    stdout, stderr, status = api.run(["--config-file", str(CONFIG)])
    assert status == 0, stdout + stderr
    assert stdout.startswith("Success: no issues found"), stdout

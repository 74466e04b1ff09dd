"""Fixtures of the security tests: hostile workbooks, built once per session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import malicious

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path[:1]:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 400 MB zip bomb in a 0.4 MB .xlsx."""
    return malicious.zip_bomb(tmp_path_factory.mktemp("bomb") / "cases.xlsx", unpacked_mb=400)


@pytest.fixture(scope="session")
def laughs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A billion-laughs entity expansion in the shared strings."""
    return malicious.billion_laughs(tmp_path_factory.mktemp("laughs") / "cases.xlsx")

"""The library's front door: `import matcher` names the public API, stays light, and the README's snippet runs."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import matcher
from matcher.models.result import LocalityUse, Placement, Provenance, Result, Status, Unplaced

ROOT = Path(__file__).resolve().parents[1]


def readme_snippet() -> str:
    """The Python block of the README's "Use it from Python" section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Use it from Python", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found, "the section has a python block"
    return found.group(1)


def test_the_readme_snippet_runs_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """Load, solve, summarise, tabulate, explain and check, exactly as the README shows it."""
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    namespace: dict[str, object] = {}
    with contextlib.redirect_stdout(out):
        exec(compile(readme_snippet(), "README.md", "exec"), namespace)  # the README's own code
    printed = out.getvalue()
    assert printed.startswith("status: ")
    assert "placed: " in printed and " persons" in printed
    assert "case_id='C0001'" in printed
    result = namespace["result"]
    assert isinstance(result, Result) and result.placements
    plan = namespace["plan"]
    assert list(plan["case_id"]) == [p.case_id for p in result.placements]


def test_the_snippet_is_ten_lines_or_fewer() -> None:
    lines = [line for line in readme_snippet().splitlines() if line.strip()]
    assert len(lines) <= 10


def test_importing_matcher_loads_neither_the_engine_nor_pandas() -> None:
    code = ("import sys, matcher; heavy = [m for m in ('numpy', 'pandas', 'ortools', 'scipy', 'matcher.engine', "
            "'matcher.problem', 'pydantic') if m in sys.modules]; print(heavy)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert shown.stdout.strip() == "[]"


def test_the_front_door_names_are_not_shadowed_by_modules() -> None:
    """Importing the engine's or the checker's modules leaves ``matcher.solve`` and ``matcher.check`` the functions
    (a submodule of the same name would replace the attribute on import)."""
    code = ("import matcher, matcher.engine.lp, matcher.checker, matcher.match; import inspect; "
            "print(inspect.isfunction(matcher.solve), inspect.isfunction(matcher.check), "
            "matcher.solve.__module__, matcher.check.__module__)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert shown.stdout.split() == ["True", "True", "matcher.match", "matcher.checker"]


def test_every_public_name_resolves_and_is_documented() -> None:
    assert set(matcher.__all__) == {"__version__", "read_dataset", "validate", "load_policy", "Policy",
                                    "build_problem", "solve", "SolveParams", "Result", "Status", "explain_case",
                                    "check"}
    for name in matcher.__all__[1:]:
        value = getattr(matcher, name)
        assert callable(value), name
        assert (value.__doc__ or "").strip(), f"{name} has no docstring"
    assert "solve" in dir(matcher)
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        matcher.nothing_here  # noqa: B018


def test_every_result_class_and_field_is_documented() -> None:
    for cls in (Result, Placement, Unplaced, LocalityUse, Provenance):
        assert (cls.__doc__ or "").strip(), cls.__name__
        for name, field in cls.model_fields.items():
            assert (field.description or "").strip(), f"{cls.__name__}.{name}"


def _result() -> Result:
    return Result(
        status=Status.FEASIBLE, objective=1.5, bound=1.6, gap=0.0625, seconds=2.04,
        placements=[Placement(case_id="C1", locality_id="09225", score=0.8, components={"employment": 0.5}),
                    Placement(case_id="C2", locality_id="09122", bedrooms=2, score=0.7)],
        unplaced=[Unplaced(case_id="C3", reasons=["r"], kind="full"),
                  Unplaced(case_id="C4", reasons=["r"], kind="nowhere:health_services")],
        deterministic=False)


def test_the_summary_counts_families_and_hides_ids_beside_health_needs() -> None:
    text = _result().summary()
    assert text.splitlines()[:4] == ["status: feasible", "placed: 2 of 4 families", "mean score: 0.750",
                                     "objective 1.5, LP bound 1.6, gap 6.250%, 2.0 s"]
    assert "another run may give a different plan" in text
    assert "  1 family: the communes that could take them are full (C3)" in text
    assert "  1 family: a health service they need is offered nowhere" in text and "C4" not in text


def test_to_frame_has_one_row_per_placement_and_a_column_per_component() -> None:
    frame = _result().to_frame({"09225": "Pamiers"})
    assert list(frame["case_id"]) == ["C1", "C2"]
    assert list(frame["locality_name"]) == ["Pamiers", ""]
    assert frame.loc[0, "employment"] == 0.5
    empty = Result(status=Status.OPTIMAL).to_frame()
    assert list(empty.columns) == ["case_id", "locality_id", "bedrooms", "score"] and empty.empty

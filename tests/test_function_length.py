"""No function in matcher/ is longer than MAX_LINES: the big ones are split along their real phases."""

from __future__ import annotations

import ast
from pathlib import Path

MATCHER = Path(__file__).resolve().parents[1] / "matcher"
MAX_LINES = 80


def long_functions(source: str, limit: int = MAX_LINES) -> list[tuple[str, int]]:
    """(name, lines) of every function or method in `source` longer than `limit` lines, decorators aside."""
    return [(node.name, node.end_lineno - node.lineno + 1) for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None
            and node.end_lineno - node.lineno + 1 > limit]


def test_the_measure_counts_every_line_of_a_function_nested_ones_too():
    body = "".join(f"    x{i} = {i}\n" for i in range(80))
    source = f"def f():\n{body}\nclass C:\n    def g(self):\n        def h():\n{body.replace('    ', '            ')}"
    assert sorted(long_functions(source)) == [("f", 81), ("g", 82), ("h", 81)]
    assert long_functions("def f():\n    return 1\n") == []


def test_no_function_in_matcher_is_over_80_lines():
    offenders = {f"{path.relative_to(MATCHER.parent)}:{name}": n for path in sorted(MATCHER.rglob("*.py"))
                 for name, n in long_functions(path.read_text(encoding="utf-8"))}
    assert offenders == {}

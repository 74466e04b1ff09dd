"""The floors of the package, read from every module's imports.

Imports are read with `ast` wherever they stand: at the top, inside functions and under ``if TYPE_CHECKING``
alike, so that no cycle hides in a function. A module that imports ``matcher.a.b`` also runs the packages
``matcher.a`` on the way (their ``__init__``), and depends on them too; a module's own packages are not counted
(Python runs them first). The root package ``matcher`` is left out of the cycles: it is the front door, which
imports what it names only when asked (checked below). Names imported with ``importlib.import_module`` are not
seen.
"""

from __future__ import annotations

import ast
from pathlib import Path

MATCHER = Path(__file__).resolve().parents[1] / "matcher"

def _modules() -> dict[str, tuple[Path, bool]]:
    """Dotted name -> (file, whether it is a package's ``__init__``), for every module of matcher."""
    out = {}
    for path in sorted(MATCHER.rglob("*.py")):
        parts = list(path.relative_to(MATCHER.parent).with_suffix("").parts)
        package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if package else parts)] = (path, package)
    return out


MODULES = _modules()


def imported_names(source: str, name: str, package: bool) -> set[str]:
    """Every absolute name `source` (module `name`) imports, anywhere in it: modules, and for ``from x import y``
    both ``x.y`` and ``x`` (``y`` may be a module or a name)."""
    here = name if package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package, up `level - 1` packages
                parts = here.split(".")[: len(here.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def _depends_on(name: str) -> set[str]:
    """The modules of matcher that module `name` imports, and the packages it runs on the way."""
    path, package = MODULES[name]
    out = set()
    for target in imported_names(path.read_text(encoding="utf-8"), name, package):
        if target.split(".")[0] != "matcher":
            continue
        while target not in MODULES:  # `from matcher.io.spec import CASES`: the module is matcher.io.spec
            target = target.rpartition(".")[0]
        parts = target.split(".")
        runs = {".".join(parts[:k]) for k in range(2, len(parts) + 1)}  # the packages on the way, and the module
        out |= {m for m in runs if not (name == m or name.startswith(m + "."))}
    return out


GRAPH = {name: _depends_on(name) for name in MODULES if name != "matcher"}


def _package(name: str) -> str:
    """The floor a module belongs to: ``matcher.engine.lp`` -> ``engine``, ``matcher.auth`` -> ``auth``."""
    return name.split(".")[1]


def _cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """The strongly connected components of more than one node (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[frozenset[str]] = set()

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.add(frozenset(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _importers(prefix: str, target: str) -> list[str]:
    """Modules under `prefix` that import `target` or anything below it."""
    return sorted(name for name, deps in GRAPH.items() if name.startswith(prefix)
                  for d in deps if d == target or d.startswith(target + "."))


def test_the_reader_sees_imports_inside_functions_type_checking_and_relative() -> None:
    """The reader finds an import in a function, under TYPE_CHECKING and a relative one."""
    source = ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from matcher.auth import can\n"
              "def f():\n    import ui.launch\n    from . import schema\n    from ..io import spec\n")
    names = imported_names(source, "matcher.store.records", package=False)
    assert {"matcher.auth", "ui.launch", "matcher.store.schema", "matcher.io.spec"} <= names


def test_no_import_cycles_between_modules() -> None:
    """No module imports, directly or not, a module that imports it."""
    assert _cycles(GRAPH) == set()


def test_no_import_cycles_between_packages() -> None:
    """The floors (io, models, engine, store, cli ...) import each other one way only."""
    floors: dict[str, set[str]] = {}
    for name, deps in GRAPH.items():
        floors.setdefault(_package(name), set()).update(_package(d) for d in deps if _package(d) != _package(name))
    assert _cycles(floors) == set()


def test_the_front_door_imports_lazily() -> None:
    """``import matcher`` loads no other module of matcher: the root imports only on attribute access."""
    tree = ast.parse(MODULES["matcher"][0].read_text(encoding="utf-8"))
    eager = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    names = {a.name for n in eager if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in eager if isinstance(n, ast.ImportFrom)}
    assert not {n for n in names if n.split(".")[0] == "matcher"}


def test_matcher_never_imports_ui() -> None:
    """The app imports the library, never the reverse (`matcher ui` starts the app as a program)."""
    offenders = sorted(name for name, (path, package) in MODULES.items()
                       if any(n.split(".")[0] == "ui"
                              for n in imported_names(path.read_text(encoding="utf-8"), name, package)))
    assert offenders == []


def test_store_never_imports_auth() -> None:
    """The records know users and roles, not who may do what: `matcher.auth` sits above the store."""
    assert _importers("matcher.store", "matcher.auth") == []


def test_io_and_models_import_only_models() -> None:
    """The messages (i18n) import nothing else of matcher; the records (models) only the messages; spreadsheets
    in and out (io) only the records and the messages."""
    allowed = {"models": {"models", "i18n"}, "io": {"io", "models", "i18n"}, "i18n": {"i18n"}}
    for floor, may in allowed.items():
        offenders = sorted((name, d) for name, deps in GRAPH.items() if _package(name) == floor
                           for d in deps if _package(d) not in may)
        assert offenders == [], floor


def _floor_offenders(floor: str, may: set[str]) -> list[tuple[str, str]]:
    """(module, import) pairs of the floor `floor` that import a floor outside `may`."""
    return sorted((name, d) for name, deps in GRAPH.items() if _package(name) == floor
                  for d in deps if _package(d) not in may)


def test_the_engine_imports_only_the_records() -> None:
    """The engine works on its own model: it imports the records (models) and itself, nothing above."""
    assert _floor_offenders("engine", {"engine", "models"}) == []


def test_the_checker_imports_only_the_records() -> None:
    """The independent checker reads the records and the policy only, never the engine's model or its rows."""
    assert _floor_offenders("checker", {"checker", "models"}) == []


def test_the_explanations_never_run_the_engine() -> None:
    """explain reads the problem, the checker and the scores; the LP it reports comes from its caller."""
    assert _floor_offenders("explain", {"explain", "problem", "checker", "scoring", "models", "i18n"}) == []


def test_the_notices_explain_and_never_run_the_engine() -> None:
    """The decision notices sit beside the front door: they read the explanations, the problem and the records,
    never the engine (and nothing below the views imports them)."""
    assert _floor_offenders("notice", {"notice", "explain", "problem", "checker", "scoring", "models", "io",
                                       "i18n"}) == []
    assert [name for name in GRAPH if _package(name) not in {"notice", "cli"}
            and any(_package(d) == "notice" for d in GRAPH[name])] == []


def test_the_builder_imports_the_records_scores_and_the_engine_model_only() -> None:
    """problem.py turns records into the engine's model: records, scores and that model, nothing of the engine
    itself (the package ``matcher.engine`` it runs on the way re-exports the engine, but imports nothing above)."""
    assert _floor_offenders("problem", {"problem", "models", "scoring", "engine", "i18n"}) == []
    direct = {n for n in imported_names(MODULES["matcher.problem"][0].read_text(encoding="utf-8"), "matcher.problem",
                                        False) if n.startswith("matcher.engine")}
    assert direct <= {"matcher.engine.model", "matcher.engine.model.AssignmentModel"}

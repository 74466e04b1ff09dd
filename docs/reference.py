"""Reference tables generated from the code when the docs are built, so that the pages cannot drift from it.

Each generator returns Markdown. A page asks for one with a marker line ``<!-- generated: NAME -->``, which
``docs/hooks.py`` replaces at build time (see `GENERATORS`). The single sources are: the column spec
(`matcher.io.spec`) and the code aliases of the cell parsers, the policy's pydantic models, the typer app, the
score components, the roles of `matcher.auth`, and the policy lab's models and metrics.
"""

from __future__ import annotations

import enum
import inspect
import json
import sys
import types
import typing
from collections.abc import Callable, Iterator
from typing import Any

from pydantic import BaseModel

# ----------------------------------------------------------------------------------------------------- helpers


def cell(text: object) -> str:
    """Text made safe for one Markdown table cell: no line breaks, pipes escaped, no raw HTML."""
    out = " ".join(str(text).split())
    return out.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def code(text: object) -> str:
    """Inline code for a table cell; a pipe would end the cell even inside backticks, so then HTML is used."""
    text = str(text)
    return f"<code>{cell(text)}</code>" if "|" in text else f"`{text}`"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def type_name(annotation: Any) -> str:
    """A field's type in words a TOML writer understands: ``float``, ``"hard" | "soft"``, ``list of tables``."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return " \\| ".join(json.dumps(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        parts = [type_name(a) for a in args if a is not type(None)]
        return " \\| ".join(parts) + (" or blank" if type(None) in args else "")
    if origin in (list, tuple):
        if origin is tuple and args and args[-1] is not Ellipsis:
            return f"list of {len(args)} {type_name(args[0])}"
        inner = args[0] if args else Any
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return "array of tables"
        return f"list of {type_name(inner)}"
    if origin is dict:
        return f"table of {type_name(args[1])}" if len(args) == 2 else "table"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return " \\| ".join(json.dumps(m.value) for m in annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table"
    if annotation is Any:
        return "any"
    return getattr(annotation, "__name__", str(annotation))


def constraints(field: Any) -> str:
    """The bounds pydantic enforces on a field, as ``≥ 0, ≤ 64``."""
    words = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}
    out = []
    for meta in field.metadata:
        for attr, sign in words.items():
            value = getattr(meta, attr, None)
            if value is not None:
                out.append(f"{sign} {value}")
    return ", ".join(out)


def toml_value(value: Any) -> str:
    """A default as it would be written in TOML (None: no value)."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds, directly or as a list of them."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (list, tuple):
        args = typing.get_args(annotation)
        if args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
            return args[0]
    return None


#: The "default" of a key inside an array of tables: each item gives its own value.
IN_ARRAY: Any = object()


def model_keys(model: type[BaseModel], defaults: Any, prefix: str = "",
               skip: frozenset[str] = frozenset()) -> Iterator[tuple[str, Any, Any, Any]]:
    """Every key of a TOML-born model, depth first: (dotted path, field, default, nested model or None).

    An array of tables (``[[bedroom_table]]``) is written ``bedroom_table.max_persons`` for its keys; its default
    is the whole list, given on the array's own row.
    """
    for name, field in model.model_fields.items():
        path = prefix + name
        if path in skip:
            continue
        default = defaults.get(name, IN_ARRAY) if isinstance(defaults, dict) else IN_ARRAY
        nested = _model_of(field.annotation)
        yield path, field, default, nested
        if nested is not None:
            # A table's keys default to its own defaults; an array's items have none of their own.
            inner = default if isinstance(default, dict) else IN_ARRAY
            yield from model_keys(nested, inner, path + ".", skip)


def model_table(model: type[BaseModel], *, skip: frozenset[str] = frozenset(),
                defaults: dict[str, Any] | None = None) -> str:
    """Key, type, default, bounds and description of every key of a model (descriptions from the model)."""
    if defaults is None:
        defaults = model().model_dump(mode="json")
    rows = []
    for path, field, default, nested in model_keys(model, defaults, skip=skip):
        kind = type_name(field.annotation)
        if nested is not None and kind == "table":
            shown = "(table)"
        elif default is IN_ARRAY:
            shown = "(per item)" if field.is_required() else f"(per item; {cell(toml_value(field.default))})"
        else:
            shown = cell(toml_value(default))
        rows.append([f"`{path}`", kind, shown, cell(constraints(field)), cell(field.description or "")])
    return table(["Key", "Type", "Default", "Bounds", "Description"], rows)


def leaf_keys(model: type[BaseModel], *, skip: frozenset[str] = frozenset()) -> list[str]:
    """The dotted paths of a model's keys that hold values (not tables), for the documentation tests."""
    defaults = model().model_dump(mode="json")
    return [path for path, field, _, nested in model_keys(model, defaults, skip=skip)
            if nested is None or type_name(field.annotation) != "table"]


def _first_line(doc: str | None) -> str:
    return inspect.cleandoc(doc or "").split("\n\n")[0].replace("\n", " ")


# --------------------------------------------------------------------------------------------- spreadsheets


def spreadsheet_columns() -> str:
    """One section per workbook and sheet, one row per column of `matcher.io.spec`."""
    from matcher.io import spec
    from matcher.io.readers import REQUIRED_SHEETS

    out = []
    for workbook in spec.WORKBOOKS.values():
        out.append(f"### {workbook.filename} {{#{workbook.name}-workbook}}")
        out.append("")
        out.append("Sheets " + ", ".join(f"[`{s.name}`](#sheet-{s.name})" for s in workbook.sheets) + ".")
        out.append("")
        for sheet in workbook.sheets:
            required = sheet.name in REQUIRED_SHEETS.get(workbook.name, ())
            out.append(f"### Sheet `{sheet.name}` ({workbook.filename}) {{#sheet-{sheet.name}}}")
            out.append("")
            out.append(f"{sheet.help_en} *{sheet.help_fr}*")
            out.append("")
            facts = ["**required sheet**" if required else "optional sheet (missing: none offered)"]
            if sheet.aliases:
                facts.append("also read under the names " + ", ".join(f"`{a}`" for a in sheet.aliases))
            if sheet.key:
                facts.append("unique together: " + ", ".join(f"`{k}`" for k in sheet.key))
            out.append("; ".join(facts) + ".")
            out.append("")
            rows = []
            for col in sheet.columns:
                rows.append([
                    f"`{col.name}`",
                    "**required**" if col.required else "optional",
                    cell(col.expected()),
                    ", ".join(f"`{a}`" for a in col.aliases),
                    cell(col.help_en),
                    cell(col.help_fr),
                ])
            out.append(table(["Column", "Required", "Expected", "Aliases", "Meaning", "Sens (FR)"], rows))
            out.append("")
    return "\n".join(out)


def code_lists() -> str:
    """Every list of codes the spec offers in dropdowns, with the columns that use it."""
    from matcher.io import spec

    used: dict[tuple[str, ...], list[str]] = {}
    for workbook in spec.WORKBOOKS.values():
        for sheet in workbook.sheets:
            for col in sheet.columns:
                if col.choices:
                    used.setdefault(col.choices, []).append(f"`{sheet.name}.{col.name}`")
    rows = [[", ".join(columns), ", ".join(f"`{c}`" for c in choices)] for choices, columns in used.items()]
    return table(["Columns", "Codes"], rows)


def code_aliases() -> str:
    """The French and other spellings the cell parsers accept for codes."""
    from matcher.io.cells import CODE_ALIASES

    by_code: dict[str, list[str]] = {}
    for alias, target in CODE_ALIASES.items():
        by_code.setdefault(target, []).append(alias)
    rows = [[f"`{target}`", ", ".join(f"`{a}`" for a in aliases)] for target, aliases in by_code.items()]
    return table(["Code", "Also accepted"], rows)


# ------------------------------------------------------------------------------------------- rules and scores


def rule_defaults() -> str:
    """Each rule of the policy, with its default mode and penalty."""
    from matcher.models.policy import Mode, Rules

    rules = Rules()
    rows = []
    for name, field in Rules.model_fields.items():
        rule = getattr(rules, name)
        penalty = f"{rule.penalty:g}" if rule.mode is Mode.SOFT else "—"
        rows.append([f"`{name}`", cell(field.description or ""), f"`{rule.mode.value}`", penalty])
    return table(["Rule (`rules.NAME`)", "What it limits", "Default mode", "Default penalty"], rows)


def score_components() -> str:
    """Each score component: its policy weight by default and what it measures (its module's docstring)."""
    from matcher.models.policy import Weights
    from matcher.scoring import COMPONENTS

    weights = Weights().as_dict()
    rows = []
    for name, module in COMPONENTS.items():
        what = _first_line(module.__doc__)
        what = what.split(":", 1)[1].strip() if ":" in what else what
        rows.append([f"`{name}`", f"{weights.get(name, 0.0):g}", cell(what)])
    return table(["Component (`weights.NAME`)", "Default weight", "Value in [0, 1]"], rows)


# ---------------------------------------------------------------------------------------------------- policy


POLICY_SKIP = frozenset({"rules"})


def policy_keys() -> str:
    from matcher.models.policy import Policy

    return model_table(Policy, skip=POLICY_SKIP)


def rule_keys() -> str:
    from matcher.models.policy import Rule

    return model_table(Rule)


# ------------------------------------------------------------------------------------------------------ CLI


def _commands(command: Any, ctx: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    yield path, command, ctx
    if hasattr(command, "commands"):  # a group (typer vendors click: its classes are not click's own)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            yield from _commands(sub, sub.context_class(sub, info_name=name, parent=ctx), f"{path} {name}")


def cli_commands() -> list[tuple[str, Any, Any]]:
    """(path, command, context) of `matcher` and every command below it, in the order of ``--help``."""
    import typer

    from matcher.cli import app

    root = typer.main.get_command(app)
    return list(_commands(root, root.context_class(root, info_name="matcher"), "matcher"))


def anchor_of(path: str) -> str:
    return path.replace(" ", "-")


def cli_reference() -> str:
    """Every command with its usage, help, arguments and options, as ``--help`` shows them."""
    out = []
    for path, command, ctx in cli_commands():
        level = "###" if path.count(" ") <= 1 else "####"
        out.append(f"{level} `{path}` {{#{anchor_of(path)}}}")
        out.append("")
        usage = " ".join(piece.strip("{}") for piece in command.collect_usage_pieces(ctx))
        out.append(f"Usage: `{path} {usage}`")
        out.append("")
        if command.help:
            out.append(inspect.cleandoc(command.help).replace("\b\n", ""))
            out.append("")
        rows = []
        for param in command.params:
            if getattr(param, "hidden", False):
                continue
            record = param.get_help_record(ctx) if param.param_type_name == "option" else None
            if param.param_type_name == "argument":
                name = (param.metavar or param.name or "").upper()
                kind = "argument"
                text = (getattr(param, "help", None) or "") + ("  [required]" if param.required else "")
            else:
                name = record[0] if record else ", ".join(param.opts)
                kind = "option"
                text = record[1] if record else (getattr(param, "help", None) or "")
            rows.append([code(name), kind, cell(text)])
        if rows:
            out.append(table(["Name", "Kind", "Meaning"], rows))
            out.append("")
        if hasattr(command, "commands"):
            subs = [f"[`{p}`](#{anchor_of(p)})" for p, c, _ in cli_commands()
                    if p.startswith(path + " ") and p.count(" ") == path.count(" ") + 1]
            out.append("Commands: " + ", ".join(subs) + ".")
            out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------------- access


def roles() -> str:
    """What each role may open and do, from `matcher.auth`."""
    from matcher import auth

    rows = []
    for role in auth.PAGES:
        pages = ", ".join(f"`{p}`" for p in sorted(auth.PAGES[role]))
        actions = ", ".join(f"`{a}`" for a in sorted(auth.PERMISSIONS.get(role, ())))
        rows.append([f"`{role}`", pages, actions])
    return table(["Role", "Pages of the app", "Actions"], rows)


# -------------------------------------------------------------------------------------------------- the lab


def experiment_keys() -> str:
    from matcher.simulate.experiment import Experiment

    defaults = Experiment().model_dump(mode="json")
    return model_table(Experiment, skip=frozenset({"cohort", "territory", "policy", "localities"}),
                       defaults=defaults)


def cohort_parameters() -> str:
    from matcher.simulate.cohort import CohortParams

    return model_table(CohortParams)


def territory_parameters() -> str:
    from matcher.simulate.territory import TerritoryParams

    return model_table(TerritoryParams)


def lab_metrics() -> str:
    from matcher.simulate.metrics import DESCRIPTIONS, METRICS

    return table(["Metric", "Meaning"], [[f"`{m}`", cell(DESCRIPTIONS.get(m, ""))] for m in METRICS])


# ----------------------------------------------------------------------------------------------------- index


def _import_rules() -> str:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).with_name("gen_architecture.py")
    spec = importlib.util.spec_from_file_location("gen_architecture", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return str(module.import_rules())


#: Marker name -> generator; a page writes ``<!-- generated: NAME -->`` on a line of its own.
GENERATORS: dict[str, Callable[[], str]] = {
    "spreadsheet-columns": spreadsheet_columns,
    "code-lists": code_lists,
    "code-aliases": code_aliases,
    "rule-defaults": rule_defaults,
    "score-components": score_components,
    "policy-keys": policy_keys,
    "rule-keys": rule_keys,
    "cli-reference": cli_reference,
    "roles": roles,
    "experiment-keys": experiment_keys,
    "cohort-parameters": cohort_parameters,
    "territory-parameters": territory_parameters,
    "lab-metrics": lab_metrics,
    "import-rules": _import_rules,
}

"""The `matcher` command line: exit codes 0/1/2, every error listed, JSON report, no traceback, no personal data."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner
from workbooks import Sheets, write_csv_dir, write_xlsx

from matcher import cli
from matcher.cli import app

runner = CliRunner()


def test_help_lists_the_commands() -> None:
    """`matcher --help` names validate and template and says what the inputs are."""
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "validate" in result.output and "template" in result.output
    assert "folder of CSV files" in result.output


def test_no_arguments_shows_help() -> None:
    """A bare `matcher` prints its usage rather than doing anything."""
    result = runner.invoke(app, [])
    assert "Usage" in result.output


def test_version() -> None:
    """`matcher --version` prints the package version."""
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("matcher ")


def test_validate_valid_inputs_exit_0(tiny_paths: tuple[Path, Path]) -> None:
    """Valid workbooks exit 0 with a one-line summary."""
    result = runner.invoke(app, ["validate", *map(str, tiny_paths)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "valid: 3 cases (6 persons), 2 localities; 0 warnings"


def test_validate_csv_folders(tmp_path: Path, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """CSV folders are accepted as inputs."""
    cases = write_csv_dir(tmp_path / "cases", tiny_cases)
    localities = write_csv_dir(tmp_path / "localities", tiny_localities, delimiter=";")
    assert runner.invoke(app, ["validate", str(cases), str(localities)]).exit_code == 0


def test_validate_warnings_keep_exit_0(tmp_path: Path, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """Warnings are printed but do not fail validation."""
    tiny_cases["cases"][3][3] = "C2"
    tiny_cases["cases"][3][5] = ""
    paths = write_xlsx(tmp_path / "c.xlsx", tiny_cases), write_xlsx(tmp_path / "l.xlsx", tiny_localities)
    result = runner.invoke(app, ["validate", *map(str, paths)])
    assert result.exit_code == 0
    assert result.output.startswith("warning: c.xlsx › cases › row 4 › linked_case_ids:")
    assert result.output.rstrip().endswith("; 1 warning")


def test_validate_errors_exit_1_one_per_line(tmp_path: Path, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """Each error is one line with its location, errors before warnings, then a count."""
    tiny_localities["housing"][2][1] = "three"
    tiny_cases["members"][2][2] = "old"
    tiny_cases["cases"][1][4] = "75056;09225"
    paths = write_xlsx(tmp_path / "cases.xlsx", tiny_cases), write_xlsx(tmp_path / "localities.xlsx", tiny_localities)
    result = runner.invoke(app, ["validate", *map(str, paths)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "error: cases.xlsx › members › row 3 › age: expected a whole number from 0 to 120, got text"
    assert lines[1].startswith("error: localities.xlsx › housing › row 3 › bedrooms: expected a whole number")
    assert lines[2].startswith("warning: cases.xlsx › cases › row 2 › preferred_locality_ids:")
    assert lines[3] == "not valid: 2 errors, 1 warning"


def test_validate_json(tmp_path: Path, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """--json prints one object with valid, errors, warnings and counts."""
    tiny_localities["jobs"][1][2] = "many"
    paths = write_xlsx(tmp_path / "cases.xlsx", tiny_cases), write_xlsx(tmp_path / "localities.xlsx", tiny_localities)
    result = runner.invoke(app, ["validate", *map(str, paths), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False and report["warnings"] == []
    assert report["counts"]["members"] == 6
    [error] = report["errors"]
    assert (error["workbook"], error["sheet"], error["row"], error["column"]) == ("localities.xlsx", "jobs", 2,
                                                                                   "vacancies")
    assert error["text"].startswith("localities.xlsx › jobs › row 2 › vacancies: expected a whole number ≥ 0")


def test_validate_json_valid(tiny_paths: tuple[Path, Path]) -> None:
    """A valid pair gives valid: true in JSON and exit 0."""
    result = runner.invoke(app, ["validate", *map(str, tiny_paths), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["valid"] is True


def test_missing_path_is_bad_usage(tiny_paths: tuple[Path, Path], tmp_path: Path) -> None:
    """A path that does not exist is a usage error: exit 2, naming the argument."""
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.xlsx"), str(tiny_paths[1])])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_missing_argument_and_unknown_option_are_bad_usage(tiny_paths: tuple[Path, Path]) -> None:
    """Too few arguments or an unknown option exit 2."""
    assert runner.invoke(app, ["validate", str(tiny_paths[0])]).exit_code == 2
    assert runner.invoke(app, ["validate", *map(str, tiny_paths), "--jsn"]).exit_code == 2


def test_unreadable_file_kind_is_bad_input(tmp_path: Path, tiny_paths: tuple[Path, Path]) -> None:
    """An existing file that is not a workbook is bad input: exit 1 with a clear line."""
    text = tmp_path / "cases.txt"
    text.write_text("hello")
    result = runner.invoke(app, ["validate", str(text), str(tiny_paths[1])])
    assert result.exit_code == 1
    assert result.output.startswith("error: cases.txt: expected an .xlsx workbook or a folder of CSV files")


def test_no_personal_value_in_cli_output(tmp_path: Path, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """Marker values in member cells never reach the CLI output, text or JSON."""
    for row in tiny_cases["members"][1:]:
        row[2:8] = ["Zanzibar-canary"] * 6
    paths = write_xlsx(tmp_path / "cases.xlsx", tiny_cases), write_xlsx(tmp_path / "localities.xlsx", tiny_localities)
    for extra in ([], ["--json"]):
        result = runner.invoke(app, ["validate", *map(str, paths), *extra])
        assert result.exit_code == 1
        assert "zanzibar" not in result.output.lower()


def test_unexpected_failure_is_one_line_exit_1(monkeypatch: pytest.MonkeyPatch, tiny_paths: tuple[Path, Path]) -> None:
    """A bug inside a command prints 'internal error' without traceback or message text, and exits 1."""

    def broken(*_: object) -> None:
        raise ValueError("secret cell value Zanzibar")

    monkeypatch.setattr(cli, "read_dataset", broken)
    result = runner.invoke(app, ["validate", *map(str, tiny_paths)])
    assert result.exit_code == 1
    assert "internal error (ValueError)" in result.output
    assert "Zanzibar" not in result.output and "Traceback" not in result.output


def test_load_dataset_exits_1_with_every_error(tmp_path: Path, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """The helper other commands use returns the dataset, or prints every error and exits 1."""
    paths = write_xlsx(tmp_path / "cases.xlsx", tiny_cases), write_xlsx(tmp_path / "localities.xlsx", tiny_localities)
    assert len(cli.load_dataset(*paths).cases) == 3
    tiny_cases["members"][1][2] = "x"
    tiny_cases["members"][2][2] = "y"
    write_xlsx(paths[0], tiny_cases)
    with pytest.raises(typer.Exit) as exited:
        cli.load_dataset(*paths)
    assert exited.value.exit_code == 1


def test_template_writes_through_templates_module(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`matcher template OUT_DIR` creates the folder and prints each file write_templates returns."""
    written: list[Path] = []

    def write_templates(out_dir: Path) -> list[Path]:
        written.append(out_dir)
        return [out_dir / "cases.xlsx", out_dir / "localities.xlsx"]

    fake = types.ModuleType("matcher.io.templates")
    fake.write_templates = write_templates  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "matcher.io.templates", fake)
    out = tmp_path / "new" / "templates"
    result = runner.invoke(app, ["template", str(out)])
    assert result.exit_code == 0
    assert out.is_dir() and written == [out]
    assert result.output.splitlines() == [str(out / "cases.xlsx"), str(out / "localities.xlsx")]


def test_template_on_a_file_is_bad_usage(tmp_path: Path) -> None:
    """OUT_DIR naming an existing file is a usage error."""
    file = tmp_path / "f.txt"
    file.write_text("")
    assert runner.invoke(app, ["template", str(file)]).exit_code == 2


def test_console_script_runs(tiny_paths: tuple[Path, Path], tmp_path: Path) -> None:
    """The installed entry point validates and returns the exit code, without traceback."""
    ok = subprocess.run([sys.executable, "-m", "matcher.cli", "validate", *map(str, tiny_paths)],
                        capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run([sys.executable, "-m", "matcher.cli", "validate", str(tmp_path / "x"), str(tiny_paths[1])],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr

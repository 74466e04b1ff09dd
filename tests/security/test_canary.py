"""Privacy canary: a marker in every personal field, the whole flow run, and no log or message carries it.

The cases workbook describes people. The marker goes into every one of its cells except the pseudonymous ids
(case_id, member_id), and into extra columns such as a name or a phone number that a coordinator may leave in
the sheet. Then: `matcher validate` (text and JSON), `matcher match` with every export, `matcher records`, the
app's upload, validation report, run, explanation pages, Records page, and a failure inside a run. Every line
printed, every log record (any logger, DEBUG and up), every message element the app shows and the audit log are
searched for the marker.
"""

from __future__ import annotations

import copy
import logging
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner
from workbooks import TINY_CASES, TINY_LOCALITIES, write_csv_dir, write_xlsx

from matcher.cli import app
from matcher.store.records import open_store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))

MARKER = "ZQXJcanary91f3"
ID_COLUMNS = {"case_id", "member_id"}
EXTRA = ("full_name", "phone", "notes")


def _with_extras(sheets: dict) -> dict:  # type: ignore[type-arg]
    """Valid cases with personal extra columns holding the marker."""
    out = copy.deepcopy(sheets)
    for name in ("cases", "members"):
        rows = out[name]
        rows[0] = [*rows[0], *EXTRA]
        for row in rows[1:]:
            row.extend(f"{MARKER} {col}" for col in EXTRA)
    return out


def _marked_everywhere(sheets: dict) -> dict:  # type: ignore[type-arg]
    """Cases with the marker in every cell but the ids: every such cell is then an error to report."""
    out = _with_extras(sheets)
    for name in ("cases", "members"):
        header = out[name][0]
        for row in out[name][1:]:
            for i, col in enumerate(header):
                if col not in ID_COLUMNS and col not in EXTRA:
                    row[i] = f"{MARKER}-{col}"
    return out


class Seen:
    """Everything the flow printed, logged or showed."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def add(self, *texts: object) -> None:
        self.texts.extend(str(t) for t in texts)

    def leaks(self) -> list[str]:
        return [t[:200] for t in self.texts if MARKER.lower() in t.lower()]


def _app_messages(at) -> list[str]:  # type: ignore[no-untyped-def]
    """The text of every message-like element the app shows (not the data tables the user edits)."""
    out: list[str] = []
    for kind in ("error", "warning", "info", "success", "exception", "markdown", "caption", "title", "header",
                 "subheader", "text", "code", "json", "toast", "metric"):
        for element in getattr(at, kind, []):
            out.append(str(getattr(element, "value", "")))
            out.append(str(getattr(element, "label", "")))
    for frame in at.dataframe:
        value = frame.value
        if "problem" in getattr(value, "columns", ()):  # the validation report: messages
            out.extend(str(v) for v in value["problem"])
    return out


@pytest.fixture
def seen(caplog: pytest.LogCaptureFixture) -> Seen:
    caplog.set_level(logging.DEBUG)
    return Seen()


def test_cli_flow_never_prints_or_logs_personal_values(tmp_path: Path, seen: Seen, caplog, capfd) -> None:  # type: ignore[no-untyped-def]
    """validate (text, JSON) on marked cells; match with extras and every export; records commands."""
    runner = CliRunner()
    localities = write_xlsx(tmp_path / "localities.xlsx", TINY_LOCALITIES)
    for writer, name in ((write_xlsx, "bad.xlsx"), (write_csv_dir, "bad_csv")):
        bad = writer(tmp_path / name, _marked_everywhere(TINY_CASES))
        for extra in ([], ["--json"]):
            out = runner.invoke(app, ["validate", str(bad), str(localities), *extra])
            assert out.exit_code == 1
            seen.add(out.output)
        out = runner.invoke(app, ["match", str(bad), str(localities), "-q"])
        assert out.exit_code == 1
        seen.add(out.output)
    good = write_xlsx(tmp_path / "cases.xlsx", _with_extras(TINY_CASES))
    for fmt in ("json", "xlsx", "csv"):
        out = runner.invoke(app, ["match", str(good), str(localities), "--time-limit", "3",
                                  "--out", str(tmp_path / f"r.{fmt}")])
        assert out.exit_code == 0, out.output
        seen.add(out.output)
    seen.add((tmp_path / "r.json").read_text(), (tmp_path / "r.csv").read_text())
    run_id = open_store().recent_runs(1)[0].id
    for args in (["explain", str(tmp_path / "r.json"), "C1"], ["records", "runs"], ["records", "verify"],
                 ["records", "decide", str(run_id), "C1", "--accept", "--reason", "ok"]):
        out = runner.invoke(app, args)
        seen.add(out.output)
    seen.add(*(r.getMessage() for r in caplog.records), *capfd.readouterr())
    seen.add(*(f"{e.actor} {e.action} {e.subject} {e.detail}" for e in open_store().audit()))
    assert not seen.leaks()


def test_app_flow_never_shows_or_logs_personal_values(tmp_path: Path, seen: Seen, caplog, capfd,  # type: ignore[no-untyped-def]
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Upload marked cells (report), upload with extras, run, every Match tab, Runs, Records, a failing run."""
    from apptest_helpers import XLSX, new_app, quick_policy, wait_for_run
    from streamlit import config

    from ui.components import engine
    from ui.components.i18n import LABELS

    config.set_option("server.address", "127.0.0.1")
    localities = write_xlsx(tmp_path / "localities.xlsx", TINY_LOCALITIES)

    def upload(at, cases: Path):  # type: ignore[no-untyped-def]
        at.file_uploader(key="upload_cases").set_value((cases.name, cases.read_bytes(), XLSX))
        at.file_uploader(key="upload_localities").set_value((localities.name, localities.read_bytes(), XLSX))
        return at.button(key="upload_validate").click().run()

    at = new_app(policy=quick_policy(3)).run()
    before = at.session_state["dataset"]
    at = upload(at, write_xlsx(tmp_path / "bad.xlsx", _marked_everywhere(TINY_CASES)))
    assert at.session_state["dataset"] is before  # a failed upload keeps the last valid data (issue 29)
    seen.add(*_app_messages(at))
    at = upload(at, write_xlsx(tmp_path / "cases.xlsx", _with_extras(TINY_CASES)))
    assert at.session_state["dataset"] is not None
    seen.add(*_app_messages(at))
    at.switch_page("app_pages/match.py").run()
    at.button(key="match_run").click().run()
    at = wait_for_run(at)
    for tab in ("placements", "map", "capacity", "family", "pins", "export"):  # each tab draws when open
        at.session_state["match_tab"] = LABELS[f"tab_{tab}"][0]
        at.run()
        seen.add(*_app_messages(at))
    for page in ("runs", "records", "policy", "data"):
        at.switch_page(f"app_pages/{page}.py").run()
        seen.add(*_app_messages(at))

    def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        def job(report, cancel):  # type: ignore[no-untyped-def]
            raise ValueError(f"cell said {MARKER}")
        return job

    monkeypatch.setattr(engine, "solve_job", failing)
    at.switch_page("app_pages/match.py").run()
    at.button(key="match_run").click().run()
    shown = [e.value for e in at.error]
    seen.add(*_app_messages(at))
    runner = at.session_state["runner"]
    if runner is not None:
        runner.wait(10)
        at.run()
        shown += [e.value for e in at.error]
        seen.add(*_app_messages(at))
    assert any("ValueError" in e for e in shown)  # the kind is shown, the message is not
    seen.add(*(r.getMessage() for r in caplog.records), *capfd.readouterr())
    seen.add(*(f"{e.actor} {e.action} {e.subject} {e.detail}" for e in open_store().audit()))
    assert len(seen.texts) > 50
    assert not seen.leaks()

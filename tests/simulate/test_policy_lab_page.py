"""The Policy lab page in Streamlit's AppTest: run a tiny experiment with progress, then see the summary."""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path[:1]:
    sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

PAGE = ROOT / "ui" / "app_pages" / "policy_lab.py"


def test_run_shows_summary_and_downloads() -> None:
    """Two policies, one replication, ten families: the run finishes and the summary and downloads appear."""
    at = AppTest.from_file(str(PAGE), default_timeout=60).run()
    assert not at.exception
    at.multiselect(key="lab_policies").set_value(["greedy", "random"])
    at.number_input(key="lab_reps").set_value(1)
    at.number_input(key="lab_families").set_value(10)
    at.number_input(key="lab_communes").set_value(3)
    at.number_input(key="lab_processes").set_value(1)
    at.button[0].click().run()  # the form's submit button
    job = at.session_state["lab_job"]
    deadline = time.monotonic() + 60
    while job.running and time.monotonic() < deadline:
        time.sleep(0.2)
    at.run()
    assert not at.exception and job.metrics is not None and len(job.metrics) == 2
    assert any(df.value.shape[0] == 2 for df in at.dataframe)
    assert len(at.get("download_button")) == 4

"""The time-limit benchmark: instances written as the CLI reads them, a fresh `matcher match` per run timed from
the end of its reading, and the report's ratios and plan counts (no duration is asserted)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from benchmarks.timelimits import ROOT, Run, markdown, run_match, sample_instance
from matcher.io.readers import read_dataset


def test_a_run_is_timed_from_its_inputs_read_and_reports_its_result(tmp_path: Path) -> None:
    """The instance reads back as valid data; the run's marker splits reading from the rest, and the result's
    status, plan and flag come back."""
    cases, localities = sample_instance(30, tmp_path)
    assert len(read_dataset(cases, localities).dataset.cases) == 30
    run = run_match(ROOT, "after", cases, localities, 30, 1.0, 1, 0, kill_after=120)
    assert run.exit_code == 0 and run.status in ("optimal", "feasible")
    assert run.read_seconds is not None and run.after_read_seconds is not None
    # (Each of the three is rounded to 0.01 s on its own: their sum may differ by up to 0.015.)
    assert run.read_seconds + run.after_read_seconds <= run.wall_seconds + 0.02
    assert run.placed and run.plan_sha256 and run.peak_rss_mb > 0
    assert run.deterministic in (True, False)


def test_the_report_gives_ratios_and_distinct_plans() -> None:
    base = Run(code="after", group="sizes", families=2000, time_limit=10, workers=2, deterministic_mode=False,
               wall_seconds=14.0, read_seconds=3.0, after_read_seconds=10.5, within_limit=True, peak_rss_mb=300,
               exit_code=0, status="feasible", placed=1700, gap_percent=0.1, result_seconds=9.9, deterministic=False,
               plan_sha256="a")
    before = replace(base, code="before", after_read_seconds=21.0, within_limit=False, peak_rss_mb=600)
    repeats = [replace(base, group="repeat", plan_sha256=p) for p in "abab"]
    repeats += [replace(base, group="repeat", deterministic_mode=True, plan_sha256="c") for _ in range(4)]
    text = markdown([base, before, *repeats])
    assert "| 2000 | 10 | 2 | 21.0 | 10.5 | 0.50 | 0.50 |" in text
    assert "| after | clock | 4 | 2 |" in text and "| after | work-limited | 4 | 1 |" in text
    assert "**no**" in text

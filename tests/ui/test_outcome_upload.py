"""Policy page: an outcome CSV uploaded for the runs (EN and FR), refused with its row and column when bad, and
used by the Match page's run through the outcome weight."""

from __future__ import annotations

import numpy as np
import pandas as pd
from apptest_helpers import assert_clean, new_app, quick_policy, shown, wait_for_run


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def _sample_outcomes(at) -> pd.DataFrame:
    data = at.session_state["dataset"]
    rng = np.random.default_rng(0)
    return pd.DataFrame([(c.case_id, lo.locality_id, round(float(rng.random()), 3))
                         for c in data.cases for lo in data.localities], columns=["case_id", "locality_id", "outcome"])


def _policy_page(lang: str = "en", weight: float = 0.0):
    pol = quick_policy(5.0)
    pol = pol.model_copy(update={"weights": pol.weights.model_copy(update={"outcome": weight})})
    at = new_app(policy=pol, lang=lang).run()
    return at.switch_page("app_pages/policy.py").run()


def test_an_uploaded_outcome_csv_is_counted_and_the_zero_weight_said():
    at = _policy_page()
    frame = _sample_outcomes(at)
    at.file_uploader(key="outcome_file").set_value(("predicted.csv", _csv(frame), "text/csv")).run()
    assert_clean(at)
    n = len(at.session_state["dataset"].cases)
    assert any(f"predicted.csv: {len(frame):,} pairs, for {n} of the {n} families" in shown(i.value)
               for i in at.info)
    assert any("The outcome weight is 0" in w.value for w in at.warning)
    assert at.session_state["outcome_table"][1].equals(frame.astype({"case_id": str, "locality_id": str}))


def test_a_bad_outcome_csv_is_named_by_row_and_column():
    """The error box names the file, row and column, never the value; its texts exist in French too."""
    from ui.components.i18n import LABELS

    at = _policy_page()
    bad = b"case_id,locality_id,outcome\nC0001,09225,0.5\nC0002,09225,4.2\n"
    at.file_uploader(key="outcome_file").set_value(("bad.csv", bad, "text/csv")).run()
    assert not at.exception
    text = " ".join(e.value for e in at.error)
    assert "The outcome file cannot be used" in text
    assert LABELS["outcomes_bad"][1] == "Le fichier des résultats prédits est inutilisable :"
    assert all(fr and fr != en for k, (en, fr) in LABELS.items() if k.startswith("outcomes_"))
    assert "bad.csv › row 3 › outcome" in shown(text) and "4.2" not in shown(text)
    assert at.session_state["outcome_table"] is None


def test_the_match_run_scores_the_uploaded_outcomes():
    """With weight 5, the run's placements carry the uploaded outcome of their pair."""
    at = _policy_page(weight=5.0)
    frame = _sample_outcomes(at)
    at.file_uploader(key="outcome_file").set_value(("predicted.csv", _csv(frame), "text/csv")).run()
    at = at.switch_page("app_pages/match.py").run()
    at.button(key="match_run").click().run()
    at = wait_for_run(at)
    assert_clean(at)
    result = at.session_state["runs"][0].result
    by_pair = {(r.case_id, r.locality_id): r.outcome for r in frame.itertuples()}
    assert result.placements
    assert all(abs(p.components["outcome"] - by_pair[(p.case_id, p.locality_id)]) < 1e-9 for p in result.placements)


def _history_bytes(at, tmp_path, families: int = 400) -> bytes:
    """A simulated history of the session's communes, as an uploaded workbook's bytes."""
    from matcher.simulate.past import draw_history, write_history

    cases, placements = draw_history(list(at.session_state["dataset"].localities), families, seed=7)
    return write_history(cases, placements, tmp_path / "history.xlsx").read_bytes()


def test_a_model_fitted_on_an_uploaded_history_predicts_the_datas_pairs(tmp_path):
    """Upload a history, fit: the session's outcomes are the model's predictions for every pair of the data,
    and its scores on later arrivals are shown next to the commune's past rate."""
    from apptest_helpers import XLSX

    at = _policy_page(weight=3.0)
    data = at.session_state["dataset"]
    at.file_uploader(key="history_files").set_value([("past.xlsx", _history_bytes(at, tmp_path), XLSX)]).run()
    at.button(key="history_fit").click().run(timeout=180)
    assert_clean(at)
    name, frame = at.session_state["outcome_table"]
    assert name == "past.xlsx"
    assert len(frame) == len(data.cases) * len(data.localities) and frame["outcome"].between(0, 1).all()
    assert frame["outcome"].std() > 0.02
    text = " ".join(shown(i.value) for i in at.info)
    assert "Fitted on 400 placements (2021-" in text and "(the commune's past rate: 0." in text


def test_a_history_of_other_communes_is_refused_by_row_and_column(tmp_path):
    from apptest_helpers import XLSX
    from openpyxl import load_workbook

    at = _policy_page()
    path = tmp_path / "h.xlsx"
    path.write_bytes(_history_bytes(at, tmp_path, 150))
    wb = load_workbook(path)
    wb["outcomes"]["B5"] = "99999"
    wb.save(path)
    at.file_uploader(key="history_files").set_value([("h.xlsx", path.read_bytes(), XLSX)]).run()
    at.button(key="history_fit").click().run(timeout=120)
    assert not at.exception
    text = shown(" ".join(e.value for e in at.error))
    assert "The history cannot be used" in text and "outcomes › row 5 › locality_id: not a commune" in text
    assert at.session_state["outcome_table"] is None

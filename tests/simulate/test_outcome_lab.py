"""Realised outcomes in the lab: the true model, the simulated history, policies that see outcomes, paired
differences to a baseline and the share of the true model's gain a fitted model earns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from factories import commune, family

from matcher.simulate import ExperimentError, experiment_from_dict, load_experiment, run_task
from matcher.simulate.experiment import Task
from matcher.simulate.outcome_lab import gain_share, split_label
from matcher.simulate.past import draw_history
from matcher.simulate.report import summarise
from matcher.simulate.territory import TerritoryParams, generate_localities
from matcher.simulate.truth import TRUE_MODEL, true_probability


def test_true_model_follows_its_documented_coefficients():
    """Better French raises the probability by the French coefficient on the logit; a family without a
    working-age adult has none; the commune effect is fixed by the seed."""
    locs = [commune("09225", jobs={"retail": 3}), commune("31555")]
    cases = [family("A", (30,), french="none", sector="retail"), family("B", (30,), french="B1", sector="retail"),
             family("C", (70,))]
    p = true_probability(cases, locs, seed=1)
    logit = np.log(p[:2] / (1 - p[:2]))
    assert logit[1, 0] - logit[0, 0] == pytest.approx(3 * TRUE_MODEL["french"])
    assert np.isnan(p[2]).all()
    assert np.array_equal(p[:2], true_probability(cases, locs, seed=1)[:2])
    assert not np.array_equal(p[:2], true_probability(cases, locs, seed=2)[:2])
    # Retail vacancies match the trade in the first commune only: the trade match term counts there.
    with_jobs = logit[:, 0] - logit[:, 1]
    assert with_jobs[0] == pytest.approx(with_jobs[1])


def test_history_is_seeded_and_spread_over_the_communes():
    locs = generate_localities(np.random.default_rng(1), TerritoryParams(communes=6), 300.0)
    cases, frame = draw_history(locs, 300, seed=4)
    again = draw_history(locs, 300, seed=4)[1]
    pd.testing.assert_frame_equal(frame, again)
    assert len(cases) == 300 and frame["locality_id"].nunique() == 6
    assert 0.1 < frame["employed_12m"].mean() < 0.9
    assert not any(c.linked_case_ids or c.preferred_locality_ids for c in cases)


def test_policy_labels_are_checked():
    assert split_label("optimal+fitted") == ("optimal", "fitted") and split_label("greedy") == ("greedy", None)
    with pytest.raises(ExperimentError, match="unknown policy 'optimal\\+magic'"):
        experiment_from_dict({"policies": ["optimal", "optimal+magic"]})
    with pytest.raises(ExperimentError, match="baseline must be one of the policies"):
        experiment_from_dict({"policies": ["greedy"], "baseline": "random"})


def test_paired_difference_hand_checked():
    """Baseline 1, 2, 3 and policy 2, 4, 4: differences 1, 2, 1, mean 4/3, paired-t interval."""
    from matcher.simulate.metrics import METRICS

    frame = pd.DataFrame({"policy": ["a"] * 3 + ["b"] * 3, "replication": [0, 1, 2] * 2})
    for m in METRICS:
        frame[m] = [1.0, 2.0, 3.0, 2.0, 4.0, 4.0]
    rows = summarise(frame, ("a", "b")).query("metric == 'expected_employed'").set_index("policy")
    assert np.isnan(rows.loc["a", "diff"])
    half = 4.302653 * np.std([1, 2, 1], ddof=1) / np.sqrt(3)
    assert rows.loc["b", "diff"] == pytest.approx(4 / 3)
    assert rows.loc["b", "diff_high"] - rows.loc["b", "diff"] == pytest.approx(half, rel=1e-5)


def test_gain_share_hand_checked():
    """Gains of the fitted model 1, 3 against the true model's 2, 4: a share of 4/6."""
    frame = pd.DataFrame({"policy": ["optimal", "optimal+fitted", "optimal+true"] * 2,
                          "replication": [0, 0, 0, 1, 1, 1],
                          "expected_employed": [10.0, 11.0, 12.0, 20.0, 23.0, 24.0]})
    gain = gain_share(frame)
    assert gain is not None and gain["share"] == pytest.approx(4 / 6)
    assert gain["fitted_gain"] == 2.0 and gain["true_gain"] == 3.0
    assert gain["share_low"] <= gain["share"] <= gain["share_high"]
    assert gain_share(frame[frame["policy"] != "optimal+true"]) is None


def test_policies_that_see_the_truth_are_scored_by_it():
    """On one small year: every row has the realised-outcome metrics; the policy that sees the true
    probabilities reports the true model's own AUC and places its families where more are expected in work."""
    exp = experiment_from_dict({"name": "t", "seed": 3, "replications": 1, "families_per_year": 40,
                                "policies": ["optimal", "optimal+true"], "territory": {"communes": 6},
                                "engine": {"time_limit": 0.3}, "outcomes": {"weight": 10.0}})
    plain, seen = (run_task(Task(exp, 0, p)) for p in exp.policies)
    assert np.isnan(plain["seen_outcome_auc"]) and 0.6 < seen["seen_outcome_auc"] < 1.0
    assert seen["expected_employed"] > plain["expected_employed"]
    assert 0 < plain["expected_employment_rate"] < 1
    assert plain["employed_drawn"] == int(plain["employed_drawn"])


def test_sample_outcome_experiment_loads():
    exp = load_experiment("sample_data/experiments/outcomes.toml")
    assert exp.policies == ("optimal", "optimal+fitted", "optimal+true") and exp.outcomes.history_families == 2500


def _lab_with_model(tmp_path: Path, policies: str, model: str = "m") -> Path:
    """An experiment file whose policy file (in a subfolder) names `[outcomes] model`, relative to itself."""
    (tmp_path / "pol").mkdir(exist_ok=True)
    (tmp_path / "pol" / "p.toml").write_text(f'[outcomes]\nmodel = "{model}"\n', encoding="utf-8")
    path = tmp_path / "lab.toml"
    path.write_text(f'name = "t"\nseed = 3\nreplications = 1\nfamilies_per_year = 40\npolicies = {policies}\n'
                    'policy_file = "pol/p.toml"\n[territory]\ncommunes = 6\n[engine]\ntime_limit = 0.3\n'
                    '[outcomes]\nweight = 10.0\n', encoding="utf-8")
    return path


def test_the_policys_outcome_model_is_read_by_the_lab(tmp_path):
    """`[outcomes] model` in the lab's policy (relative to the policy file) is what `optimal+model` matches on:
    a model fitted on a history of the same world places families where more are expected in work."""
    from matcher.models import Dataset
    from matcher.outcomes.history import History
    from matcher.outcomes.model import fit_model, save_model
    from matcher.simulate.experiment import territory

    path = _lab_with_model(tmp_path, '["optimal", "optimal+model"]')
    locs = territory(experiment_from_dict({"name": "t", "seed": 3, "families_per_year": 40,
                                           "territory": {"communes": 6}}))
    cases, placements = draw_history(locs, 1200, seed=8, truth_seed=3)
    placements["placed_on"] = pd.to_datetime(placements["placed_on"])
    model, _ = fit_model(History(Dataset(cases=tuple(cases), localities=tuple(locs)), placements,
                                 ("employed_12m",)), "employed_12m")
    save_model(model, tmp_path / "pol" / "m")
    exp = load_experiment(path)
    assert exp.policy.outcomes is not None and exp.policy.outcomes.model == str((tmp_path / "pol" / "m").resolve())
    plain, seen = (run_task(Task(exp, 0, p)) for p in exp.policies)
    assert np.isnan(plain["seen_outcome_auc"]) and 0.6 < seen["seen_outcome_auc"] < 1.0
    assert seen["expected_employed"] > plain["expected_employed"]


def test_outcome_keys_the_lab_cannot_use_are_refused(tmp_path):
    with pytest.raises(ExperimentError, match="outcome_csv names families of real data"):
        experiment_from_dict({"policy": {"outcome_csv": "o.csv"}})
    with pytest.raises(ExperimentError, match="optimal\\+model matches on the policy's \\[outcomes\\] model"):
        experiment_from_dict({"policies": ["optimal", "optimal+model"]})
    with pytest.raises(ExperimentError, match="list a policy label with '\\+model'"):
        experiment_from_dict({"policy": {"outcomes": {"model": "m"}}})
    (tmp_path / "pol" / "m").mkdir(parents=True)
    with pytest.raises(ExperimentError, match=r"lab\.toml › policy › outcomes › model: m: refused, no readable"):
        load_experiment(_lab_with_model(tmp_path, '["optimal+model"]'))
